"""Running an exploration: one machine for a budget of examples, seeded, shrunk, with the counterexample
written; the implementation to explore; the benchmark; and the mutants declared within reach."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

from bru_conformance import reference
from bru_conformance.assumptions import Assumptions
from bru_conformance.proving import BENCH_EXAMPLES
from bru_conformance.proving.counterexample import Counterexample, rule_level, write
from bru_conformance.proving.explore.app import AppMachine
from bru_conformance.proving.explore.base import STEP_COUNTER, Config, Machine, Violation
from bru_conformance.proving.explore.system import SystemMachine


@dataclass
class Outcome:
    machine: str
    examples: int
    steps: int
    seconds: float
    counterexample: Counterexample | None = None
    path: Path | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds else 0.0


MACHINES: dict[str, type[Machine]] = {"system": SystemMachine, "app": AppMachine}


def _find_violation(exc: BaseException | None) -> Violation | None:
    seen: set[int] = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, Violation):
            return e
        stack += [e.__cause__, e.__context__, *getattr(e, "exceptions", ())]
    return None


@contextmanager
def _without_local_constants() -> Iterator[None]:
    """Keep Hypothesis from mixing literals of locally installed source into the generated values.

    Hypothesis 6.131+ draws, now and then, a constant found in any "local" (not site-packages) module
    loaded so far. The same seed then made different sequences depending on which of this project's
    modules happened to be imported (an editable checkout or a wheel, the CLI or the tests), so a
    measured "found within N examples at seed S" did not hold elsewhere. Private API, hence guarded.
    """
    try:
        from hypothesis.internal.conjecture import providers

        original, empty, cache = providers._get_local_constants, providers.Constants(), providers.CONSTANTS_CACHE
    except (ImportError, AttributeError):  # another Hypothesis: nothing to turn off
        yield
        return
    providers._get_local_constants = lambda: empty
    cache.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.cache.clear()


_HEAP_SETTLED: list[bool] = []


def _settle_heap() -> None:
    """Once per process: load the step vocabulary the machines drive, collect, and freeze what exists.

    Modules, the step definitions and the catalogue live as long as the process; left in the collector's
    sight, every full collection of an exploration walked them again (0.24 s of a 2.1 s benchmark, 76,000
    objects; frozen: 0.06 s, 36,000). Only once: freezing later would also freeze the garbage of the
    explorations before it, which nothing would free."""
    if _HEAP_SETTLED:
        return
    import gc
    import importlib

    for module in reference.steps().MODULES:  # the step vocabulary's own list of its modules
        importlib.import_module(module)
    gc.collect()
    gc.freeze()
    _HEAP_SETTLED.append(True)


#: the oldest generation's threshold while an exploration runs (CPython's default is 10)
OLDEST_THRESHOLD = 100


@contextmanager
def _oldest_collections_rarer() -> Iterator[None]:
    """Collect the oldest generation a tenth as often while an exploration runs; the thresholds are put back after.

    Each full collection walks everything the exploration keeps (Hypothesis's choice tree, the examples it keeps
    for mutation), 15 ms a time here, while what dies old is little: measured with `gc.callbacks` over the
    benchmark's 100 examples, the collector's time fell from 124-173 ms to 81-90 ms (two full collections fewer).
    The young generations are collected as before; garbage that reaches the oldest waits at most ten times longer."""
    import gc

    saved = gc.get_threshold()
    gc.set_threshold(saved[0], saved[1], max(saved[2], OLDEST_THRESHOLD))
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def explore(role: str, config: Config, *, budget: int = 50, seed: int = 0, steps_per_example: int = 25,
            report_dir: Path | None = None, shrink: bool = True) -> Outcome:
    """Run one machine for `budget` examples; on failure shrink (unless `shrink` is off: the first failing
    sequence as found, which is all a "does it find it" check needs), and write the counterexample."""
    from hypothesis import Phase
    from hypothesis import seed as hypothesis_seed
    from hypothesis.stateful import run_state_machine_as_test

    base = MACHINES[role]
    machine = type(f"{base.__name__}Run", (base,), {"config": config})
    # no `explain` phase: it runs after shrinking only to annotate Hypothesis's own report (which lines of the
    # example could vary), which the counterexample file does not use; it cost half of a shrunk exploration
    phases = tuple(p for p in Phase if p.name != "explain") if shrink else (Phase.explicit, Phase.generate)
    chosen = settings(max_examples=budget, stateful_step_count=steps_per_example, deadline=None, database=None, phases=phases,
                      suppress_health_check=list(HealthCheck), report_multiple_bugs=False, print_blob=False)
    try:  # the seeded form of run_state_machine_as_test (same seed, same sequences)
        from hypothesis.stateful import get_state_machine_test

        test = hypothesis_seed(seed)(get_state_machine_test(machine, settings=chosen, _min_steps=0,
                                                            _flaky_state={"selecting_rule": False}))
    except (ImportError, TypeError):  # another Hypothesis 6.x: seed through the global override instead
        import hypothesis.core

        def test() -> None:
            saved, hypothesis.core.global_force_seed = hypothesis.core.global_force_seed, seed
            try:
                run_state_machine_as_test(machine, settings=chosen)
            finally:
                hypothesis.core.global_force_seed = saved
    _settle_heap()
    before, started = STEP_COUNTER[0], time.perf_counter()
    outcome = Outcome(role, budget, 0, 0.0)
    try:
        with _without_local_constants(), _oldest_collections_rarer():
            test()
    except BaseException as exc:  # anything the machine raised is the finding
        if isinstance(exc, KeyboardInterrupt):
            raise
        violation = _find_violation(exc)
        if violation is None:
            outcome.error = f"{type(exc).__name__}: {exc}"
        else:
            ce = Counterexample(role, seed, violation.rule, violation.message, violation.profile, violation.steps,
                                config.assumptions.non_default(), config.replay_option or None, rule_level(violation.rule))
            outcome.counterexample = ce
            if report_dir is not None:
                outcome.path = write(ce, report_dir / "counterexamples")
    outcome.steps, outcome.seconds = STEP_COUNTER[0] - before, time.perf_counter() - started
    return outcome


def make_config(adapter: str | None, profiles: list[str] | None = None, assume: list[str] | None = None,
                adapter_cmd: str | None = None, timeout: float = 10.0) -> Config:
    """The implementation to explore: the reference, an in-process adapter, or an adapter process."""
    from bru_conformance.adapters import load_implementation

    assumptions = Assumptions.parse(list(assume or []))
    process = None
    if adapter_cmd:
        from bru_conformance.adapters.remote import remote_implementation

        impl, process = remote_implementation(adapter_cmd, timeout)
    else:
        impl = load_implementation(adapter)
    names = list(profiles or [])
    if impl.profiles and (adapter or adapter_cmd):
        names = [p for p in (names or list(impl.profiles)) if p in impl.profiles]
    return Config(impl, assumptions, names, adapter, adapter_cmd, process)


def roles_for(config: Config, wanted: str) -> list[str]:
    provided = config.implementation.roles if config.plugged else ("system", "app")
    return [r for r in ("system", "app") if r in provided and wanted in ("all", r)]


def bench(examples: int = BENCH_EXAMPLES, seed: int = 0) -> list[str]:
    """Steps (Gherkin actions, including each example's setup) per second of the SYSTEM machine against
    the in-process reference, Hypothesis' generation and the machine's checks included.

    A short exploration runs first, unmeasured (as a benchmark's warm-up round): the first example imports the
    step modules and Hypothesis describes each strategy once per process, costs of starting, not of exploring
    (measured: 0.17 s of extra wall in the first five examples, an eighth of the benchmark's 1.2 s at the time)."""
    config = make_config(None)
    explore("system", config, budget=5, seed=seed + 1)
    result = explore("system", config, budget=examples, seed=seed)
    lines = [f"examples {result.examples}", f"steps {result.steps}", f"wall {result.seconds:.2f} s",
             f"steps/s {result.steps_per_second:.0f}"]
    if result.counterexample or result.error:
        lines.append(f"unexpected failure: {result.error or result.counterexample.message}")  # type: ignore[union-attr]
    return lines


# ==================================================================================== the mutant catalogue
@dataclass
class MutantFinding:
    name: str
    role: str
    rules: tuple[str, ...]
    budget: int
    outcome: Outcome

    @property
    def found(self) -> bool:
        return self.outcome.counterexample is not None


def find_mutants(names: list[str] | None = None, seed: int = 0, budget: int | None = None,
                 roles: tuple[str, ...] = ("system", "app")) -> Iterator[MutantFinding]:
    """Explore each mutant of `roles` the invariants cover (`reference_impl.mutants.explored.FOUND_WITHIN`)
    within its declared budget (or `budget`), without shrinking; yields a `MutantFinding` per mutant."""
    all_mutants, FOUND_WITHIN = reference.module("mutants").all_mutants, reference.module("mutants.explored").FOUND_WITHIN  # noqa: N806

    for mutant in all_mutants():
        if mutant.name not in FOUND_WITHIN or (names and mutant.name not in names) or mutant.role not in roles:
            continue
        config = Config(mutant.implementation(), Assumptions.parse(list(mutant.assume)), [], mutant.adapter)
        examples = budget or FOUND_WITHIN[mutant.name]
        outcome = explore(mutant.role, config, budget=examples, seed=seed, shrink=False)
        yield MutantFinding(mutant.name, mutant.role, mutant.rules, examples, outcome)
