"""Reports and the CI gate (issue 5): every output derived from one results document, consistent,
redacted, re-renderable; exit codes; waivers; the HTML page opened in headless Chromium."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bru_conformance.schemas import validate
from tests.adapters.leaky_app import SECRETS
from tests.cli import bru

ROOT = Path(__file__).resolve().parents[1]
SELECTION = "ACK or ACT-01 or ACT-07 or CON-02"


def run(report: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return bru("run", "--quiet", "--report-dir", str(report), *args, cwd=ROOT)


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    report = tmp_path_factory.mktemp("failing") / "reports"
    return report, run(report, "--adapter", "tests.adapters.leaky_app:factory", "-k", SELECTION)


@pytest.fixture(scope="module")
def passing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    report = tmp_path_factory.mktemp("passing") / "reports"
    return report, run(report, "-k", SELECTION)


def load(report: Path) -> dict:
    return json.loads((report / "results.json").read_text())


def test_a_conformant_run_exits_0_and_writes_every_output(passing) -> None:  # type: ignore[no-untyped-def]
    report, proc = passing
    assert proc.returncode == 0, proc.stdout[-2000:]
    for name in ("results.json", "junit.xml", "summary.md", "badge.json", "report.html"):
        assert (report / name).is_file(), name
    allure_results = list((report / "allure-results").glob("*-result.json"))
    assert allure_results
    for path in allure_results:  # issue 12: one profile parameter per test case, not the parametrization's copy too
        names = [p["name"] for p in json.loads(path.read_text()).get("parameters", [])]
        assert names.count("profile") == 1 and len(names) == len(set(names)) and "bru_profile" not in names, names
    document = load(report)
    validate("results", document)
    assert document["verdict"] == "conformant" and document["gate"] == {"passed": True, "reasons": [], "exit_code": 0}
    assert json.loads((report / "badge.json").read_text())["message"] == "conformant"


def test_results_only_writes_results_json_alone_and_report_renders_the_rest(passing, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`--results-only` (shards, matrix runs): results.json and nothing derived from it, an older run's reports
    removed rather than left to pass for this run's; `bru-conformance report` renders them afterwards."""
    report = tmp_path / "reports"
    shutil.copytree(passing[0], report)  # an older run's complete outputs
    proc = run(report, "--no-allure", "--results-only", "-k", "ACT-07")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    names = sorted(p.name for p in report.iterdir() if p.is_file())
    assert names == ["results.json"], names
    assert load(report)["totals"]["executed"] < load(passing[0])["totals"]["executed"]  # this run's, not the copy
    rendered = bru("report", str(report / "results.json"), cwd=ROOT, timeout=120)
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    for name in ("junit.xml", "summary.md", "badge.json", "report.html"):
        assert (report / name).is_file(), name


def test_a_must_failure_exits_1_and_every_output_says_so(failing) -> None:  # type: ignore[no-untyped-def]
    report, proc = failing
    assert proc.returncode == 1, proc.stdout[-2000:]
    document = load(report)
    validate("results", document)
    failed_rules = {r["id"] for r in document["rules"] if r["verdict"] == "failed" and r["class"] == "conformance"}
    # conformance failures only: field and practice outcomes are reported, never JUnit failures
    failed_runs = [(r["id"], s["name"], s["profile"]) for r in document["rules"] for s in r["scenarios"]
                   if s["outcome"] == "failed" and s["kind"] == "conformance"]
    assert document["verdict"] == "non-conformant" and "ACK-02" in failed_rules
    # JUnit: the same failing runs, rule IDs and levels visible
    tree = ET.parse(report / "junit.xml").getroot()
    junit_failed = [c for c in tree.iter("testcase") if c.find("failure") is not None]
    assert len(junit_failed) == len(failed_runs) == int(tree.get("failures"))
    assert all("[MUST]" in c.get("name") or "[SHOULD]" in c.get("name") or "[MAY]" in c.get("name") for c in junit_failed)
    assert {c.get("classname").split(".")[1] for c in junit_failed} == {rid for rid, _, _ in failed_runs}
    # Markdown and HTML list the same failed rules; the badge carries the verdict
    summary = (report / "summary.md").read_text()
    html = (report / "report.html").read_text()
    for rid in failed_rules:
        assert f"**{rid}**" in summary and f'id="rule-{rid}"' in html
    assert "non-conformant" in summary and 'class="verdict non-conformant"' in html
    assert json.loads((report / "badge.json").read_text()) == {"schemaVersion": 1, "label": "PhotoKit BRU conformance",
                                                               "message": "non-conformant", "color": "red"}
    # a log that is not a terminal (CI) names each failure by its rule ID and level
    assert "FAILED ACK-02 [MUST]" in proc.stdout, proc.stdout[-2000:]
    # failing scenarios carry evidence: steps, the failing step and a trace excerpt
    evidence = [s for r in document["rules"] for s in r["scenarios"] if s["outcome"] == "failed" and s["kind"] == "conformance"]
    assert all(s["steps"] and s["failed_step"] in s["steps"] and s["trace"] for s in evidence)


