"""How an exploration machine chooses its next rule: swarm testing decided once per example, then only the rule per step.

Hypothesis's own rule choice (`hypothesis.stateful.RuleStrategy`) samples a rule and filters it through the rule's
preconditions and a swarm feature flag, rejecting and drawing again; each flag is asked again at every attempt, and
each question is a choice of its own in the test case. Measured over `explore --bench` (100 examples, 4,615 steps):
27,800 choices, of which 9,600 were feature-flag questions and 6,300 rule draws (2.2 rejected per rule run), and
Hypothesis replays and mutates every one of them: it took about half the benchmark's time.

This chooser keeps the same search, with fewer choices:

* **Swarm testing, decided up front.** At the first rule of each example it draws a disabling probability (an
  integer 0-254, as Hypothesis's `FeatureFlags` does) and then, once per rule, whether that rule sits out this
  example. Both shrink towards "everything enabled".
* **A rule by its place.** Each step tries up to three rules by their place among all rules (shrinking towards the
  first, like `sampled_from`), so that one choice means the same rule wherever Hypothesis's mutator copies it; a
  try is kept when the rule is enabled and its preconditions hold. After three misses one index is drawn among the
  rules that are enabled and can run; when every rule that can run is disabled, among those rules instead
  (Hypothesis would discard the example as unable to proceed). No flag is asked again: 4.5 choices a step over the
  benchmark, against Hypothesis's 6.0.
* **Arguments** are drawn exactly as Hypothesis draws them, from each rule's own strategies.

It reads Hypothesis's rule records (`function`, `preconditions`, `bundles`, `arguments_strategies`), which are not
public API: `install` leaves Hypothesis's chooser in place where they are missing, so another Hypothesis 6.x still
explores, only slower.
"""

from __future__ import annotations

from typing import Any

from hypothesis.errors import InvalidDefinition
from hypothesis.strategies import SearchStrategy

#: what each rule record must carry for this chooser to read it
_RULE_FIELDS = ("function", "preconditions", "bundles", "arguments_strategies")


class SwarmRules(SearchStrategy):  # type: ignore[type-arg]
    """Draws `(rule, arguments)` for one machine, as `RuleStrategy` does; one instance per machine (per example)."""

    def __init__(self, machine: Any, rules: list[Any]) -> None:
        super().__init__()
        self.machine = machine
        self.rules = rules
        self.disabled: list[bool] | None = None  # decided at the example's first rule

    def _valid(self, rule: Any) -> bool:
        machine = self.machine
        return all(machine.bundle(b.name) for b in rule.bundles) and all(pred(machine) for pred in rule.preconditions)

    def do_draw(self, data: Any) -> tuple[Any, dict[str, Any]]:
        if self.disabled is None:
            p_disabled = data.draw_integer(0, 254) / 255
            self.disabled = [data.draw_boolean(p_disabled) for _ in self.rules]
        rules, disabled = self.rules, self.disabled
        for _ in range(3):  # a rule by its place among all rules, so that one choice means one rule anywhere in the example
            i = data.draw_integer(0, len(rules) - 1)
            if not disabled[i] and self._valid(rules[i]):
                rule = rules[i]
                break
        else:  # three misses: a choice among the rules that can run
            allowed = [rule for rule, off in zip(rules, disabled, strict=True) if not off and self._valid(rule)]
            if not allowed:
                allowed = [rule for rule in rules if self._valid(rule)]
            if not allowed:
                names = ", ".join(rule.function.__name__ for rule in rules)
                raise InvalidDefinition(f"No progress can be made from state {self.machine!r}: no rule had a true "
                                        f"precondition. rules: {names}")
            rule = allowed[data.draw_integer(0, len(allowed) - 1)] if len(allowed) > 1 else allowed[0]
        return rule, {name: data.draw(strategy) for name, strategy in rule.arguments_strategies.items()}


def install(machine: Any) -> bool:
    """Give `machine` (a fresh `RuleBasedStateMachine`) this chooser; False, Hypothesis's own kept, where this
    Hypothesis's rule records are not what the chooser reads."""
    own = getattr(machine, "_rules_strategy", None)
    rules = getattr(own, "rules", None)  # RuleStrategy's rules, in its own (stable) order
    if not isinstance(rules, list) or not rules or not all(hasattr(r, f) for r in rules for f in _RULE_FIELDS):
        return False
    machine._rules_strategy = SwarmRules(machine, rules)
    return True
