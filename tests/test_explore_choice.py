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
    """Six rules; `f` only once `a` ran. Each example's log goes to `EXAMPLES`, with what `f`'s precondition said
    every time a rule ran."""

    examples: list[list[str]] = []

    def __init__(self) -> None:
        super().__init__()
        self.installed = choice.install(self)
        self.ran: list[str] = []
        self.examples.append(self.ran)

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


def _explore(machine: type[RuleBasedStateMachine], examples: int = 60, steps: int = 20) -> None:
    chosen = settings(max_examples=examples, stateful_step_count=steps, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
    seed(5)(lambda: run_state_machine_as_test(machine, settings=chosen))()


def test_the_chooser_is_installed_and_honours_preconditions() -> None:
    Toy.examples = []
    _explore(Toy)  # f's own assertion fails the run if a precondition was ignored
    assert {name for ran in Toy.examples for name in ran} == set(RULES), "every rule runs in some example"


def test_swarm_testing_leaves_rules_out_of_whole_examples() -> None:
    """Swarm testing: many long examples never run two or more of the rules that could have run at every step (the
    disabled ones). Chosen uniformly at every step instead, 15 steps or more leave out two of five rules rarely
    (measured with the swarm turned off: 5 of 80 examples; with it, 30 of 78)."""
    Toy.examples = []
    _explore(Toy, examples=80, steps=20)
    long = [set(ran) for ran in Toy.examples if len(ran) >= 15]
    assert len(long) >= 40
    always_runnable = set(RULES) - {"f"}
    narrowed = [ran for ran in long if len(always_runnable - ran) >= 2]
    assert len(narrowed) >= len(long) // 5, f"{len(narrowed)} of {len(long)} long examples left two rules out: no swarm"


def test_each_step_makes_one_rule_choice_once_the_swarm_is_decided(monkeypatch: pytest.MonkeyPatch) -> None:
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


def test_a_disabled_rule_runs_only_when_no_enabled_rule_can() -> None:
    """All rules but `f` disabled and `f` not yet runnable: the step falls back to the rules that can run."""
    from hypothesis.internal.conjecture.data import ConjectureData

    Toy.examples = []
    machine = Toy()
    strategy = machine._rules_strategy
    names = [r.function.__name__ for r in strategy.rules]
    disabled = [name != "f" for name in names]
    # p_disabled 254/255; the flags; three misses (each a disabled rule); then the first of the runnable rules
    misses = [names.index("a")] * 3
    data = ConjectureData.for_choices([254, *disabled, *misses, 0, 0, 0])
    rule_, _ = data.draw(strategy)
    assert strategy.disabled == disabled
    assert rule_.function.__name__ != "f" and rule_.function.__name__ in names


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
