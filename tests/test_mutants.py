"""The mutant catalogue (reference_impl.mutants) and the kill matrix of `bru-conformance mutants`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bru_conformance import catalogue
from bru_conformance.adapters import load_implementation
from bru_conformance.proving.mutation import coverage, required_rules, run_matrix, status_of
from bru_conformance.reporting.reports import render
from bru_conformance.schemas import validator
from reference_impl.mutants import NO_MUTANT, all_mutants
from tests.cli import bru


def test_every_required_rule_has_a_mutant_or_a_stated_reason() -> None:
    cov = coverage()
    assert cov["missing"] == [], f"required rules with neither a mutant nor a NO_MUTANT reason: {cov['missing']}"
    targeted = {rule for m in all_mutants() for rule in m.rules}
    assert not targeted & set(NO_MUTANT), "a rule with a mutant must not be excused in NO_MUTANT"
    assert set(NO_MUTANT) <= set(required_rules()), "NO_MUTANT lists only required rules"
    assert all(reason.strip() for reason in NO_MUTANT.values())


def test_mutants_declare_known_rules_of_their_role() -> None:
    rules = {r.id: r for r in catalogue.load().rules}
    names = set()
    for m in all_mutants():
        assert m.name not in names and m.name.isidentifier()
        names.add(m.name)
        assert m.role in ("system", "app", "server") and m.rules and m.description
        for rule in m.rules:
            assert rule in rules, f"{m.name}: unknown rule {rule}"
            assert m.role in rules[rule].roles, f"{m.name} ({m.role}) targets {rule} of roles {rules[rule].roles}"


@pytest.mark.parametrize("mutant", all_mutants(), ids=lambda m: m.name)
def test_each_mutant_is_an_ordinary_adapter(mutant) -> None:  # type: ignore[no-untyped-def]
    impl = load_implementation(mutant.adapter)
    assert impl.roles == (mutant.role,)


def test_kill_matrix_statuses() -> None:
    assert status_of(True, True, None) == "killed"
    assert status_of(True, False, None) == "killed-by-others"
    assert status_of(False, False, None) == "survived"
    assert status_of(True, True, "boom") == "error"


def _doc(rows: list[dict]) -> dict:
    return {"suite_version": "0", "profiles": ["ios-26.1"], "workers": 1, "seconds": 1.0,
            "totals": {"killed": 1, "killed-by-others": 0, "survived": 0, "error": 0}, "mutants": rows}


ROW = {"name": "retry_twice", "role": "system", "description": "d", "targets": ["RET-01"], "profiles": ["ios-26.1"],
       "failed_rules": ["RET-01"], "killed": True, "blamed_right": True, "status": "killed", "error": None, "seconds": 1.0}


def test_mutants_command_writes_the_matrix_into_mutants_json_and_the_reports(tmp_path: Path) -> None:
    validator("mutants").validate(_doc([ROW]))
    bru("run", "--quiet", "--no-allure", "--report-dir", str(tmp_path), "-k", "ACK-01")
    proc = bru("mutants", "--only", "retry_twice", "--only", "job_limit_7", "--profile", "ios-26.1", "--report-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "retry_twice" in proc.stdout and "1 killed by their target" in proc.stdout
    assert "job_limit_7" in proc.stdout and "1 controls: 1 passed" in proc.stdout
    matrix = json.loads((tmp_path / "mutants.json").read_text(encoding="utf-8"))
    validator("mutants").validate(matrix)
    assert matrix["mutants"][0]["status"] == "killed" and "RET-01" in matrix["mutants"][0]["failed_rules"]
    assert matrix["controls"][0]["status"] == "passed" and matrix["holds"] is True
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    validator("results").validate(results)
    assert results["mutants"][0]["name"] == "retry_twice" and results["controls"][0]["name"] == "job_limit_7"
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "Mutation kill matrix" in html and "Positive controls" in html and "job_limit_7" in html
    assert "| retry_twice | system | RET-01 |" in summary and "| job_limit_7 | system |" in summary
    rendered = render(results)
    assert b"retry_twice" in rendered["report.html"]


def test_an_unknown_mutant_is_a_usage_error(tmp_path: Path) -> None:
    proc = bru("mutants", "--only", "no_such", "--report-dir", str(tmp_path))
    assert proc.returncode == 2 and "no_such" in proc.stderr


@pytest.mark.slow
def test_every_mutant_is_killed_by_its_targeted_rule() -> None:
    # Only the targeted rules' scenarios run per mutant (the full matrix, `bru-conformance mutants`,
    # also lists every unrelated rule that fails, and takes about 4 minutes on 2 cores).
    document = run_matrix(all_mutants(), workers=2, targets_only=True)
    validator("mutants").validate(document)
    bad = {r["name"]: (r["status"], r["targets"], r["failed_rules"], r["error"]) for r in document["mutants"]
           if r["status"] != "killed"}
    assert not bad, f"mutants not killed by their targeted rule: {bad}"
