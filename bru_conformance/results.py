"""The results document of a run (reports/results.json) and the verdicts derived from it.

Per scenario run (one per profile) an outcome; per rule a verdict folded from its scenarios; overall a
verdict by level: a MUST failure makes the run non-conformant, SHOULD failures only warn, MAY results
inform, and a run that executed nothing is an error, never a pass.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bru_conformance import __version__
from bru_conformance.catalogue import AREAS, Catalogue, load
from bru_conformance.resources import features_dir

if TYPE_CHECKING:
    from bru_conformance.plugin import RunState

VERDICTS = ("passed", "failed", "waived", "unsupported", "untested", "not-applicable")


def features_digest() -> str:
    h = hashlib.sha256()
    for path in sorted(features_dir().glob("*.feature")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def rule_verdict(outcomes: list[str], untestable: bool) -> str:
    """Fold scenario outcomes: a failure wins; an adapter fault is an error, never a failure or a pass."""
    if untestable:
        return "untested"
    if any(o in ("failed", "error") for o in outcomes):
        return "failed"
    if "adapter-error" in outcomes:
        return "error"
    if "passed" in outcomes:
        return "passed"
    return "unsupported" if "unsupported" in outcomes else "not-applicable"


def overall_verdict(rules: list[dict[str, Any]], executed: int) -> str:
    if executed == 0 or any(r["verdict"] == "error" for r in rules):
        return "error"
    failed = {r["level"] for r in rules if r["verdict"] == "failed"}
    if "must" in failed:
        return "non-conformant"
    if "should" in failed:
        return "conformant-with-warnings"
    return "conformant"


def build(state: RunState, catalogue: Catalogue | None = None) -> dict[str, Any]:
    catalogue = catalogue or load()
    by_rule: dict[str, list[Any]] = defaultdict(list)
    for outcome in state.outcomes.values():
        by_rule[outcome.rule].append(outcome)
    rules = []
    for rule in catalogue.rules:
        scen = by_rule.get(rule.id, [])
        rules.append({
            "id": rule.id, "title": rule.title, "level": rule.level, "roles": rule.roles,
            "area": rule.area, "sources": [s["url"] for s in rule.to_json()["sources"]],
            "verdict": rule_verdict([s.outcome for s in scen], rule.tags.untestable),
            "untestable": rule.untestable_reason,
            "scenarios": [{"name": s.scenario, "profile": s.profile, "outcome": s.outcome,
                           "duration": round(s.duration, 6), "failed_step": s.failed_step, "message": s.message,
                           "steps": s.steps, "trace": s.trace} for s in scen],
        })
    outcomes = Counter(o.outcome for o in state.outcomes.values())
    executed = outcomes["passed"] + outcomes["failed"] + outcomes["error"] + outcomes["adapter-error"]
    impl = state.implementation
    return {
        "suite": {"name": "bru-conformance", "version": __version__, "features_digest": features_digest()},
        "run": {
            "profiles": state.profiles, "roles": list(state.roles), "assumptions": dict(state.assumptions),
            "non_default_assumptions": state.assumptions.non_default(),
            "adapter": {"name": impl.name, "version": impl.version, "roles": list(impl.roles)},
            "python": sys.version.split()[0], "platform": platform.platform(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(state.started)),
            "ended": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "include_field": state.include_field,
        },
        "totals": {"scenarios": dict(outcomes), "executed": executed, "adapter_errors": outcomes["adapter-error"],
                   "rules": dict(Counter(r["verdict"] for r in rules))},
        "rules": rules,
        "verdict": overall_verdict(rules, executed),
    }


def write_json_atomic(path: Path, document: Any) -> None:
    """Write to a temporary file in the same directory, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(document, fh, indent=2, sort_keys=False)
        fh.write("\n")
    os.replace(tmp, path)


def write_results(state: RunState, report_dir: str | os.PathLike[str]) -> Path:
    document = build(state)
    from bru_conformance.schemas import validate

    validate("results", document)
    path = Path(report_dir) / "results.json"
    write_json_atomic(path, document)
    return path


def area_summary_lines(state: RunState) -> list[str]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for o in state.outcomes.values():
        counts[o.rule[:3]][o.outcome] += 1
    lines = [f"{'area':<16}{'passed':>8}{'failed':>8}{'skipped':>9}{'adapter errors':>16}"]
    for area in AREAS:
        c = counts.get(area)
        if c:
            skipped = c["skipped"] + c["unsupported"]
            lines.append(f"{area + ' ' + AREAS[area]:<16}{c['passed']:>8}{c['failed'] + c['error']:>8}{skipped:>9}{c['adapter-error']:>16}")
    return lines