def test_no_secret_appears_in_any_output_or_log(failing) -> None:  # type: ignore[no-untyped-def]
    report, proc = failing
    files = [p for p in report.rglob("*") if p.is_file()]
    assert any("allure-results" in str(p) for p in files)
    blobs = {str(p): p.read_text(errors="replace") for p in files}
    blobs["console"] = proc.stdout + proc.stderr
    assert "[REDACTED]" in blobs[str(report / "results.json")]  # the secrets were there, and were masked
    for where, text in blobs.items():
        for secret in (*SECRETS, "token-1"):
            assert secret not in text, f"{secret} leaked into {where}"


def test_report_re_renders_the_same_outputs_from_results_json(failing, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report, _ = failing
    copy = tmp_path / "again"
    proc = bru("report", str(report / "results.json"), "--report-dir", str(copy), timeout=120)
    assert proc.returncode == 1, proc.stdout
    for name in ("results.json", "junit.xml", "summary.md", "badge.json", "report.html"):
        assert (copy / name).read_bytes() == (report / name).read_bytes(), name


def test_a_waived_failure_is_shown_as_waived_and_an_expired_or_unknown_waiver_is_a_usage_error(failing, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report, _ = failing
    failed_rules = sorted({r["id"] for r in load(report)["rules"] if r["verdict"] == "failed"})
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n" + "".join(
        f"  - rule: {rid}\n    reason: known gap, fix planned\n    link: https://tracker.example.com/APP-{i}\n    expires: {future}\n"
        for i, rid in enumerate(failed_rules)))
    waived = run(tmp_path / "w", "--adapter", "tests.adapters.leaky_app:factory", "-k", SELECTION, "--waivers", str(waivers))
    document = load(tmp_path / "w")
    assert waived.returncode == 0, waived.stdout[-2000:]
    assert {r["id"] for r in document["rules"] if r["verdict"] == "waived"} == set(failed_rules)
    assert not any(s["outcome"] == "failed" for r in document["rules"] for s in r["scenarios"])
    assert "Waived" in (tmp_path / "w" / "summary.md").read_text() and "known gap" in (tmp_path / "w" / "report.html").read_text()
    badge = json.loads((tmp_path / "w" / "badge.json").read_text())  # never mistaken for a clean pass
    assert "MUST waived" in badge["message"] and badge["color"] not in ("green", "brightgreen")
    junit = ET.parse(tmp_path / "w" / "junit.xml").getroot()
    assert int(junit.get("failures")) == 0 and int(junit.get("skipped")) > 0

    expired = tmp_path / "expired.json"
    expired.write_text(json.dumps({"waivers": [{"rule": "ACK-02", "reason": "old", "link": "https://t.example.com/1",
                                                "expires": "2020-01-01"}]}))
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"waivers": [{"rule": "ACK-99", "reason": "typo", "link": "https://t.example.com/2", "expires": future}]}))
    missing_link = tmp_path / "missing.json"
    missing_link.write_text(json.dumps({"waivers": [{"rule": "ACK-02", "reason": "no link", "expires": future}]}))
    for bad in (expired, unknown, missing_link):
        proc = run(tmp_path / "bad", "--waivers", str(bad), "-k", SELECTION)
        assert proc.returncode == 2, (bad.name, proc.stdout[-500:], proc.stderr[-500:])


def test_a_waiver_on_a_passing_scenario_is_stale_and_fails_the_gate(tmp_path: Path) -> None:
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    waivers = tmp_path / "w.json"
    waivers.write_text(json.dumps({"waivers": [{"rule": "ACT-01", "reason": "was flaky", "link": "https://t.example.com/3", "expires": future}]}))
    proc = run(tmp_path / "r", "--waivers", str(waivers), "-k", "ACT-01")
    document = load(tmp_path / "r")
    assert proc.returncode == 1
    assert any("stale waiver" in reason for reason in document["gate"]["reasons"])
    assert "Stale waivers" in (tmp_path / "r" / "report.html").read_text()
    badge = json.loads((tmp_path / "r" / "badge.json").read_text())
    assert "gate failed (stale waiver)" in badge["message"] and badge["color"] not in ("green", "brightgreen")


