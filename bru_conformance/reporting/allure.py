"""Allure results through allure-pytest-bdd (never allure-pytest beside it), with useful labels.

Each scenario gets epic = area, feature = feature file title, story = rule ID and title, severity from
the level, a link to the Apple source, the API profile as a parameter, and the (redacted) trace as a
JSON attachment. After the run every result file is passed through the redactor, because allure also
records failure texts on its own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bru_conformance.scenario.redact import might_hold_secrets, redact

_PASSED = re.compile(r'"status":\s*"passed"')
SEVERITY = {"must": "critical", "should": "normal", "may": "minor", "info": "trivial"}


def active(config: Any) -> bool:
    return bool(getattr(config.option, "allure_report_dir", None))


def faster_writer() -> None:
    """allure-python-commons turns each result into a dict with `attr.asdict`, writes it with the stdlib `json` and
    makes its file, all in the run. Here: the same document (`_plain`, byte-for-byte what `asdict` gives, a test
    compares them) through orjson, its file made by a writer process beside the run (`allure_files`), under a
    temporary name renamed into place as before. For the session only: `finish_writing` waits for those files at
    its end and puts Allure's own writer back. Applied only where the writer has the shape this was written
    against; otherwise Allure's own writer stays."""
    import uuid

    import orjson
    from allure_commons import logger

    writer = getattr(logger, "AllureFileLogger", None)
    if writer is None or getattr(writer, "_bru_fast", False) or not hasattr(writer, "_report_item"):
        return

    def _report_item(self, item):  # type: ignore[no-untyped-def]
        files = self.__dict__.get("_bru_files")
        if files is None or files.owner != os.getpid():
            from bru_conformance.reporting.allure_files import ResultFiles

            files = self._bru_files = ResultFiles(self._report_dir)
            _OPEN_FILES.append(files)
            if not _AT_EXIT:
                import atexit

                atexit.register(finish_writing)  # a session that never reaches its end still loses no file
                _AT_EXIT.append(True)
        files.write(item.file_pattern.format(prefix=uuid.uuid4()), orjson.dumps(_plain(item)))

    _patch(writer, "_report_item", _report_item)
    _patch(writer, "_bru_fast", True)


_OPEN_FILES: list[Any] = []
_AT_EXIT: list[bool] = []
_MISSING = object()
_PATCHES: list[tuple[Any, str, Any]] = []  # (owner, attribute, what it was): undone when the session ends


def _patch(owner: Any, name: str, value: Any) -> None:
    _PATCHES.append((owner, name, vars(owner).get(name, _MISSING)))
    setattr(owner, name, value)


def finish_writing() -> None:
    """When the session ends (after Allure's own last words): every result file of this process made, and
    allure-pytest-bdd's code put back as it was, so a team's own session in the same process gets Allure's own
    behaviour. A file set is dropped from the list only once it is closed: an interrupted close is redone at
    exit. The patches are undone even if writing fails."""
    try:
        while _OPEN_FILES:
            _OPEN_FILES[-1].close()
            _OPEN_FILES.pop()
    finally:
        while _PATCHES:
            owner, name, before = _PATCHES.pop()
            if before is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, before)


_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _plain(value: Any) -> Any:
    """`attr.asdict(value, filter=lambda _, v: v or v is False)` for Allure's model: attrs instances to dicts
    without their empty fields, lists and tuples to lists, dict values converted (the attrs fields of each class
    looked up once)."""
    kind = type(value)
    names = _FIELDS.get(kind, ())
    if names == ():
        import attr

        names = _FIELDS[kind] = tuple(a.name for a in attr.fields(kind)) if attr.has(kind) else None
    if names is not None:
        out = {}
        for name in names:
            v = getattr(value, name)
            if v or v is False:
                out[name] = _plain(v)
        return out
    if kind is list or kind is tuple or kind is set:
        return [_plain(v) for v in value]
    if kind is dict:
        return {k: _plain(v) for k, v in value.items()}
    return value


def _lifecycles() -> list[Any]:
    """allure-pytest-bdd's lifecycles (what its API hooks update the open test result through), one per
    session registered in this process (a team's session around ours has its own), as the dynamic API reaches
    each of them. The lookup `label_scenario` uses, apart from `_drop_parameter`'s, so that a test can send
    `label_scenario` down its dynamic-API path alone and compare the two."""
    return _find_lifecycles()


def _find_lifecycles() -> list[Any]:
    import allure_commons

    found: dict[int, Any] = {}
    for plugin in allure_commons.plugin_manager.get_plugins():
        lifecycle = getattr(plugin, "lifecycle", None)
        if getattr(lifecycle, "update_test_case", None) is not None:
            found.setdefault(id(lifecycle), lifecycle)
    return list(found.values())


