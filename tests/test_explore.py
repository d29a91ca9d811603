"""Stateful exploration (bru_conformance.proving.explore): the reference passes, broken adapters and the mutants
its invariants cover are found, and every counterexample is a catalogue-valid feature file that
`bru-conformance run --features DIR` replays on its own (failing on the broken adapter, passing on the
reference)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from bru_conformance.assumptions import Assumptions
from bru_conformance.catalogue import load
from bru_conformance.proving import EXPLORE_BUDGET
from bru_conformance.proving import explore as ex
from bru_conformance.proving.counterexample import Counterexample, render
from tests.cli import bru

ROOT = Path(__file__).resolve().parents[1]


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return bru(*args, cwd=cwd, env=env, timeout=300)


@pytest.mark.parametrize("role", ["system", "app"])
def test_reference_passes_exploration(role: str, tmp_path: Path) -> None:
    out = ex.explore(role, ex.make_config(None), budget=40, seed=7, report_dir=tmp_path)
    assert out.error is None and out.counterexample is None, out.counterexample or out.error
    assert out.steps > 200
    assert not (tmp_path / "counterexamples").exists()


def test_an_exploration_leaves_no_world_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every example's world (its trace, app and SYSTEM) is garbage once the example ends, whether the exploration
    passed or found a violation. Kept alive, the worlds of one test file's explorations held 1.5 million objects
    in the test worker, which made every later forked run there (the mutation matrix) three to five times
    slower."""
    from bru_conformance.proving.explore.base import Machine

    built: list[weakref.ref[object]] = []
    original = Machine._build

    def build(self: Machine, profile: str) -> object:
        world = original(self, profile)
        built.append(weakref.ref(world))
        return world

    monkeypatch.setattr(Machine, "_build", build)
    passed = ex.explore("system", ex.make_config(None), budget=10, seed=3)
    found = next(ex.find_mutants(names=["limit_off_by_one"]))
    assert passed.counterexample is None and found.found and len(built) > 10
    del passed, found
    gc.collect()
    alive = sum(1 for ref in built if ref() is not None)
    assert alive == 0, f"{alive} of {len(built)} worlds outlived their exploration"


def test_an_exploration_collects_its_oldest_generation_rarely_and_puts_the_thresholds_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """While an exploration runs the oldest generation's threshold is raised (its full collections walked
    Hypothesis's choice tree to free little), as seen at every step the machines take; after it, and after one
    that found a violation, the thresholds are what they were."""
    from bru_conformance.proving.explore import driver
    from bru_conformance.proving.explore.base import Machine

    seen: set[int] = set()
    original = Machine.step

    def step(self: Machine, *args: object, **kwargs: object) -> object:
        seen.add(gc.get_threshold()[2])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Machine, "step", step)
    before = gc.get_threshold()
    try:
        passed = ex.explore("system", ex.make_config(None), budget=10, seed=3)
        after_pass = gc.get_threshold()
        found = next(ex.find_mutants(names=["limit_off_by_one"]))
        after_violation = gc.get_threshold()
    finally:
        gc.set_threshold(*before)  # the worker's collector as it was, whatever happened
    assert passed.counterexample is None and found.found
    assert after_pass == after_violation == before
    assert seen == {max(before[2], driver.OLDEST_THRESHOLD)}, seen


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
    assert all(isinstance(b, int) and 0 < b <= EXPLORE_BUDGET for b in FOUND_WITHIN.values()), "every declared budget is within `explore`'s default"
    assert all(len(reason) > 40 for reason in OUT_OF_REACH.values())


#: mutants of the issue-11 blind spots, each found only by what the machines were extended with, and words its
#: counterexample must hold: work inside a call, a mixed block at the limit, conditions restored later, calls of
#: one extension process, a jobLimit no constant matches
EXTENDED = {
    "retry_in_call_never_started": "in its next processing call the extension retries job",
    "refused_block_keeps_changes": "cancels job",
    "missed_call_never_rescheduled": "the system calls the extension within the patience horizon",
    "runtime_limit_from_launch": "within each extension process a call was killed only if",
    "app_reads_limit_assumes_50": "the system's jobLimit is",
}


@pytest.mark.parametrize("name", sorted(EXTENDED))
def test_extended_machines_write_counterexamples_that_replay(name: str, tmp_path: Path) -> None:
    """A counterexample of the extended machines (shrunk, written from the step texts) replays with `run` on its
    own: it fails on the mutant it was found on and passes on the reference."""
    from reference_impl.mutants import get

    mutant = get(name)
    config = ex.Config(mutant.implementation(), Assumptions.parse(list(mutant.assume)), [], mutant.adapter)
    # 12 steps an example (the command's default is 25): each of these is found as surely, and shrinking a
    # shorter first failure costs a third of the time (measured with Hypothesis's explain phase, since dropped: 31 s
    # against 90 s for the five)
    out = ex.explore(mutant.role, config, budget=100, seed=0, steps_per_example=12, report_dir=tmp_path / "out")
    assert out.path is not None, out.error
    text = out.path.read_text(encoding="utf-8")
    assert EXTENDED[name] in text and f"--adapter {mutant.adapter}" in text
    directory = out.path.parent
    assert load(directory).problems == []
    broken = cli(tmp_path, "run", "--features", str(directory), "--adapter", mutant.adapter, "--report-dir", "r1", "--quiet", "--no-allure")
    assert broken.returncode == 1 and "1 failed" in broken.stdout, broken.stdout[-2000:] + broken.stderr[-2000:]
    reference = cli(tmp_path, "run", "--features", str(directory), "--report-dir", "r2", "--quiet", "--no-allure")
    assert reference.returncode == 0 and "1 passed" in reference.stdout, reference.stdout[-2000:] + reference.stderr[-2000:]


def test_counterexample_keeps_the_rule_level() -> None:
    """A SHOULD rule's counterexample is tagged @should (not @must) and its replay line asks for --strict."""
    ce = Counterexample("app", 0, "RET-05", "a retry refused", "ios-26.1", [("Given", "the library holds a photo \"p1\"")],
                        {"AMB-02": "retry-checks-limit"}, None, "should")
    text = render(ce)
    assert "  @should @app @src:ART" in text and "@must" not in text
    assert "--assume AMB-02=retry-checks-limit --profile ios-26.1 --strict" in text
    assert "--strict" not in render(Counterexample("system", 0, "CRE-07", "m", "ios-26.1", [("Then", "it succeeds")]))


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
    """`explore --mutants`, the command that measured the declaration, prints one line per mutant of the role and
    exits 0 (the APP's: the test above already explores every mutant in reach, one by one)."""
    from reference_impl.mutants import all_mutants
    from reference_impl.mutants.explored import FOUND_WITHIN

    in_reach = {m.name for m in all_mutants() if m.role == "app" and m.name in FOUND_WITHIN}
    done = cli(tmp_path, "explore", "--mutants", "--role", "app")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert done.stdout.count("found   ") == len(in_reach) > 10
    assert all(f"found   {name} (" in done.stdout for name in in_reach)
    assert f"{len(in_reach)} of {len(in_reach)} mutants in the invariants' reach found, 0 missed" in done.stdout