def test_strict_makes_should_failures_fail(tmp_path: Path) -> None:
    from bru_conformance.reporting.results import gate

    rules = [{"id": "ACT-16", "level": "should", "verdict": "failed", "scenarios": []}]
    assert gate(rules, 5, 0, strict=False) == ("conformant-with-warnings", [])
    verdict, reasons = gate(rules, 5, 0, strict=True)
    assert verdict == "conformant-with-warnings" and reasons == ["SHOULD rule(s) failed under --strict"]


def test_outputs_stay_inside_the_report_directory_and_are_replaced_atomically(passing, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from bru_conformance.reporting.reports import write_reports

    report, _ = passing
    document = load(report)
    target = tmp_path / "out"
    target.mkdir()
    outside = tmp_path / "outside.html"
    outside.write_text("precious")
    (target / "report.html").symlink_to(outside)  # a planted link must be replaced, not followed
    write_reports(document, target)
    assert outside.read_text() == "precious"
    assert not (target / "report.html").is_symlink() and "conformance report" in (target / "report.html").read_text()
    assert sorted(p.name for p in target.iterdir()) == ["badge.json", "junit.xml", "report.html", "results.json", "summary.md"]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian package: chromium)")
def test_the_html_report_renders_in_headless_chromium(failing, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report, _ = failing
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", (report / "report.html").as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-1000:]
    assert 'id="verdict"' in dom.stdout and "non-conformant" in dom.stdout and 'id="rule-ACK-02"' in dom.stdout
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1200,1600", (report / "report.html").as_uri()],
                   capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000  # a rendered page, not a blank


def _traced(document: dict) -> dict:
    """The first scenario run that carries a trace."""
    return next(s for r in document["rules"] for s in r["scenarios"] if s.get("trace"))


def _broken_variants(document: dict) -> list[tuple[str, dict]]:
    """One document per kind of break the schema forbids, each in a copy of a real results document."""
    import copy

    def first_run(d: dict) -> dict:
        return next(r for r in d["rules"] if r["scenarios"])["scenarios"][0]

    edits = {
        "unknown verdict": lambda d: d.__setitem__("verdict", "nope"),
        "missing required key": lambda d: d.pop("rules"),
        "extra key where none is allowed": lambda d: _traced(d)["trace"][0].__setitem__("surprise", 1),
        "wrong type deep down": lambda d: first_run(d).__setitem__("profile", 7),
        "unknown outcome": lambda d: first_run(d).__setitem__("outcome", "meh"),
        "bad date-time": lambda d: d["run"].__setitem__("started", "yesterday"),
        "bad rule id pattern": lambda d: d["rules"][0].__setitem__("id", "ack-1"),
        "trace event missing seq (a $ref into another schema)": lambda d: _traced(d)["trace"][0].pop("seq"),
    }
    out = []
    for name, edit in edits.items():
        broken = copy.deepcopy(document)
        edit(broken)
        out.append((name, broken))
    return out


def test_the_compiled_results_check_agrees_with_jsonschema(failing) -> None:  # type: ignore[no-untyped-def]
    """The fast path of `validate` (fastjsonschema) decides valid documents alone: it must reject every broken
    document jsonschema rejects, and accept what it accepts."""
    import fastjsonschema

    from bru_conformance.schemas import SchemaError, _compiled, validator

    report, _ = failing
    full = load(report)
    # a few rules are enough (every kind of part is in them) and keep the copies small
    document = {**full, "rules": [r for r in full["rules"] if r["scenarios"]][:3] + [
        next(r for r in full["rules"] if any(s.get("trace") for s in r["scenarios"]))]}
    _compiled("results")(document)
    assert not list(validator("results").iter_errors(document))
    for name, broken in _broken_variants(document):
        assert list(validator("results").iter_errors(broken)), f"jsonschema accepts the {name}"
        with pytest.raises(fastjsonschema.JsonSchemaException):
            _compiled("results")(broken)
        with pytest.raises(SchemaError):
            validate("results", broken)


def test_document_schemas_use_only_keywords_both_drafts_read_alike() -> None:
    from bru_conformance.schemas import load_schema

    same = {"$defs", "$id", "$ref", "$schema", "additionalProperties", "description", "enum", "exclusiveMinimum", "format",
            "items", "maximum", "minItems", "minLength", "minimum", "oneOf", "pattern", "properties", "required", "title", "type"}

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                assert set(node) <= {"$ref", "description", "title"}, f"{where}: $ref with siblings {sorted(node)}"
            for key, value in node.items():
                named = key in ("properties", "$defs")
                assert named or key in same, f"{where}: keyword {key!r}"
                for k, v in (value.items() if named else [(key, value)]):
                    walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}/{i}")

    for name in ("results", "trace-event", "mutants", "waivers", "catalogue"):
        walk(load_schema(name), name)


