"""Stateful exploration (bru_conformance.explore): the reference passes, broken adapters and the mutants
its invariants cover are found, and every counterexample is a catalogue-valid feature file that
`bru-conformance run --features DIR` replays on its own (failing on the broken adapter, passing on the
reference)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bru_conformance import explore as ex
from bru_conformance.catalogue import load

ROOT = Path(__file__).resolve().parents[1]


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "bru_conformance", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300)


@pytest.mark.parametrize("role", ["system", "app"])
def test_reference_passes_exploration(role: str, tmp_path: Path) -> None:
    out = ex.explore(role, ex.make_config(None), budget=40, seed=7, report_dir=tmp_path)
    assert out.error is None and out.counterexample is None, out.counterexample or out.error
    assert out.steps > 200
    assert not (tmp_path / "counterexamples").exists()


SERVED_MUTANT = f"{sys.executable} -m bru_conformance serve-reference --role system --mutant limit_off_by_one"


@pytest.mark.parametrize(("adapter", "role", "rules"), [
    (("--adapter", "tests.adapters.off_by_one_system:factory"), "system", {"CRE-07", "LIM-01"}),
    (("--adapter", "tests.adapters.unacknowledging_app:factory"), "app", {"TER-07", "ACK-02", "PRO-04"}),
    (("--adapter-cmd", SERVED_MUTANT), "system", {"CRE-07", "LIM-01"}),  # out-of-process, through the wire
], ids=["in-process-system", "in-process-app", "out-of-process-system"])
def test_broken_adapter_gives_a_replayable_counterexample(adapter: tuple[str, str], role: str, rules: set[str], tmp_path: Path) -> None:
    found = cli(tmp_path, "explore", *adapter, "--budget", "100", "--seed", "1", "--report-dir", "out")
    assert found.returncode == 1, found.stdout + found.stderr
    assert "COUNTEREXAMPLE" in found.stdout
    directory = tmp_path / "out" / "counterexamples"
    files = list(directory.glob("*.feature"))
    assert [f.name for f in files] == [f"{role}-1.feature"]
    catalogue = load(directory)
    assert catalogue.problems == []
    assert len(catalogue.rules) == 1 and catalogue.rules[0].id in rules and catalogue.rules[0].roles == [role]
    assert catalogue.rules[0].level == "must" and len(catalogue.rules[0].scenarios) == 1
    assert f"--adapter{'-cmd' if adapter[0] == '--adapter-cmd' else ''} " in files[0].read_text(encoding="utf-8")  # replay line
    broken = cli(tmp_path, "run", "--features", str(directory), *adapter, "--report-dir", "r1", "--quiet", "--no-allure")
    assert broken.returncode == 1, broken.stdout[-2000:] + broken.stderr[-2000:]
    assert "1 failed" in broken.stdout
    reference = cli(tmp_path, "run", "--features", str(directory), "--report-dir", "r2", "--quiet", "--no-allure")
    assert reference.returncode == 0, reference.stdout[-2000:] + reference.stderr[-2000:]
    assert "1 passed" in reference.stdout


def test_explore_cli_exits_zero_on_the_reference_and_bench_prints_steps_per_second(tmp_path: Path) -> None:
    ok = cli(tmp_path, "explore", "--budget", "15", "--seed", "3", "--report-dir", "out")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "system:" in ok.stdout and "app:" in ok.stdout and "no invariant failed" in ok.stdout
    bench = cli(tmp_path, "explore", "--bench", "--budget", "20")
    assert bench.returncode == 0 and "steps/s " in bench.stdout


def test_every_mutant_is_declared_found_or_out_of_reach() -> None:
    """reference_impl/mutants/explored.py names each mutant once: in the invariants' reach (with a budget) or not (with why)."""
    from reference_impl.mutants import all_mutants
    from reference_impl.mutants.explored import FOUND_WITHIN, OUT_OF_REACH

    names = {m.name for m in all_mutants()}
    assert set(FOUND_WITHIN) & set(OUT_OF_REACH) == set()
    assert set(FOUND_WITHIN) | set(OUT_OF_REACH) == names, (
        f"undeclared: {sorted(names - set(FOUND_WITHIN) - set(OUT_OF_REACH))}; "
        f"unknown: {sorted((set(FOUND_WITHIN) | set(OUT_OF_REACH)) - names)}")
    assert all(isinstance(b, int) and 0 < b <= 1000 for b in FOUND_WITHIN.values())
    assert all(len(reason) > 40 for reason in OUT_OF_REACH.values())


def _in_reach() -> list[str]:
    from reference_impl.mutants.explored import FOUND_WITHIN

    return sorted(FOUND_WITHIN)


@pytest.mark.parametrize("name", _in_reach())
def test_exploration_finds_each_mutant_in_reach(name: str) -> None:
    """Seed 0, the declared budget, no shrinking: the first failing sequence is proof enough that it is found."""
    (finding,) = list(ex.find_mutants([name], seed=0))
    assert finding.outcome.error is None, finding.outcome.error
    assert finding.found, f"exploration missed {name} ({', '.join(finding.rules)}) within {finding.budget} examples"


def test_explore_mutants_cli_reports_each_finding(tmp_path: Path) -> None:
    """`explore --mutants`, the command that measured the declaration, prints one line per mutant and exits 0."""
    from reference_impl.mutants.explored import FOUND_WITHIN

    done = cli(tmp_path, "explore", "--mutants")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert done.stdout.count("found   ") == len(FOUND_WITHIN)
    assert f"{len(FOUND_WITHIN)} of {len(FOUND_WITHIN)} mutants in the invariants' reach found, 0 missed" in done.stdout
