"""The exploration machines' rule chooser (bru_conformance.proving.explore.choice): swarm testing decided once per
example, one rule choice per step, preconditions always honoured, and Hypothesis's own chooser where the rule
records are not what it reads."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidDefinition
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from bru_conformance.proving import explore as ex
from bru_conformance.proving.explore import choice

RULES = ("a", "b", "c", "d", "e", "f")


class Toy(RuleBasedStateMachine):
    """Six rules; `f` can run only once `a` ran (and asserts so). Each example's machine goes to `machines`, the
    rules it ran to `examples`."""

    examples: list[list[str]] = []
    machines: list[Toy] = []

    def __init__(self) -> None:
        super().__init__()
        self.installed = choice.install(self)
        self.ran: list[str] = []
        self.examples.append(self.ran)
        self.machines.append(self)

    def _log(self, name: str) -> None:
        self.ran.append(name)

    @rule()
    def a(self) -> None:
        self._log("a")

    @rule(x=st.integers(0, 3))
    def b(self, x: int) -> None:
        self._log("b")

    @rule()
    def c(self) -> None:
        self._log("c")

    @rule()
    def d(self) -> None:
        self._log("d")

    @rule()
    def e(self) -> None:
        self._log("e")

    @precondition(lambda self: "a" in self.ran)
    @rule()
    def f(self) -> None:
        assert "a" in self.ran, "f ran with its precondition false"
        self._log("f")


def _explore(machine: type[Toy], examples: int = 60, steps: int = 20) -> None:
    """Explore seeded (Hypothesis reads the seed off the machine class), recording a fresh list of examples."""
    machine.examples, machine.machines = [], []
    chosen = settings(max_examples=examples, stateful_step_count=steps, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
    run_state_machine_as_test(seed(5)(type("Seeded", (machine,), {})), settings=chosen)


def test_the_chooser_drives_the_run_and_honours_preconditions() -> None:
    _explore(Toy)  # f's own assertion fails the run if a precondition was ignored
    assert {name for ran in Toy.examples for name in ran} == set(RULES), "every rule runs in some example"
    stepped = [m for m in Toy.machines if m.ran]
    assert stepped and all(m.installed and m._rules_strategy.disabled is not None for m in stepped), \
        "a machine ran rules without the chooser deciding its swarm"


def test_swarm_testing_leaves_rules_out_of_whole_examples() -> None:
    """Swarm testing: many long examples never run two or more of the rules that could have run at every step (the
    disabled ones). Chosen uniformly at every step instead, 15 steps or more leave out two of five rules rarely
    (seed 5, measured with the swarm turned off: 8 of 73 long examples; with it, 51 of 80)."""
    _explore(Toy, examples=80, steps=20)
    long = [set(ran) for ran in Toy.examples if len(ran) >= 15]
    assert len(long) >= 40
    always_runnable = set(RULES) - {"f"}
    narrowed = [ran for ran in long if len(always_runnable - ran) >= 2]
    assert len(narrowed) >= len(long) // 3, f"{len(narrowed)} of {len(long)} long examples left two rules out: no swarm"


def test_each_step_makes_one_rule_choice_once_the_swarm_is_decided() -> None:
    """With every rule runnable and enabled at p_disabled 0, a step costs one integer choice for the rule (and the
    rule's own arguments); the swarm's choices are made once per example: one integer and one boolean per rule."""
    from hypothesis.internal.conjecture.data import ConjectureData

    counted: dict[str, int] = {"integer": 0, "boolean": 0}

    class Counting(choice.SwarmRules):
        def do_draw(self, data: Any) -> Any:
            integer, boolean = data.draw_integer, data.draw_boolean

            def draw_integer(*args: Any, **kwargs: Any) -> int:
                counted["integer"] += 1
                return integer(*args, **kwargs)

            def draw_boolean(*args: Any, **kwargs: Any) -> bool:
                counted["boolean"] += 1
                return boolean(*args, **kwargs)

            data.draw_integer, data.draw_boolean = draw_integer, draw_boolean
            try:
                return super().do_draw(data)
            finally:
                del data.draw_integer, data.draw_boolean

    class Plain(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            own = self._rules_strategy
            self._rules_strategy = Counting(self, own.rules)

        @rule()
        def one(self) -> None:
            pass

        @rule()
        def two(self) -> None:
            pass

    machine = Plain()
    strategy = machine._rules_strategy
    data = ConjectureData.for_choices([0] + [False, False] + [1, 0, 1])  # p_disabled 0, both enabled; then rules 1, 0, 1
    picked = [data.draw(strategy)[0].function.__name__ for _ in range(3)]
    assert picked == [sorted(["one", "two"])[i] for i in (1, 0, 1)]
    assert counted == {"integer": 1 + 3, "boolean": 2}


def _draw_with(machine: Toy, disabled: list[bool], tries: list[str], then: int = 0) -> str:
    """The rule drawn at p_disabled 254/255 with these flags, trying the rules named in `tries` (by place), then
    index `then` among the rules left."""
    from hypothesis.internal.conjecture.data import ConjectureData

    strategy = machine._rules_strategy
    names = [r.function.__name__ for r in strategy.rules]
    data = ConjectureData.for_choices([254, *disabled, *(names.index(t) for t in tries), then, 0, 0, 0])
    rule_, _ = data.draw(strategy)
    assert strategy.disabled == disabled
    return rule_.function.__name__


def test_a_disabled_rule_runs_only_when_no_enabled_rule_can() -> None:
    """Three tries miss (disabled rules); then the choice is among the enabled rules that can run, and only when
    there is none, among the disabled ones that can. `f` (its precondition false) is never chosen."""
    names = [r.function.__name__ for r in Toy()._rules_strategy.rules]
    only_f = [name != "f" for name in names]
    assert _draw_with(Toy(), only_f, ["a", "b", "c"]) == "a"  # f enabled but cannot run: the first rule that can
    runnable = [name for name in names if name != "f"]  # in the chooser's order (Hypothesis sorts the rules)
    assert _draw_with(Toy(), only_f, ["a", "b", "c"], then=len(runnable) - 1) == runnable[-1]
    only_c_and_f = [name not in ("c", "f") for name in names]
    assert _draw_with(Toy(), only_c_and_f, ["a", "b", "d"]) == "c"  # the one enabled rule that can run
    assert _draw_with(Toy(), only_c_and_f, ["c"]) == "c"  # a first try that hits is kept


def test_no_runnable_rule_is_an_invalid_definition() -> None:
    from hypothesis.internal.conjecture.data import ConjectureData

    class Stuck(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            choice.install(self)

        @precondition(lambda self: False)
        @rule()
        def never(self) -> None:
            pass

    strategy = Stuck()._rules_strategy
    with pytest.raises(InvalidDefinition, match="no rule had a true precondition"):
        ConjectureData.for_choices([0, False, 0, 0, 0]).draw(strategy)


def test_hypothesis_s_own_chooser_stays_where_the_rule_records_differ() -> None:
    class Machine:
        def __init__(self, rules: object) -> None:
            self._rules_strategy = type("Own", (), {"rules": rules})()

    for rules in (None, [], [object()]):
        machine = Machine(rules)
        own = machine._rules_strategy
        assert choice.install(machine) is False and machine._rules_strategy is own
    assert Toy().installed is True


def test_the_exploration_machines_use_the_chooser() -> None:
    config = ex.make_config(None)
    for machine in ex.MACHINES.values():
        instance = type("Run", (machine,), {"config": config})()
        assert isinstance(instance._rules_strategy, choice.SwarmRules)
        instance.teardown()