def test_allure_results_are_the_documents_allure_itself_would_write() -> None:
    """The faster writer's `_plain` gives what allure-python-commons' `attr.asdict(filter=...)` gives."""
    from allure_commons.model2 import Attachment, Label, Link, Parameter, StatusDetails, TestResult, TestResultContainer, TestStepResult
    from attr import asdict

    from bru_conformance.reporting.allure import _plain

    step = TestStepResult(name="Given a step", status="passed", start=1, stop=2,
                          parameters=[Parameter(name="n", value="1", excluded=False)],
                          steps=[TestStepResult(name="inner", status="failed", statusDetails=StatusDetails(message="m", flaky=False))])
    result = TestResult(uuid="u", historyId="h", name="scenario", fullName="f", status="failed", start=1, stop=3,
                        labels=[Label(name="epic", value="ACK"), Label(name="tag", value="")], links=[Link(type="link", url="https://x", name="s")],
                        parameters=[Parameter(name="profile", value="'ios-27.0'")], steps=[step, TestStepResult(name="empty")],
                        attachments=[Attachment(name="trace", source="a.json", type="application/json")],
                        statusDetails=StatusDetails(message="boom", trace="tb", known=False), titlePath=["features", "x"])
    container = TestResultContainer(uuid="c", children=["u"], befores=[], afters=[])
    for item in (result, container, step):
        assert _plain(item) == asdict(item, filter=lambda _, v: v or v is False)


def _allure_tests(report: Path) -> dict[str, dict]:
    tests = {}
    for path in (report / "allure-results").glob("*-result.json"):
        doc = json.loads(path.read_text())
        key = doc["fullName"] + repr(sorted((p["name"], p["value"]) for p in doc.get("parameters", [])))
        tests[key] = doc
    return tests


def _same_run(value: object) -> object:
    """The thread label names the process: another in each run."""
    return [x for x in value if x.get("name") != "thread"] if isinstance(value, list) else value


def test_allure_labels_in_one_update_are_what_the_dynamic_api_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The labels, links and profile parameter written into the open result in one update are the ones (in the
    same order) `allure.dynamic.*` writes; and the steps carry the parameters parsed from their text, not the
    `world` fixture the plugin would record in every step."""
    from bru_conformance.reporting import allure
    from tests.cli import bru

    lean = bru("run", "--report-dir", str(tmp_path / "lean"), "--quiet", "-k", "ACK-05 or LIM-02")
    monkeypatch.setattr(allure, "_lifecycles", lambda: [])
    monkeypatch.setattr(allure, "leaner_steps", lambda: None)
    dynamic = bru("run", "--report-dir", str(tmp_path / "dynamic"), "--quiet", "-k", "ACK-05 or LIM-02")
    assert lean.returncode == dynamic.returncode == 0, lean.stdout[-1000:] + dynamic.stdout[-1000:]
    got, want = _allure_tests(tmp_path / "lean"), _allure_tests(tmp_path / "dynamic")
    assert got.keys() == want.keys() and len(got) >= 4
    for key, doc in got.items():
        for field in ("labels", "links", "parameters", "name", "status"):
            assert _same_run(doc.get(field)) == _same_run(want[key].get(field)), (key, field)
        lean_steps, dynamic_steps = doc["steps"], want[key]["steps"]
        assert [s["name"] for s in lean_steps] == [s["name"] for s in dynamic_steps]
        assert any(p["name"] == "world" for s in dynamic_steps for p in s.get("parameters", []))  # what it drops
        for mine, theirs in zip(lean_steps, dynamic_steps, strict=True):
            assert mine.get("parameters", []) == [p for p in theirs.get("parameters", []) if p["name"] != "world"]


def test_allure_result_files_are_all_made_by_the_writer_process_or_by_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ResultFiles`: what the run hands to the writer process is made whole; if the writer dies on the way or
    cannot start, the run makes every file itself at `close`. No file is lost and none is left half written."""
    import subprocess as sp

    from bru_conformance.reporting.allure_files import ResultFiles

    def files(directory: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in directory.iterdir()}

    payload = {f"{i:04d}-result.json": json.dumps({"n": i, "pad": "x" * (i * 37 % 5000)}).encode() for i in range(300)}
    for case in ("writer", "killed", "no-process"):
        directory = tmp_path / case
        directory.mkdir()
        if case == "no-process":
            def refuse(*args: object, **kwargs: object) -> None:
                raise OSError("no processes here")

            monkeypatch.setattr(sp, "Popen", refuse)
        out = ResultFiles(directory)
        for n, (name, data) in enumerate(payload.items()):
            if case == "killed" and n == 100:
                out._writer.kill()  # type: ignore[union-attr]
                out._writer.wait()  # type: ignore[union-attr]
            out.write(name, data)
        made_here = out.close()
        assert files(directory) == payload, case
        assert (made_here > 0) == (case == "killed"), (case, made_here)  # only a dead writer leaves work to redo
        out.write("late-result.json", b"{}")  # after close: made at once, here
        assert (directory / "late-result.json").read_bytes() == b"{}"
        monkeypatch.undo()