def label_scenario(rule: Any, profile: str | None) -> None:
    """Called before a scenario runs: rule metadata as Allure labels, links and the profile parameter.

    What `allure.dynamic.epic/story/severity/label/link/parameter/tag` would add, in their order, written into the
    open test result in one update: each dynamic call is a hook call and an update of its own, and together they
    were a seventh of what Allure cost a run (0.28 s, measured). A test compares both ways' result files. Where
    allure-pytest-bdd has no lifecycle of the expected shape, the dynamic API does it."""
    from bru_conformance.catalogue import AREAS
    from bru_conformance.catalogue.sources import SOURCES, label

    epic, story = f"{rule.area} {AREAS[rule.area]}", f"{rule.id} {rule.title}"
    severity = SEVERITY.get(rule.level, "normal")
    links = [(SOURCES[key], f"source {key}: {label(key)}") for key in rule.tags.sources]
    lifecycles = _lifecycles()
    if not lifecycles:
        _label_dynamically(rule, profile, epic, story, severity, links)
        return
    from allure_commons.model2 import Label, Link, Parameter
    from allure_commons.utils import represent

    labels = [("epic", epic), ("story", story), ("severity", severity), ("rule", rule.id), ("level", rule.level)]
    for lifecycle in lifecycles:
        with lifecycle.update_test_case() as result:
            if result is None:
                continue
            result.labels.extend(Label(name=name, value=value) for name, value in labels)
            result.links.extend(Link(url=url, name=name, type="link") for url, name in links)
            if profile:  # the pytest parametrization's own copy, shown quoted, gives way to one profile parameter
                result.parameters = [p for p in result.parameters if p.name != "bru_profile"]
                result.parameters.append(Parameter(name="profile", value=represent(profile)))
                result.labels.append(Label(name="tag", value=profile))


def _label_dynamically(rule: Any, profile: str | None, epic: str, story: str, severity: str,
                       links: list[tuple[str, str]]) -> None:
    import allure

    allure.dynamic.epic(epic)
    allure.dynamic.story(story)
    allure.dynamic.severity(allure.severity_level(severity))
    allure.dynamic.label("rule", rule.id)
    allure.dynamic.label("level", rule.level)
    for url, name in links:
        allure.dynamic.link(url, name=name)
    if profile:
        _drop_parameter("bru_profile")
        allure.dynamic.parameter("profile", profile)
        allure.dynamic.tag(profile)


def _drop_parameter(name: str) -> None:
    """Remove a parameter allure-pytest-bdd recorded from the pytest parametrization (it has no API for it)."""
    for lifecycle in _find_lifecycles():
        with lifecycle.update_test_case() as result:
            if result is not None and getattr(result, "parameters", None):
                result.parameters = [p for p in result.parameters if p.name != name]


def leaner_steps() -> None:
    """Two things allure-pytest-bdd does per Gherkin step, made cheaper where its module has the expected shape.

    * Every step function takes the scenario's `world` fixture, which the plugin recorded as a step parameter
      shown as `<World object at 0x…>` in every step of every report: noise, so left out. Parameters parsed from
      the step's text (`count`, `alias`…) stay.
    * A step's id is `md5(id(step))` made a UUID, computed three times per step: a pure function of the number,
      so remembered."""
    import functools

    try:
        from allure_pytest_bdd import pytest_bdd_listener, steps
    except ImportError:
        return
    add, uuid_of = getattr(steps, "add_step_parameters", None), getattr(steps, "get_step_uuid", None)
    if add is None or uuid_of is None or getattr(steps, "_bru_lean", False):
        return

    def add_step_parameters(lifecycle: Any, step_uuid: str, step_params: dict[str, Any]) -> Any:
        return add(lifecycle, step_uuid, {k: v for k, v in step_params.items() if k != "world"})

    from uuid import UUID

    from allure_commons.utils import md5

    by_number = functools.lru_cache(maxsize=4096)(lambda number: str(UUID(md5(number))))

    def get_step_uuid(step: Any) -> str:
        return by_number(id(step))

    _patch(steps, "add_step_parameters", add_step_parameters)
    _patch(steps, "_bru_lean", True)
    probe = object()
    if uuid_of(probe) == get_step_uuid(probe):  # the same ids as the plugin's own, or its own stays
        _patch(steps, "get_step_uuid", get_step_uuid)
        if getattr(pytest_bdd_listener, "get_step_uuid", None) is uuid_of:
            _patch(pytest_bdd_listener, "get_step_uuid", get_step_uuid)


def attach_trace(events: list[dict[str, Any]]) -> None:
    import allure

    allure.attach(json.dumps(redact(events), indent=1), name="protocol trace (last calls)",
                  attachment_type=allure.attachment_type.JSON)


