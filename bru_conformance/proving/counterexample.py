"""Writing an exploration failure out as a Gherkin scenario that `bru-conformance run` replays.

The scenario is made only of steps of the suite's vocabulary (the state machines in
`bru_conformance.proving.explore` record the step text of every action they take), closed by the `Then` step
that expresses the violated invariant. The Rule's title starts with the ID of the rule that invariant
checks, its tags are valid catalogue tags (the rule's own level, `@must` or `@should`, the role,
`@src:ART`, the profile as `@since`/`@until`/`@platform`, the assumption readings in force), so
`bru_conformance.catalogue.load` accepts the file and `bru-conformance run --features DIR` runs it on its
own; a SHOULD rule's counterexample fails the run under `--strict`, which its replay line says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bru_conformance.profiles import get_profile


@dataclass
class Counterexample:
    machine: str                         # "system" or "app"
    seed: int
    rule: str                            # e.g. "CRE-07"
    message: str                         # what went wrong, in one line
    profile: str                         # e.g. "ios-26.4"
    steps: list[tuple[str, str]]         # (Given|When|Then, text), in order
    assumptions: dict[str, str] = field(default_factory=dict)  # non-default readings in force
    adapter_option: str | None = None  # how a replay points at the same implementation, e.g. "--adapter pkg.mod:factory"
    level: str = "must"  # the violated rule's level in the catalogue ("should" rules fail a run only under --strict)

    @property
    def name(self) -> str:
        return f"{self.machine}-{self.seed}"


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    text = re.sub(r"[#@|]", "", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def profile_tags(profile_name: str) -> list[str]:
    """Tags that select exactly this one API profile."""
    profile = get_profile(profile_name)
    version = ".".join(str(v) for v in profile.version)
    return [f"@since:{version}", f"@until:{version}", f"@platform:{profile.platform}"]


def render(ce: Counterexample) -> str:
    tags = [f"@{ce.level}", f"@{ce.machine}", "@src:ART", *profile_tags(ce.profile),
            *(f"@assume:{k}={v}" for k, v in sorted(ce.assumptions.items()))]
    replay = "bru-conformance run --features DIR" + (f" {ce.adapter_option}" if ce.adapter_option else "") + \
        "".join(f" --assume {k}={v}" for k, v in sorted(ce.assumptions.items())) + f" --profile {ce.profile}" + \
        (" --strict" if ce.level == "should" else "")
    lines = [
        f"# Counterexample found by `bru-conformance explore` ({ce.machine} machine, seed {ce.seed}).",
        f"# Replay: {replay}",
        f"Feature: Exploration counterexample {ce.name}",
        f"  Shrunk by Hypothesis; every line is a step of the suite's vocabulary. Violation: {_one_line(ce.message)}",
        "",
        f"  {' '.join(tags)}",
        f"  Rule: {ce.rule} violated by a sequence found by stateful exploration",
        "",
        f"    Scenario: Counterexample {ce.name} ({ce.rule})",
    ]
    previous = None
    for keyword, text in ce.steps:
        shown = "And" if keyword == previous else keyword
        previous = keyword
        lines.append(f"      {shown} {text}")
    return "\n".join(lines) + "\n"


def rule_level(rule: str) -> str:
    """The level (`must`, `should`, `may`) the catalogue gives `rule`; `must` if the catalogue does not know it."""
    from bru_conformance.catalogue import load

    try:
        entry = load().by_id().get(rule)
    except Exception:  # a catalogue that does not parse right now: the machines' rules are MUST unless it says otherwise
        return "must"
    return entry.level if entry is not None and entry.level in ("must", "should", "may") else "must"


def write(ce: Counterexample, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{ce.name}.feature"
    path.write_text(render(ce), encoding="utf-8")
    return path
