"""Running the conformance suite: pytest on the bundled entry module, isolated from the caller's config.

The run uses the suite's own `pytest.ini` (so a project's pytest configuration never leaks in), loads
the plugin explicitly, and works the same from a source checkout or an installed wheel, from any
working directory.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bru_conformance.resources import features_dir, suite_dir


@dataclass
class RunOptions:
    report_dir: Path = Path("reports")
    profiles: list[str] = field(default_factory=list)
    role: str = "all"
    assume: list[str] = field(default_factory=list)
    adapter: str | None = None
    adapter_cmd: str | None = None
    adapter_timeout: float = 10.0
    adapter_cpu: str = "shared"
    include_field: bool = False
    strict: bool = False
    require_practice: bool = False
    patience: float = 24 * 3600.0
    waivers: Path | None = None
    seed: int = 0
    allure: bool = True
    quiet: bool = False
    extra: list[str] = field(default_factory=list)
    features: Path | None = None  # another features directory instead of the bundled catalogue


def pytest_args(options: RunOptions) -> list[str]:
    suite = suite_dir()
    root = os.path.commonpath([suite, features_dir()])  # reporters want feature files under the rootdir
    args = [str(suite / "test_conformance.py"), "-c", str(suite / "pytest.ini"), "--rootdir", root,
            "-p", "bru_conformance.plugin", "-p", "no:cacheprovider",
            "--bru-report-dir", str(options.report_dir.resolve()), "--bru-role", options.role]
    for profile in options.profiles:
        args += ["--bru-profile", profile]
    for item in options.assume:
        args += ["--bru-assume", item]
    if options.adapter:
        args += ["--bru-adapter", options.adapter]
    if options.adapter_cmd:
        args += ["--bru-adapter-cmd", options.adapter_cmd, "--bru-adapter-timeout", str(options.adapter_timeout),
                 "--bru-adapter-cpu", options.adapter_cpu]
    if options.include_field:
        args.append("--bru-field")
    if options.strict:
        args.append("--bru-strict")
    if options.require_practice:
        args.append("--bru-require-practice")
    args += ["--bru-patience", repr(options.patience)]
    if options.waivers:
        args += ["--bru-waivers", str(options.waivers.resolve())]
    args += ["--bru-seed", str(options.seed)]
    if options.allure:
        args += ["--alluredir", str((options.report_dir / "allure-results").resolve()), "--clean-alluredir"]
    if options.quiet:
        args += ["-q", "--no-header", "-rN", "--bru-progress", "off"]
    elif sys.stdout.isatty():  # a live bar replaces pytest's terminal; the plugin prints failures itself
        args += ["-p", "no:terminal", "--bru-progress", "live"]
    else:  # logs: pytest's dots and short failure lines
        args += ["-q", "--no-header", "--tb=line", "-rf", "--bru-progress", "off"]
    return args + options.extra


@dataclass
class RunOutcome:
    exit_code: int
    seconds: float
    results_path: Path


def run(options: RunOptions) -> RunOutcome:
    started = time.perf_counter()
    from bru_conformance.resources import FEATURES_ENV

    previous = os.environ.get(FEATURES_ENV)
    if options.features is not None:
        os.environ[FEATURES_ENV] = str(options.features.resolve())
    try:
        code = pytest.main(pytest_args(options))
    finally:
        if options.features is not None:
            if previous is None:
                os.environ.pop(FEATURES_ENV, None)
            else:
                os.environ[FEATURES_ENV] = previous
    if options.allure:
        from bru_conformance.allure_support import redact_dir

        redact_dir(options.report_dir / "allure-results")
    return RunOutcome(int(code), time.perf_counter() - started, options.report_dir / "results.json")
