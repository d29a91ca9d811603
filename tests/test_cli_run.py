"""`bru-conformance run` end to end: reports, exit codes, profiles, assumptions (real subprocesses)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bru_conformance.assumptions import SWITCHES, alternative_runs
from bru_conformance.schemas import validate
from tests.cli import bru


def run(tmp_path: Path, *args: str) -> tuple[int, str, dict | None]:
    report = tmp_path / "reports"
    proc = bru("run", "--report-dir", str(report), "--quiet", "--no-allure", *args, cwd=tmp_path)
    results = report / "results.json"
    return proc.returncode, proc.stdout + proc.stderr, json.loads(results.read_text()) if results.exists() else None


@pytest.mark.slow
def test_default_run_passes_every_profile_and_writes_valid_results(tmp_path: Path) -> None:
    code, out, results = run(tmp_path)
    assert code == 0, out[-3000:]
    assert results is not None
    validate("results", results)
    assert results["verdict"] == "conformant"
    assert results["run"]["profiles"] == ["ios-26.1", "ios-26.4", "ios-26.5", "ios-27.0", "macos-27.0",
                                          "interop-3", "interop-5", "interop-6", "interop-7", "interop-8"]
    assert results["run"]["roles"] == ["system", "app", "server"]
    assert results["totals"]["scenarios"].get("failed", 0) == 0 and results["totals"]["executed"] > 100
    profiles_seen = {s["profile"] for r in results["rules"] for s in r["scenarios"]}
    assert profiles_seen == set(results["run"]["profiles"])
    assert "conformance by area" in out and "wall " in out and "gate: passed" in out


@pytest.mark.slow
@pytest.mark.parametrize("readings", alternative_runs(), ids=lambda r: f"{len(r)} switches, e.g. AMB-02={r['AMB-02']}")
def test_the_reference_passes_under_every_reading_the_cli_accepts(tmp_path: Path, readings: dict[str, str]) -> None:
    """Issue 10: every reading of every switch, in as few runs as cover them all, whole suite, every profile,
    with the field observations too (they never change a verdict)."""
    args = [a for amb, reading in readings.items() for a in ("--assume", f"{amb}={reading}")]
    code, out, results = run(tmp_path, *args, "--field")
    assert code == 0, out[-3000:]
    assert results is not None and results["verdict"] == "conformant"
    assert results["run"]["non_default_assumptions"] == readings
    assert results["field"]["included"] and results["field"]["runs"]


def test_every_reading_is_covered_by_the_alternative_runs() -> None:
    covered = {(amb, reading) for run_ in alternative_runs() for amb, reading in run_.items()}
    every = {(amb, reading) for amb, s in SWITCHES.items() if s.selectable for reading in s.choices if reading != s.default}
    assert every <= covered


def test_a_run_that_executes_nothing_fails_and_keeps_the_previous_reports(tmp_path: Path) -> None:
    code, out, results = run(tmp_path, "--profile", "ios-26.1", "-k", "no_scenario_has_this_name")
    assert code == 3 and results is None and "no scenario was executed" in out, out
    code, out, before = run(tmp_path, "--profile", "ios-26.1", "-k", "ACK-01")
    assert code == 0 and before is not None
    stamp = (tmp_path / "reports" / "results.json").stat().st_mtime_ns
    code, out, after = run(tmp_path, "--profile", "ios-26.1", "-k", "no_scenario_has_this_name")
    assert code == 3 and "left as they were" in out, out
    assert after == before and (tmp_path / "reports" / "results.json").stat().st_mtime_ns == stamp


def test_one_profile_and_one_role(tmp_path: Path) -> None:
    code, out, results = run(tmp_path, "--profile", "ios-26.1", "--role", "app", "-k", "ACT or activation or enables")
    assert code == 0, out[-2000:]
    assert results is not None
    ran = [s for r in results["rules"] for s in r["scenarios"]]
    assert ran and {s["profile"] for s in ran} == {"ios-26.1"}
    assert all("app" in r["roles"] for r in results["rules"] if r["scenarios"])


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run(tmp_path, "--profile", "ios-25.0")[0] == 2
    assert run(tmp_path, "--assume", "AMB-02=sometimes")[0] == 2