_HAND_OVER = """
import os, sys, json
from pathlib import Path
from bru_conformance.reporting.allure_files import ResultFiles
out = ResultFiles(Path(sys.argv[1]))
for i in range(40):
    out.write(f"{i:03d}-result.json", json.dumps({"n": i}).encode())
print(out._writer.pid, flush=True)
os._exit(1)  # as a killed run ends: no close, no atexit
"""


def test_allure_result_files_handed_over_are_made_even_if_the_run_dies_at_once(tmp_path: Path) -> None:
    """What the run handed to the writer is in the pipe, and the writer (in a session of its own) makes all of it
    when the run ends without closing anything (`os._exit`, a kill)."""
    import select
    import sys

    proc = subprocess.run([sys.executable, "-c", _HAND_OVER, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    fd = os.pidfd_open(int(proc.stdout.strip()))
    try:
        assert select.select([fd], [], [], 60)[0], "the writer did not end after the run died"  # a bound, not a pause
    finally:
        os.close(fd)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{i:03d}-result.json" for i in range(40)]
    assert [json.loads((tmp_path / f"{i:03d}-result.json").read_text())["n"] for i in range(40)] == list(range(40))


def test_a_forked_child_leaves_its_parent_s_allure_writer_alone(tmp_path: Path) -> None:
    """A forked run (`proving.forked`) inherits the parent's open result files: closing them in the child returns at
    once, and the parent's files are all made when the parent closes."""
    from bru_conformance.reporting.allure_files import ResultFiles

    out = ResultFiles(tmp_path)
    for i in range(10):
        out.write(f"{i}-result.json", b"{}")
    import select
    import signal

    pid = os.fork()
    if pid == 0:
        os._exit(0 if out.close() == 0 and out._writer is not None else 1)
    fd = os.pidfd_open(pid)
    try:
        if not select.select([fd], [], [], 60)[0]:  # a bound for a child that waits on its parent's writer
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert out.close() == 0  # the writer made them all
    assert len(list(tmp_path.iterdir())) == 10


def test_a_bru_session_puts_allure_s_own_writer_back_when_it_ends(tmp_path: Path) -> None:
    """The faster Allure writer and the leaner steps are for the conformance session only: a team's session in
    the same process afterwards gets allure-pytest-bdd as installed."""
    import sys

    script = (
        "import sys, pytest, allure_commons.logger as L, allure_pytest_bdd.steps as S\n"
        "before = (L.AllureFileLogger._report_item, S.add_step_parameters, S.get_step_uuid)\n"
        "from bru_conformance.run.runner import RunOptions, pytest_args\n"
        "from pathlib import Path\n"
        "options = RunOptions(report_dir=Path(sys.argv[1]), quiet=True, extra=['-k', 'ACT-07'])\n"
        "code = pytest.main(pytest_args(options))\n"
        "after = (L.AllureFileLogger._report_item, S.add_step_parameters, S.get_step_uuid)\n"
        "print(code, before == after, not hasattr(L.AllureFileLogger, '_bru_fast'))\n")
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "reports")], capture_output=True, text=True, timeout=300)
    assert proc.stdout.strip().splitlines()[-1] == "0 True True", proc.stdout[-2000:] + proc.stderr[-2000:]
    assert list((tmp_path / "reports" / "allure-results").glob("*-result.json"))
