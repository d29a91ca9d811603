"""Plugging implementations in: in-process (`--adapter`) and out-of-process (`--adapter-cmd`)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(tmp_path: Path, *args: str) -> tuple[int, str, dict]:
    report = tmp_path / "reports"
    proc = subprocess.run([sys.executable, "-m", "bru_conformance", "run", "--quiet", "--no-allure", "--report-dir", str(report), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)
    path = report / "results.json"
    return proc.returncode, proc.stdout + proc.stderr, json.loads(path.read_text()) if path.exists() else {}


def scenario_outcomes(results: dict) -> list[tuple[str, str, str]]:
    return sorted((r["id"], s["name"], f"{s['profile']}:{s['outcome']}") for r in results["rules"] for s in r["scenarios"])


def test_an_in_process_adapter_runs_only_its_role_and_declared_profiles(tmp_path: Path) -> None:
    code, out, results = run(tmp_path, "--adapter", "tests.adapters.app_only:factory", "-k", "ACT or CON")
    assert code == 1, out[-3000:]  # MUST rules in undeclared profiles are unchecked: the claim is partial
    assert results["verdict"] == "partial" and not results["gate"]["passed"]
    assert results["run"]["adapter"] == {"name": "app-only example", "version": "9.9", "roles": ["app"]}
    ran = [(r, s) for r in results["rules"] for s in r["scenarios"]]
    assert ran and all("app" in r["roles"] for r, _ in ran)
    assert {s["profile"] for _, s in ran if s["outcome"] == "passed"} == {"ios-27.0"}
    assert {s["outcome"] for _, s in ran if s["profile"] != "ios-27.0"} == {"unsupported"}


@pytest.mark.slow
@pytest.mark.parametrize("role", ["app", "system"])
def test_the_reference_out_of_process_passes_exactly_as_in_process(tmp_path: Path, role: str) -> None:
    code_in, out_in, inside = run(tmp_path / "in", "--role", role)
    serve = f"{sys.executable} -m bru_conformance serve-reference --role {role}"
    code_out, out_out, outside = run(tmp_path / "out", "--role", role, "--adapter-cmd", serve)
    assert code_in == 0, out_in[-3000:]
    assert code_out == 0, out_out[-3000:]
    assert scenario_outcomes(inside) == scenario_outcomes(outside)
    assert outside["run"]["adapter"]["name"].startswith("bru-conformance reference")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_node_example_app_passes_the_app_scenarios(tmp_path: Path) -> None:
    code, out, results = run(tmp_path, "--role", "app", "--adapter-cmd", f"node {ROOT / 'examples' / 'node-app' / 'main.js'}")
    assert code == 0, out[-3000:]
    assert results["verdict"] == "conformant" and results["totals"]["executed"] > 100
    assert results["run"]["adapter"]["roles"] == ["app"]
