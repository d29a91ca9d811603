"""The tag vocabulary of the feature files, parsed in one place for the catalogue and the runner.

| tag | meaning |
|---|---|
| `@must` `@should` `@may` `@info` | the rule's level (exactly one per Rule) |
| `@practice` | a recommended-practice rule (PRC-nn): its own class and score, never in the conformance verdict |
| `@system` `@app` `@server` | the role a scenario checks (on the Rule, or on a scenario of a two-sided Rule) |
| `@since:26.4` `@until:26.5` | first and last OS version (any platform) where it applies; default all |
| `@interop-since:6` `@interop-until:5` | SERVER scenarios: first and last interop version of the upload draft |
| `@platform:ios` `@platform:macos` | only on that platform |
| `@src:KEY` | an Apple source key (bru_conformance.catalogue.sources) |
| `@untestable` | cannot be checked in software; the Rule's description says why |
| `@field` | a field observation (field-notes.md, the digest's FIELD notes): opt-in with `--field`, reported apart, never in the verdict |
| `@assume:AMB-nn=reading` | runs only when that assumption reading is in force (`--assume`) |
| `@world:AMB-nn=reading` | an @app scenario whose SYSTEM follows that reading; it runs by default (an app |
|  | must cope with every SYSTEM behaviour the digest allows) |
| `@implementation-defined` | the point is undocumented (AMB-nn): the scenario accepts every outcome the digest |
|  | allows, or carries the `@assume:` of the one reading it checks |

Anything else is an error: a typo in a tag must not silently change what runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bru_conformance.assumptions import SWITCHES
from bru_conformance.catalogue.sources import SOURCES
from bru_conformance.profiles import INTEROP_PROFILES, PROFILES, Profile

LEVELS = ("must", "should", "may", "info", "practice")
ROLES = ("system", "app", "server")
PLATFORMS = ("ios", "macos")
_VERSION = re.compile(r"^\d{2}\.\d$")


class TagError(ValueError):
    """A tag outside the vocabulary above."""


@dataclass
class TagSet:
    """What a set of tags says, merged from Feature, Rule and Scenario."""

    levels: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
    since: str | None = None
    until: str | None = None
    interop_since: int | None = None
    interop_until: int | None = None
    platforms: set[str] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)
    untestable: bool = False
    field_note: bool = False
    assumptions: dict[str, str] = field(default_factory=dict)
    world: dict[str, str] = field(default_factory=dict)
    implementation_defined: bool = False

    def profiles(self) -> list[Profile]:  # type: ignore[return]
        """The profiles it runs in: lifecycle profiles, or for a SERVER scenario the interop versions."""
        if "server" in self.roles:
            lo_i, hi_i = self.interop_since or 0, self.interop_until or 99
            return [p for p in INTEROP_PROFILES.values() if lo_i <= p.version <= hi_i]  # type: ignore[misc]
        lo = tuple(int(x) for x in self.since.split(".")) if self.since else (0, 0)
        hi = tuple(int(x) for x in self.until.split(".")) if self.until else (99, 9)
        return [p for p in PROFILES.values()
                if lo <= p.version <= hi and (not self.platforms or p.platform in self.platforms)]

    def assumptions_hold(self, selected: dict[str, str] | object) -> bool:
        """Runs under these readings: every `@assume:` reading is in force, and no `@world:` reading
        contradicts a specific reading the user chose (a permissive reading admits any)."""
        chosen = selected  # type: ignore[assignment]
        if not all(chosen[k] == v for k, v in self.assumptions.items()):  # type: ignore[index]
            return False
        return all(chosen[k] in (v, SWITCHES[k].permissive) for k, v in self.world.items())  # type: ignore[index]

    @property
    def readings(self) -> dict[str, str]:
        """Every reading the scenario names, for reports ("ran under AMB-02=retry-checks-limit")."""
        return {**self.assumptions, **self.world}

    @property
    def practice(self) -> bool:
        return "practice" in self.levels


def parse_tag(tag: str, into: TagSet) -> None:
    """Add one tag (without `@`) to `into`, or raise `TagError`."""
    name, _, value = tag.partition(":")
    if not value:
        if tag in LEVELS:
            into.levels.add(tag)
        elif tag in ROLES:
            into.roles.add(tag)
        elif tag == "untestable":
            into.untestable = True
        elif tag == "field":
            into.field_note = True
        elif tag == "implementation-defined":
            into.implementation_defined = True
        else:
            raise TagError(f"unknown tag @{tag}")
        return
    if name in ("since", "until"):
        if not _VERSION.match(value):
            raise TagError(f"@{tag}: versions look like 26.4")
        # The narrowest bound wins when Rule and Scenario both give one.
        if name == "since":
            into.since = max(filter(None, (into.since, value)), key=lambda v: tuple(map(int, v.split("."))))
        else:
            into.until = min(filter(None, (into.until, value)), key=lambda v: tuple(map(int, v.split("."))))
    elif name in ("interop-since", "interop-until"):
        if not value.isdigit():
            raise TagError(f"@{tag}: interop versions are numbers like 6")
        if name == "interop-since":
            into.interop_since = max(int(value), into.interop_since or 0)
        else:
            into.interop_until = min(int(value), into.interop_until or 99)
    elif name == "platform":
        if value not in PLATFORMS:
            raise TagError(f"@{tag}: platform is one of {PLATFORMS}")
        into.platforms.add(value)
    elif name == "src":
        if value not in SOURCES:
            raise TagError(f"@{tag}: unknown source key")
        into.sources.append(value)
    elif name in ("assume", "world"):
        amb, _, reading = value.partition("=")
        if amb not in SWITCHES or reading not in SWITCHES[amb].choices:
            raise TagError(f"@{tag}: not an assumption reading (see bru_conformance.assumptions)")
        if not SWITCHES[amb].selectable:
            raise TagError(f"@{tag}: {amb} has a single reading, so a tag cannot select on it")
        if reading == SWITCHES[amb].permissive:
            raise TagError(f"@{tag}: {reading} is the permissive reading of {amb}; an untagged scenario already runs under it")
        (into.assumptions if name == "assume" else into.world)[amb] = reading
    else:
        raise TagError(f"unknown tag @{tag}")


def parse_tags(tags: Iterable[str]) -> TagSet:
    out = TagSet()
    for tag in sorted(t.lstrip("@") for t in tags):
        parse_tag(tag, out)
    return out
