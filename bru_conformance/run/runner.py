"""Running the conformance suite: pytest on the bundled entry module, isolated from the caller's config.

The run uses the suite's own `pytest.ini` (so a project's pytest configuration never leaks in), loads
the plugin explicitly, and works the same from a source checkout or an installed wheel, from any
working directory.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
import uuid
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
    server_url: str | None = None  # the SERVER role: a running upload server to check
    server_interop: str | None = None  # its interop versions, comma-separated
    adapter_timeout: float = 10.0
    adapter_cpu: str = "shared"
    include_field: bool = False
    strict: bool = False
    require_practice: bool = False
    patience: float = 24 * 3600.0
    waivers: Path | None = None
    seed: int = 0
    allure: bool = True
    results_only: bool = False  # results.json alone; `bru-conformance report` renders the rest from it later
    quiet: bool = False
    extra: list[str] = field(default_factory=list)
    features: Path | None = None  # another features directory instead of the bundled catalogue
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)


#: The name of the pytest11 entry point (pyproject.toml) that registers `bru_conformance.run.pytest_entry`.
ENTRY_POINT = "bru_conformance.pytest_entry"


def entry_plugin() -> str:
    """What `-p` names to load the options: the entry point where the package is installed (pytest would
    otherwise register the module a second time, from the entry point, under another name, and stop), the
    module itself where it is not (a source tree on PYTHONPATH)."""
    from importlib.metadata import entry_points

    return ENTRY_POINT if entry_points(group="pytest11", name=ENTRY_POINT) else "bru_conformance.run.pytest_entry"


def pytest_args(options: RunOptions) -> list[str]:
    suite = suite_dir()
    root = os.path.commonpath([suite, features_dir()])  # reporters want feature files under the rootdir
    args = [str(suite / "test_conformance.py"), "-c", str(suite / "pytest.ini"), "--rootdir", root,
            "-p", entry_plugin(), "--bru", "-p", "no:cacheprovider",
            "-p", "no:unraisableexception",  # its gc.collect() at exit costs 0.1-0.2 s a run; the suite's verdicts never used it
            # the suite has no Hypothesis test (exploration drives Hypothesis itself), and no report shows pytest's
            # captured logs or warnings summary: three plugins with hooks on every phase of every scenario run
            "-p", "no:hypothesispytest", "-p", "no:logging", "-p", "no:warnings",
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
    if options.server_url:
        args += ["--bru-server-url", options.server_url]
    if options.server_interop:
        args += ["--bru-server-interop", options.server_interop]
    if options.include_field:
        args.append("--bru-field")
    if options.strict:
        args.append("--bru-strict")
    if options.require_practice:
        args.append("--bru-require-practice")
    args += ["--bru-patience", repr(options.patience), "--bru-run-id", options.run_id]
    if options.waivers:
        args += ["--bru-waivers", str(options.waivers.resolve())]
    args += ["--bru-seed", str(options.seed)]
    if options.results_only:
        args.append("--bru-results-only")
    if options.allure:
        args += ["--alluredir", str((options.report_dir / "allure-results").resolve()), "--clean-alluredir"]
    # Every failure's own message goes into the results and the summary; pytest's source excerpts of the
    # step code (its default traceback) cost about 0.1 s per failed scenario run and say nothing about the
    # implementation, so one line each (`--tb=long` after the options brings them back).
    args.append("--tb=line")
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
    run_id: str = ""


def _sigterm_as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


#: pytest adds the options in this variable to every session in the process. A team's CI may set it for its own tests
#: (`-k smoke`, `-x`, `-n auto`); read by a conformance run, it would check less than the run's command line and replay
#: line say (`-k` alone turned a default run into 25 scenario runs reported conformant), so the run ignores it
ADDOPTS_ENV = "PYTEST_ADDOPTS"


def run(options: RunOptions) -> RunOutcome:
    """pytest on the suite, for the command line, whose process ends after it. SIGTERM is turned into the
    KeyboardInterrupt pytest already handles, so a CI runner cancelling the job gets an `incomplete` report and exit
    130, never a half report that passes. `PYTEST_ADDOPTS` is set aside for the run, with a warning."""
    started = time.perf_counter()
    from bru_conformance.resources import FEATURES_ENV

    previous = os.environ.get(FEATURES_ENV)
    if options.features is not None:
        os.environ[FEATURES_ENV] = str(options.features.resolve())
    addopts = os.environ.pop(ADDOPTS_ENV, None)
    if addopts and addopts.strip():
        print(f"bru-conformance: {ADDOPTS_ENV} ({addopts.strip()!r}) is ignored: the run checks what its command line says; "
              "pytest options go after the command's own", file=sys.stderr)
    old_term = signal.signal(signal.SIGTERM, _sigterm_as_interrupt) if threading.current_thread() is threading.main_thread() else None
    try:
        code = pytest.main(pytest_args(options))
        # The command ends once it has printed its summary: what the run made is frozen rather than walked by the
        # full collection it owes (`run.heap` kept the oldest generation for the end; 100 ms in a default run).
        gc.freeze()
    finally:
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)
        if options.features is not None:
            if previous is None:
                os.environ.pop(FEATURES_ENV, None)
            else:
                os.environ[FEATURES_ENV] = previous
        if addopts is not None:
            os.environ[ADDOPTS_ENV] = addopts
    if options.allure:
        from bru_conformance.reporting.allure import redact_dir

        redact_dir(options.report_dir / "allure-results")
    elif (options.report_dir / "allure-results").is_dir():  # an older run's results would pass for this run's
        import shutil

        shutil.rmtree(options.report_dir / "allure-results", ignore_errors=True)
    return RunOutcome(int(code), time.perf_counter() - started, options.report_dir / "results.json", options.run_id)
