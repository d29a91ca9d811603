"""The rule catalogue, extracted from the feature files (they are the only list of rules).

Each `Rule:` whose title starts with an ID (`RET-01 ...`) is one documented rule; its tags give level,
role, profiles and sources (bru_conformance.catalogue.tags); its scenarios are its executable examples. `load()`
returns the rules and every structural problem found, so the CLI can print the catalogue and the
project's tests can fail on a broken one.

The package owns what the catalogue is made of: the tag vocabulary (`tags`), Apple's sources
(`sources`), and the step vocabulary as data (`step_listing`).

May import: model
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gherkin.parser import Parser
from gherkin.token_scanner import TokenScanner

from bru_conformance.catalogue.sources import SOURCES
from bru_conformance.catalogue.tags import TagError, TagSet, parse_tags
from bru_conformance.resources import features_dir

RULE_ID = re.compile(r"^([A-Z]{3})-(\d{2})\b\s*(.*)$")
#: a Then that demands one particular error code or exception kind (not "a PhotoKit error", not "refuses")
_SPECIFIC_REFUSAL = re.compile(r"\bit fails with (?!a PhotoKit error|an API-unavailable error)")
AREAS = {
    "ACT": "activation", "CON": "consent", "CRE": "creation", "PRO": "processing", "STA": "states",
    "RET": "retry", "ACK": "acknowledge", "CAN": "cancel", "TER": "termination", "LIM": "limits",
    "ERR": "errors", "VER": "versions", "NET": "network", "PRC": "practice",
}
#: areas whose rules are recommended practice (their own class and score), not the digest's rules
PRACTICE_AREAS = frozenset({"PRC"})


@dataclass
class ScenarioEntry:
    name: str
    line: int
    tags: TagSet
    examples: int  # rows of Examples (0 for a plain scenario)
    steps: list[str] = field(default_factory=list)  # "Then ..." lines as written

    @property
    def kind(self) -> str:
        """conformance (counts toward the verdict), field (an observation, opt-in) or practice."""
        return "field" if self.tags.field_note else "practice" if self.tags.practice else "conformance"


@dataclass
class RuleEntry:
    id: str
    title: str
    area: str
    feature_file: str
    tags: TagSet
    description: str
    scenarios: list[ScenarioEntry] = field(default_factory=list)

    @property
    def roles(self) -> list[str]:
        """Roles on the Rule, plus those its scenarios add (two-sided rules tag each scenario)."""
        return sorted(self.tags.roles.union(*(s.tags.roles for s in self.scenarios)))

    @property
    def level(self) -> str:
        return next(iter(self.tags.levels), "?")

    @property
    def rule_class(self) -> str:
        """conformance (a rule of the digest, in the verdict) or practice (recommended practice, scored apart)."""
        return "practice" if self.tags.practice else "conformance"

    def runs_by_default(self) -> bool:
        """At least one scenario runs in a default run: not @field, no `@assume:` reading other than a default."""
        from bru_conformance.assumptions import SWITCHES

        return any(not sc.tags.field_note and all(SWITCHES[k].default == v for k, v in sc.tags.assumptions.items())
                   for sc in self.scenarios)

    @property
    def untestable_reason(self) -> str | None:
        if not self.tags.untestable:
            return None
        text = " ".join(self.description.split())
        return text.split("Untestable:", 1)[1].strip() if "Untestable:" in text else text

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "level": self.level, "roles": self.roles,
            "area": self.area, "feature": self.feature_file,
            "profiles": [p.name for p in self.tags.profiles()],
            "sources": [{"key": k, "url": SOURCES[k]} for k in self.tags.sources],
            "scenarios": [s.name for s in self.scenarios], "scenario_count": len(self.scenarios),
            "untestable": self.untestable_reason, "field": self.tags.field_note,
            "assumptions": dict(self.tags.assumptions), "class": self.rule_class,
            "field_scenarios": [s.name for s in self.scenarios if s.kind == "field"],
        }


@dataclass
class Catalogue:
    rules: list[RuleEntry]
    problems: list[str]

    def by_id(self) -> dict[str, RuleEntry]:
        return {r.id: r for r in self.rules}


def _tags(node: dict[str, Any]) -> list[str]:
    return [t["name"] for t in node.get("tags", [])]


_PARSER_ERROR = re.compile(r"^\((\d+):(\d+)\): (.*)$")


def parse_feature(path: Path, problems: list[str]) -> list[RuleEntry]:
    try:
        doc = Parser().parse(TokenScanner(path.read_text(encoding="utf-8")))
    except Exception as exc:  # gherkin's CompositeParserException: one "(line:col): message" per error
        lines = [m.groups() for m in map(_PARSER_ERROR.match, str(exc).splitlines()) if m]
        problems.extend(f"{path}:{line}: {message}" for line, _col, message in lines or [("1", "0", str(exc))])
        return []
    feature = doc.get("feature") or {}
    feature_tags = _tags(feature)
    rules: list[RuleEntry] = []
    for child in feature.get("children", []):
        if "scenario" in child:
            problems.append(f"{path.name}:{child['scenario']['location']['line']}: scenario outside a Rule")
            continue
        if "rule" not in child:
            continue
        node = child["rule"]
        match = RULE_ID.match(node["name"].strip())
        where = f"{path.name}:{node['location']['line']}"
        if not match or match.group(1) not in AREAS:
            problems.append(f"{where}: Rule title must start with a known rule ID: {node['name']!r}")
            continue
        try:
            tags = parse_tags(feature_tags + _tags(node))
        except TagError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if len(tags.levels) != 1:
            problems.append(f"{where}: Rule needs exactly one level tag, has {sorted(tags.levels) or 'none'}")
        entry = RuleEntry(id=f"{match.group(1)}-{match.group(2)}", title=match.group(3).strip(" —-"),
                          area=match.group(1), feature_file=path.name, tags=tags,
                          description=(node.get("description") or "").strip())
        for sc in node.get("children", []):
            if "scenario" not in sc:
                continue
            s = sc["scenario"]
            try:
                stags = parse_tags(feature_tags + _tags(node) + _tags(s))
            except TagError as exc:
                problems.append(f"{path.name}:{s['location']['line']}: {exc}")
                continue
            if len(stags.roles) != 1:
                problems.append(f"{path.name}:{s['location']['line']}: scenario needs exactly one role, has {sorted(stags.roles)}")
            rows = sum(len(e.get("tableBody", [])) for e in s.get("examples", []))
            steps = [f"{st['keyword'].strip()} {st['text']}" for st in s.get("steps", [])]
            entry.scenarios.append(ScenarioEntry(s["name"], s["location"]["line"], stags, rows, steps))
        rules.append(entry)
    return rules


def load(directory: Path | None = None) -> Catalogue:
    """Parse every feature file; collect rules and structural problems. A run asks more than once (the
    pre-run check, the results, the Allure labels): parsed once per process for unchanged files."""
    directory = directory or features_dir()
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.feature")))
    key = (str(directory.resolve()), stamp)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = _load(directory)
    return _LOADED[key]


_LOADED: dict[tuple[Any, ...], Catalogue] = {}


def _load(directory: Path) -> Catalogue:
    problems: list[str] = []
    rules: list[RuleEntry] = []
    for path in sorted(directory.glob("*.feature")):
        rules.extend(parse_feature(path, problems))
    seen_rules: dict[str, str] = {}
    seen_scenarios: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen_rules:
            problems.append(f"{rule.id} is defined twice ({seen_rules[rule.id]}, {rule.feature_file})")
        seen_rules[rule.id] = rule.feature_file
        if rule.tags.untestable and rule.scenarios:
            problems.append(f"{rule.id} is @untestable but has scenarios")
        if rule.tags.untestable and not rule.untestable_reason:
            problems.append(f"{rule.id} is @untestable without a reason in its description")
        if not rule.tags.untestable and not rule.scenarios:
            problems.append(f"{rule.id} is testable but has no scenario")
        if rule.tags.field_note and rule.level == "must":
            problems.append(f"{rule.id}: a @field observation can never be @must")
        if (rule.area in PRACTICE_AREAS) != rule.tags.practice:
            problems.append(f"{rule.id}: recommended-practice rules are exactly the @practice rules of area PRC")
        if not rule.tags.untestable and rule.scenarios and not rule.runs_by_default():
            problems.append(f"{rule.id}: no scenario runs by default (every scenario is @field or needs a non-default reading)")
        for sc in rule.scenarios:
            if sc.tags.implementation_defined and not sc.tags.assumptions and not sc.tags.field_note and any(_SPECIFIC_REFUSAL.search(st) for st in sc.steps):
                problems.append(f"{rule.id}: scenario {sc.name!r} is @implementation-defined but demands one refusal "
                                "without naming the reading (@assume:) it checks")
            if sc.tags.world and sc.tags.roles != {"app"}:
                problems.append(f"{rule.id}: scenario {sc.name!r}: @world: readings set the SYSTEM of an @app scenario only")
        for sc in rule.scenarios:
            if sc.name in seen_scenarios:
                problems.append(f"scenario name {sc.name!r} is used twice ({seen_scenarios[sc.name]}, {rule.id})")
            seen_scenarios[sc.name] = rule.id
    return Catalogue(rules, problems)
