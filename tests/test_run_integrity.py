"""A run never lies, and a team can run it its own way (issue 12). Real subprocesses, real signals, real xdist
workers: an interrupted run, a parallel run against a serial one, merges of runs that are not one run, the
suite from a team's own directory and inside its own pytest session, and what the outputs say."""

from __future__ import annotations

import gc
import json
import os
import re
import select
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.cli import bru as forked_bru

ROOT = Path(__file__).resolve().parents[1]
FAULTY = ROOT / "tests" / "adapters" / "faulty_adapter.py"
APP_SELECTION = "ACT-07 or ACT-13 or ACT-16"  # quick @app scenarios; the first processing call hits the fault
TEAM_ADAPTER = "from bru_conformance import reference\n\n\ndef factory():\n    return reference.implementation()\n"


def bru(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command line in CWD, forked from the warm test process (`tests.cli.bru`); the runs a signal reaches, the
    replay line and the memory measurement below start real interpreters instead."""
    return forked_bru(*args, cwd=cwd, env=env, timeout=600)


def results_of(report: Path) -> dict[str, Any]:
    return json.loads((report / "results.json").read_text(encoding="utf-8"))


def scenarios(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for r in document["rules"] for s in r["scenarios"]]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_exits_130_and_every_output_says_incomplete(tmp_path: Path, signum: int) -> None:
    """The signal arrives while an out-of-process adapter hangs inside a scenario, over a complete earlier
    report: no output may keep saying `conformant`, and the unfinished scenario is never `passed`."""
    report = tmp_path / "reports"
    earlier = bru(tmp_path, "run", "--report-dir", str(report), "--quiet", "--no-allure", "--role", "app",
                  "--profile", "ios-27.0", "-k", "ACT-07")
    assert earlier.returncode == 0 and results_of(report)["verdict"] == "conformant", earlier.stdout[-2000:]

    ready = tmp_path / "ready"
    os.mkfifo(ready)  # the adapter writes to it when it starts hanging: no waiting on the clock
    env = {**os.environ, "BRU_FAULT_FLAG": str(tmp_path / "fault-done"), "BRU_FAULT_READY": str(ready)}
    proc = subprocess.Popen([sys.executable, "-m", "bru_conformance", "run", "--report-dir", str(report), "--quiet",
                             "--no-allure", "--role", "app", "--profile", "ios-27.0", "--adapter-timeout", "300",
                             "--adapter-cmd", f"{sys.executable} {FAULTY} hang", "-k", APP_SELECTION],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env,
                            preexec_fn=_sigint_as_at_a_terminal)
    fd = os.open(ready, os.O_RDONLY | os.O_NONBLOCK)
    try:
        readable, _, _ = select.select([fd], [], [], 120)
        assert readable, "the adapter never reached its hang"
        assert os.read(fd, 64) == b"hanging\n"
    finally:
        os.close(fd)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out[-2000:] + err[-2000:]

    document = results_of(report)
    assert document["verdict"] == "incomplete" and document["run"]["interrupted"]
    assert document["gate"]["passed"] is False and document["gate"]["exit_code"] == 130
    outcomes = [s["outcome"] for s in scenarios(document)]  # this run's: the hung scenario, and nothing after it
    assert "incomplete" in outcomes and "passed" not in outcomes, outcomes
    assert json.loads((report / "badge.json").read_text())["message"] != "conformant"
    assert "incomplete" in json.loads((report / "badge.json").read_text())["message"]
    for name in ("summary.md", "report.html"):
        text = (report / name).read_text(encoding="utf-8")
        assert "incomplete" in text and "verdict: conformant" not in text.lower(), name


def _sigint_as_at_a_terminal() -> None:
    """Undo an inherited "ignore SIGINT" (background jobs, some test runners): a user's Ctrl-C reaches the run."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """A results document without what differs between two runs of the same thing (times, ids, host)."""
    drop_run = {"run_id", "started", "ended", "python", "platform", "replay"}
    rules = [{**r, "scenarios": sorted(({k: v for k, v in s.items() if k != "duration"} for s in r["scenarios"]),
                                       key=lambda s: (s["profile"], s["name"]))} for r in document["rules"]]
    return {**{k: v for k, v in document.items() if k not in ("run", "rules", "seconds", "generated")},
            "run": {k: v for k, v in document["run"].items() if k not in drop_run}, "rules": rules}


def test_two_xdist_workers_give_the_serial_run_s_results(tmp_path: Path) -> None:
    """`--workers 2`: every scenario run comes back from the workers into one document, equal to the serial
    run's apart from times and ids, with the same exit code."""
    selection = ["--profile", "ios-26.1", "--profile", "ios-27.0", "-k", "ACK or CAN or RET"]
    serial = bru(tmp_path, "run", "--report-dir", "serial", "--quiet", "--no-allure", *selection)
    parallel = bru(tmp_path, "run", "--report-dir", "parallel", "--quiet", "--no-allure", "--workers", "2", *selection)
    assert serial.returncode == parallel.returncode == 0, parallel.stdout[-2000:] + parallel.stderr[-2000:]
    one, two = results_of(tmp_path / "serial"), results_of(tmp_path / "parallel")
    assert one["totals"]["executed"] > 50
    assert comparable(two) == comparable(one)
    for name in ("junit.xml", "summary.md", "badge.json", "report.html"):
        assert (tmp_path / "parallel" / name).is_file(), name


def test_merge_refuses_parts_of_different_runs(tmp_path: Path) -> None:
    """Shards of one run merge; results of another profile or reading are refused with exit 2."""
    base = ["--quiet", "--no-allure", "--role", "app", "-k", "ACT"]
    for name, extra in (("a", ["--profile", "ios-27.0", "--shard", "1/2"]), ("b", ["--profile", "ios-27.0", "--shard", "2/2"]),
                        ("other-profile", ["--profile", "ios-26.5", "--shard", "2/2"]),
                        ("other-reading", ["--profile", "ios-27.0", "--shard", "2/2", "--assume", "AMB-02=retry-checks-limit"])):
        proc = bru(tmp_path, "run", "--report-dir", name, *base, *extra)
        assert proc.returncode == 0 and (tmp_path / name / "results.json").exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    parts = [str(tmp_path / p / "results.json") for p in ("a", "b")]
    merged = bru(tmp_path, "merge", *parts, "--report-dir", "merged")
    assert merged.returncode == 0, merged.stdout[-2000:] + merged.stderr[-2000:]
    document = results_of(tmp_path / "merged")
    assert document["totals"]["executed"] == sum(results_of(tmp_path / p)["totals"]["executed"] for p in ("a", "b"))
    for odd in ("other-profile", "other-reading"):
        refused = bru(tmp_path, "merge", parts[0], str(tmp_path / odd / "results.json"), "--report-dir", f"refused-{odd}")
        assert refused.returncode == 2, refused.stdout[-2000:] + refused.stderr[-2000:]
        assert not (tmp_path / f"refused-{odd}" / "results.json").exists()


def test_an_adapter_module_in_the_current_directory_is_found_and_the_replay_line_works(tmp_path: Path) -> None:
    (tmp_path / "team_adapter.py").write_text(TEAM_ADAPTER)
    proc = bru(tmp_path, "run", "--adapter", "team_adapter:factory", "--report-dir", "reports", "--quiet", "--no-allure",
               "--role", "app", "--profile", "ios-27.0", "-k", "ACT-07")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    document = results_of(tmp_path / "reports")
    assert document["verdict"] == "conformant" and "team_adapter:factory" in document["run"]["replay"]
    replay = document["run"]["replay"]
    assert replay.startswith("bru-conformance run")
    again = subprocess.run([sys.executable, "-m", "bru_conformance", *replay.split()[1:], "--report-dir", "again", "--quiet",
                            "--no-allure", "-k", "ACT-07"], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    checked = bru(tmp_path, "adapter-check", "--adapter", "team_adapter:factory")
    assert checked.returncode == 0 and "speaks the protocol" in checked.stdout, checked.stdout + checked.stderr


def test_the_suite_runs_inside_a_team_s_own_pytest_session(tmp_path: Path) -> None:
    """The pytest plugin: a team's test module imports the bundled scenarios; `pytest --bru …` writes the same
    kind of results as the CLI, and the team's own tests in that session run as usual."""
    (tmp_path / "team_adapter.py").write_text(TEAM_ADAPTER)
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_photokit_conformance.py").write_text("from bru_conformance.suite.test_conformance import *  # noqa: F401,F403\n")
    (tests / "test_own.py").write_text("import gc\n\n\ndef test_the_team_s_own_test():\n    assert 1 + 1 == 2\n"
                                       "    assert gc.get_threshold()[0] < 20_000  # the run's collection tuning is for its scenarios only\n"
                                       "    assert gc.get_threshold()[2] < 1_000  # and for sessions of the catalogue's alone\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--bru", "--bru-adapter", "team_adapter:factory",
                           "--bru-report-dir", "reports", "--bru-role", "app", "--bru-profile", "ios-27.0",
                           "-k", "ACT-07 or team_s_own", "tests"], capture_output=True, text=True, cwd=tmp_path, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    document = results_of(tmp_path / "reports")
    assert document["verdict"] == "conformant" and document["totals"]["executed"] >= 1
    passed = re.search(r"\b(\d+) passed", proc.stdout)
    assert passed and int(passed.group(1)) == document["totals"]["executed"] + 1, proc.stdout[-1000:]  # + the team's own
    assert (tmp_path / "reports" / "junit.xml").is_file()


def test_outline_rows_keep_their_values_and_the_outputs_read_cleanly(tmp_path: Path) -> None:
    """Scenario Outline rows are named with their values (no `<placeholder>`, no two JUnit test cases of one
    name); Markdown carries no HTML entities; a not-applicable rule says why; the `reports:` line lists every
    output; `--no-allure` removes an older allure-results/."""
    report = tmp_path / "reports"
    (report / "allure-results").mkdir(parents=True)
    (report / "allure-results" / "old-result.json").write_text("{}")
    proc = bru(tmp_path, "run", "--report-dir", str(report), "--no-allure", "--profile", "ios-26.1", "--profile", "ios-27.0")
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert not (report / "allure-results").exists()
    document = results_of(report)
    runs = scenarios(document)
    assert runs and not [s["name"] for s in runs if re.search(r"<[a-z_ ]+>", s["name"])]
    assert any(s["name"] != s.get("outline", s["name"]) for s in runs), "no outline row in the run: the check proves nothing"
    names = [(c.get("classname"), c.get("name")) for c in ET.parse(report / "junit.xml").getroot().iter("testcase")]
    assert len(names) == len(runs) and len(names) == len(set(names)), "JUnit test cases share a name"
    summary = (report / "summary.md").read_text(encoding="utf-8")
    assert not re.search(r"&(amp|lt|gt|quot|#\d+);", summary), "HTML entities in Markdown"
    unexplained = [r["id"] for r in document["rules"] if r["verdict"] == "not-applicable" and not r.get("not_applicable")]
    assert not unexplained, f"not-applicable without a reason: {unexplained}"
    assert "Other: rules not applicable" in (report / "report.html").read_text(encoding="utf-8")  # the column's legend
    listed = re.search(r"reports: \S+ \(([^)]*)\)", proc.stdout)
    assert listed is not None
    for name in ("results.json", "junit.xml", "report.html", "summary.md", "badge.json"):
        assert name in listed.group(1), name


@pytest.mark.parametrize(("factory", "words"), [
    ("factory", "the processing call ended with nothing (killed)"),  # inside a call: the SYSTEM's runtime limit
    ("host_factory", "exceeded its budget of 250,000 boundary calls"),  # outside any call: the harness's budget
])
def test_an_app_that_works_without_end_costs_one_failed_scenario_not_the_run(tmp_path: Path, factory: str, words: str) -> None:
    """An APP stuck in a loop once made the harness grow to 12 GB; now each scenario's cost is bounded, the
    failure says why, and the next scenario runs."""
    # a fresh process between: its children's peak RSS is this run's alone
    measure = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")
    proc = subprocess.run([sys.executable, "-c", measure, sys.executable, "-m", "bru_conformance", "run", "--adapter",
                           f"tests.adapters.endless_app:{factory}", "--report-dir", "reports", "--quiet", "--no-allure",
                           "--role", "app", "--profile", "ios-27.0", "-k", "ACT-07 or ACT-13"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    runs = scenarios(results_of(tmp_path / "reports"))
    assert len(runs) == 2 and all(s["outcome"] == "failed" and words in s["message"] for s in runs), runs
    peak_mb = int(proc.stderr.strip().splitlines()[-1]) / (1024 * 1024 if sys.platform == "darwin" else 1024)
    assert peak_mb < 1024, f"the run's peak RSS reached {peak_mb:.0f} MB"


def test_a_broken_feature_file_or_an_unusable_report_dir_is_a_usage_error_before_the_run(tmp_path: Path) -> None:
    features = tmp_path / "features"
    features.mkdir()
    (features / "broken.feature").write_text("Feature: broken\n  Rule: ACT-01 something\n    Scenario: x\n      Given\n  Nonsense here\n")
    proc = bru(tmp_path, "run", "--features", str(features), "--report-dir", "reports", "--quiet", "--no-allure")
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert re.search(r"broken\.feature:\d+", proc.stdout + proc.stderr) and "Traceback" not in proc.stdout + proc.stderr
    (tmp_path / "a-file").write_text("not a directory")
    proc = bru(tmp_path, "run", "--report-dir", "a-file", "--quiet", "--no-allure", "-k", "ACT-07")
    assert proc.returncode == 2 and "Traceback" not in proc.stdout + proc.stderr, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (tmp_path / "a-file").read_text() == "not a directory"


@pytest.mark.parametrize(("how", "args"), [
    ("missing module", ["--adapter", "no_such_team_module:factory"]),
    ("raising factory", ["--adapter", "raising_adapter:factory"]),  # a missing program: test_adapter_faults
    ("garbage at start-up", ["--adapter-cmd", f"{sys.executable} -c \"print('hello, I am not JSON-RPC')\""]),
])
def test_an_adapter_that_cannot_start_stops_the_run_with_one_line(tmp_path: Path, how: str, args: list[str]) -> None:
    (tmp_path / "raising_adapter.py").write_text("def factory():\n    raise RuntimeError('no licence key')\n")
    report = tmp_path / "reports"
    proc = bru(tmp_path, "run", "--report-dir", str(report), "--quiet", "--no-allure", "--role", "app", "--profile", "ios-27.0",
               "-k", "ACT-07", *args)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3, out[-2000:]
    assert "Traceback" not in out and "INTERNALERROR" not in out, out[-3000:]
    assert [line for line in out.splitlines() if "the implementation under test could not start" in line], out[-2000:]
    assert not (report / "results.json").exists()


@pytest.mark.parametrize("collected", [True, False], ids=["as-built", "without-the-collection-per-run"])
def test_each_scenario_s_world_is_freed_before_the_next_run_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  collected: bool) -> None:
    """A world is a web of reference cycles, so only the cyclic collector frees it; the plugin collects the youngest
    generation when a scenario run ends, so the heap does not fill with dead worlds for the oldest generation's
    collections to walk. Checked with a weak reference per world (tests/plugins/worlds_freed.py); and without that
    collection the same check fails, so it can."""
    from bru_conformance.run import heap
    if not collected:
        def leave_the_collector_alone(item: Any, nextitem: Any) -> Any:
            return (yield)

        monkeypatch.setattr(heap, "pytest_runtest_protocol", pytest.hookimpl(wrapper=True)(leave_the_collector_alone))
    counts = tmp_path / "freed.json"
    proc = bru(tmp_path, "run", "--report-dir", str(tmp_path / "r"), "--no-allure", "--quiet", "--role", "system",
               "--profile", "ios-27.0", "-p", "tests.plugins.worlds_freed", "-k", "LIM or ACK",
               env={**os.environ, "BRU_TEST_WORLDS_FREED": str(counts), "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    got = json.loads(counts.read_text(encoding="utf-8"))
    assert got["runs"] >= 20, got
    if collected:
        assert got["freed"] == got["runs"], f"{got['runs'] - got['freed']} of {got['runs']} worlds outlived their run"
    else:
        assert got["freed"] < got["runs"] / 2, got


@pytest.mark.parametrize("tuned", [True, False], ids=["as-built", "without-the-session-tuning"])
def test_a_catalogue_run_collects_its_oldest_generation_only_at_the_end_and_writes_results_with_the_collector_off(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tuned: bool) -> None:
    """A session of the catalogue's scenarios alone raises the oldest generation's threshold from collection to its
    end (its worlds die young: a full collection there walked the run's outcomes to free next to nothing) and writes
    its results with the collector off; the thresholds and the collector are put back when it ends. Seen from inside the run by
    tests/plugins/collector_seen.py; without the tuning the same check fails, so it can."""
    from bru_conformance.run import heap
    if not tuned:
        def collect_and_freeze(session: Any) -> None:
            gc.collect()
            gc.freeze()

        def leave_the_end_alone(session: Any, exitstatus: Any) -> Any:
            return (yield)

        monkeypatch.setattr(heap, "pytest_collection_finish", collect_and_freeze)
        monkeypatch.setattr(heap, "pytest_sessionfinish", pytest.hookimpl(wrapper=True, tryfirst=True)(leave_the_end_alone))
    seen_file = tmp_path / "seen.json"
    proc = bru(tmp_path, "run", "--report-dir", str(tmp_path / "r"), "--no-allure", "--quiet", "--role", "system",
               "--profile", "ios-27.0", "-p", "tests.plugins.collector_seen", "-k", "LIM or ACK",
               env={**os.environ, "BRU_TEST_COLLECTOR_SEEN": str(seen_file), "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert results_of(tmp_path / "r")["verdict"] == "conformant"
    seen = json.loads(seen_file.read_text(encoding="utf-8"))
    default = gc.get_threshold()[2]
    assert len(seen["oldest_threshold_in_runs"]) >= 20 and seen["oldest_threshold_after"] == default, seen
    assert seen["enabled_after"] is True, seen
    if tuned:
        assert set(seen["oldest_threshold_in_runs"]) == {max(default, 1_000)}, seen
        assert seen["enabled_at_finish"] is False and seen["oldest_collections"] == 0, seen
    else:
        assert set(seen["oldest_threshold_in_runs"]) == {default} and seen["enabled_at_finish"] is True, seen


def test_pytest_addopts_of_the_environment_does_not_narrow_a_run(tmp_path: Path) -> None:
    """A CI that sets PYTEST_ADDOPTS for its own tests: the conformance run checks what its command line says, and
    says that it ignored the variable."""
    selection = ("--role", "app", "--profile", "ios-27.0")  # a `-k` here would win over the variable's anyway
    without = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    plain = bru(tmp_path, "run", "--report-dir", "plain", "--quiet", "--no-allure", *selection, env=without)
    env = {**without, "PYTEST_ADDOPTS": "-k ACT-07"}
    narrowed = bru(tmp_path, "run", "--report-dir", "env", "--quiet", "--no-allure", *selection, env=env)
    assert plain.returncode == narrowed.returncode == 0, narrowed.stdout[-2000:] + narrowed.stderr[-2000:]
    executed = [results_of(tmp_path / name)["totals"]["executed"] for name in ("plain", "env")]
    assert executed[0] == executed[1] > 50, executed
    assert "PYTEST_ADDOPTS ('-k ACT-07') is ignored" in narrowed.stderr
    assert "PYTEST_ADDOPTS" not in plain.stderr