def redact_dir(directory: Path) -> int:
    """Redact every JSON and text file Allure wrote; returns how many files were rewritten."""
    changed = 0
    if not directory.is_dir():
        return 0
    for path in directory.iterdir():
        if path.suffix not in (".json", ".txt"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if _PASSED.search(text[:2000]) or not might_hold_secrets(text):
            continue  # a passing scenario's result holds only the catalogue's words and labels: nothing to mask
        if path.suffix == ".json":
            try:
                new = json.dumps(redact(json.loads(text)))
            except ValueError:
                continue
        else:
            from bru_conformance.scenario.redact import redact_text

            new = redact_text(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed += 1
    return changed


class AllureError(Exception):
    """The Allure HTML site was not built. `exit_code`: 2 when there was nothing to build it from or no Allure
    to build it with (a usage or configuration error), 3 when Allure ran and failed."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_QUIET = {"NO_COLOR": "1", "FORCE_COLOR": "0", "npm_config_update_notifier": "false", "npm_config_fund": "false"}


def allure_cli() -> tuple[list[str], int]:
    """The Allure command line to use and its major version.

    An `allure` on PATH is used when `allure --version` says 2.x (Allure 2, Java) or 3.x (Allure 3); otherwise
    `npx --yes allure@3` (the npm package `allure` is Allure 3; Allure 2's npm wrapper is `allure-commandline`)."""
    exe = shutil.which("allure")
    if exe is not None:
        try:
            proc = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=120, env={**os.environ, **_QUIET})
            found = re.search(r"\b([23])\.\d+", _ANSI.sub("", proc.stdout + proc.stderr))
            if proc.returncode == 0 and found:
                return [exe], int(found.group(1))
        except (OSError, subprocess.TimeoutExpired):
            pass
    npx = shutil.which("npx")
    if npx is not None:
        return [npx, "--yes", "allure@3"], 3
    raise AllureError("no Allure to build the HTML site with: install Node.js (for `npx allure`, Allure 3) or put Allure 2 or 3 "
                      "on PATH as `allure`", 2)


def _tail(proc: subprocess.CompletedProcess[str]) -> str:
    text = _ANSI.sub("", (proc.stderr or "") + "\n" + (proc.stdout or ""))
    lines = [line.rstrip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("at ")]
    return "\n".join(lines[-12:])[-1200:] or "(no output)"


def _tests_in_site(site: Path) -> int | None:
    """How many test results the built site holds: Allure 3 (summary.json) or Allure 2 (widgets/summary.json)."""
    for name, keys in (("summary.json", ("stats", "total")), ("widgets/summary.json", ("statistic", "total"))):
        try:
            value: Any = json.loads((site / name).read_text(encoding="utf-8"))
            for key in keys:
                value = value[key]
            return int(value)
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def build_html(report_dir: Path, results: Path | None = None) -> Path:
    """Build the Allure HTML site REPORT_DIR/allure-report from RESULTS (default REPORT_DIR/allure-results) and
    return its path; raise AllureError with the reason when it cannot be built.

    Allure 3 (`npx --yes allure@3 generate RESULTS -o OUT`; it has no `--clean` and needs no config file) or an
    Allure 2 on PATH (`allure generate RESULTS -o OUT --clean`). Allure runs in REPORT_DIR, so an allurerc of the
    calling directory does not change the site; the site is built beside the old one and then replaces it. A build
    that exits 0 but holds none of the results (Allure 3 skips files it cannot read) is a failure too."""
    results = (results or report_dir / "allure-results").resolve()
    if not results.is_dir():
        raise AllureError(f"no {results}: run `bru-conformance run` with --allure (the default) first", 2)
    written = len(list(results.glob("*-result.json")))
    if not written:
        raise AllureError(f"{results} holds no test results (*-result.json): nothing to build", 2)
    command, major = allure_cli()
    report_dir = report_dir.resolve()
    out = report_dir / "allure-report"
    work = Path(tempfile.mkdtemp(prefix=".allure-report-", dir=report_dir))
    try:
        site = work / "allure-report"
        argv = [*command, "generate", str(results), "-o", str(site)] + (["--clean"] if major == 2 else [])
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, cwd=report_dir, timeout=900,
                                  env={**os.environ, **_QUIET})
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise AllureError(f"`{' '.join(argv[:4])} …` did not run to the end: {exc}", 3) from exc
        if proc.returncode != 0:
            raise AllureError(f"Allure {major} exited {proc.returncode}: {_tail(proc)}", 3)
        if not (site / "index.html").is_file():
            raise AllureError(f"Allure {major} exited 0 but wrote no {site.name}/index.html: {_tail(proc)}", 3)
        shown = _tests_in_site(site)
        if shown == 0:
            raise AllureError(f"Allure {major} read none of the {written} result file(s) in {results}: {_tail(proc)}", 3)
        old = work / "previous"
        if out.is_symlink() or out.is_file():
            out.unlink()
        elif out.exists():
            out.rename(old)
        site.rename(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out
