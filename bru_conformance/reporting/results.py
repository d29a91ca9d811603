"""The results document of a run (reports/results.json) and the verdicts derived from it.

Per scenario run (one per profile) an outcome; per rule a verdict folded from its scenarios; overall a
verdict by level: a MUST failure makes the run non-conformant, SHOULD failures only warn, MAY results
inform, and a run that executed nothing is an error, never a pass.

Three classes of check are kept apart. *Conformance* scenarios decide their rule's verdict and the
run's. *Field* scenarios (`@field`, run with `--field`) check what devices were seen doing: listed under
their rule and in the document's `field` section, never in any verdict. *Practice* rules (`@practice`,
area PRC) have their own verdicts and score (`practice`), and fail the gate only under
`--require-practice`.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bru_conformance import __version__
from bru_conformance.catalogue import AREAS, Catalogue, RuleEntry, load
from bru_conformance.resources import features_dir
from bru_conformance.scenario.redact import redact

if TYPE_CHECKING:
    from bru_conformance.reporting.outcomes import RunState

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
    if "incomplete" in outcomes:  # an interrupted run: what did not finish is no verdict
        return "incomplete"
    if "adapter-error" in outcomes:
        return "error"
    if "waived" in outcomes:  # its failures are waived, not fixed
        return "waived"
    if "passed" in outcomes:
        return "passed"
    return "unsupported" if "unsupported" in outcomes else "not-applicable"


def _expected(rule: RuleEntry, state: RunState) -> bool:
    """Did this run set out to check the rule (its role, profiles, readings and opt-ins are in force)?"""
    for sc in rule.scenarios:
        roles = sc.tags.roles or rule.tags.roles
        if (roles & set(state.roles) and {p.name for p in sc.tags.profiles()} & set(state.profiles)
                and sc.tags.assumptions_hold(state.assumptions) and not sc.tags.field_note):
            return True
    return False


def _not_applicable_reason(rule: RuleEntry, state: RunState, scenarios: list[dict[str, Any]]) -> str | None:
    """Why a rule ended not-applicable: what a run needs to check it (a profile, a reading, a role), or what
    the scenarios found (the situation the rule is about did not arise)."""
    found = sorted({s["message"] for s in scenarios if s["outcome"] == "not-applicable" and s.get("message")})
    if found:
        return "; ".join(found)
    needs: list[str] = []
    for sc in rule.scenarios:
        if sc.tags.field_note:
            continue
        profiles = [p.name for p in sc.tags.profiles()]
        if not set(profiles) & set(state.profiles):
            needs.append(f"profile {' or '.join(profiles) or 'none'}")
        for amb, reading in sc.tags.assumptions.items():
            if state.assumptions[amb] != reading:
                needs.append(f"--assume {amb}={reading}")
        roles = sc.tags.roles or rule.tags.roles
        if not roles & set(state.roles):
            needs.append(f"role {'/'.join(sorted(roles))}")
    return ("needs " + ", or ".join(dict.fromkeys(needs))) if needs else None


def gate(rules: list[dict[str, Any]], executed: int, adapter_errors: int, strict: bool,
         require_practice: bool = False, incomplete: int = 0, interrupted: bool = False) -> tuple[str, list[str]]:
    """The overall verdict and the reasons the gate fails (empty: it passes). Only conformance rules make
    the verdict; practice rules add a gate reason under `require_practice`. An interrupted run has no
    verdict but `incomplete`, whatever its finished scenarios say."""
    practice_failed = [r["id"] for r in rules if r.get("class") == "practice" and r["verdict"] in ("failed", "waived")]
    rules = [r for r in rules if r.get("class", "conformance") == "conformance"]
    failed = {r["level"] for r in rules if r["verdict"] == "failed"}
    reasons: list[str] = []
    if interrupted or incomplete:
        return "incomplete", [f"the run was interrupted: {executed} scenario run(s) finished, {incomplete} did not; "
                              "nothing here is a verdict"]
    if executed == 0:
        return "error", ["no scenario was executed"]
    if adapter_errors or any(r["verdict"] == "error" for r in rules):
        return "error", [f"{adapter_errors} scenario run(s) ended in an adapter error"]
    stale = [s["name"] for r in rules for s in r["scenarios"] if s.get("stale_waiver")]
    if stale:
        reasons.append(f"stale waiver(s): {len(stale)} waived scenario run(s) now pass; remove the waiver")
    if "must" in failed:
        reasons.insert(0, "MUST rule(s) failed")
        return "non-conformant", reasons
    # Rules left out by the user's own selection (-k, --role, --profile) are outside the claim; rules the
    # implementation declared it cannot run (undeclared profiles) are inside it and unchecked. A SERVER's claim
    # is per interop version it declares: the drafts are alternatives a server picks among, not releases it
    # must all support, so an undeclared interop version is outside the claim (the report still lists it).
    partial = [r["id"] for r in rules if r["level"] == "must" and r.get("expected")
               and any(s["outcome"] == "unsupported" and not str(s.get("profile") or "").startswith("interop-")
                       for s in r["scenarios"])]
    verdict = "partial" if partial else "conformant-with-warnings" if "should" in failed else "conformant"
    if partial:
        reasons.append(f"MUST rule(s) not checked in this run: {', '.join(partial[:10])}{' …' if len(partial) > 10 else ''}")
    if strict and "should" in failed:
        reasons.append("SHOULD rule(s) failed under --strict")
    if require_practice and practice_failed:
        reasons.append(f"recommended practice failed under --require-practice: {', '.join(practice_failed)}")
    return verdict, reasons


def replay_command(state: RunState) -> str:
    parts = ["bru-conformance", "run"]
    for p in state.profiles:
        parts += ["--profile", p]
    if len(state.roles) == 1:
        parts += ["--role", state.roles[0]]
    for amb, reading in state.assumptions.non_default().items():
        parts += ["--assume", f"{amb}={reading}"]
    for flag, value in state.options.items():
        parts += [flag] if value is True else [flag, str(value)]
    return " ".join(shlex.quote(p) for p in parts)


def build(state: RunState, catalogue: Catalogue | None = None) -> dict[str, Any]:
    catalogue = catalogue or load()
    by_rule: dict[str, list[Any]] = defaultdict(list)
    for outcome in state.outcomes.values():
        by_rule[outcome.rule].append(outcome)
    rules = []
    for rule in catalogue.rules:
        scenarios = []
        for s in by_rule.get(rule.id, []):
            waiver = next((w for w in state.waivers if w.covers(rule.id, s.scenario) or w.covers(rule.id, s.outline or s.scenario)), None)
            outcome = s.outcome
            entry = {"name": s.scenario, "profile": s.profile, "outcome": outcome, "duration": round(s.duration, 6),
                     "failed_step": s.failed_step, "message": s.message, "steps": s.steps, "trace": s.trace,
                     "kind": s.kind, "readings": dict(s.readings), "notes": list(s.notes), "outline": s.outline}
            if waiver is not None and s.kind != "field":
                entry["waiver"] = waiver.to_json()
                if outcome in ("failed", "error"):
                    entry["outcome"] = "waived"
            scenarios.append(entry)
        _mark_stale(scenarios, by_rule.get(rule.id, []), state, rule.id)
        counted = [s for s in scenarios if s["kind"] != "field"]
        verdict = rule_verdict([s["outcome"] for s in counted], rule.tags.untestable)
        rules.append({
            "id": rule.id, "title": rule.title, "level": rule.level, "roles": rule.roles, "class": rule.rule_class,
            "area": rule.area, "area_name": AREAS[rule.area], "sources": [s["url"] for s in rule.to_json()["sources"]],
            "verdict": verdict, "untestable": rule.untestable_reason, "expected": _expected(rule, state),
            "not_applicable": _not_applicable_reason(rule, state, counted) if verdict == "not-applicable" else None,
            "scenarios": scenarios,
        })
    outcomes = Counter(s["outcome"] for r in rules for s in r["scenarios"] if s["kind"] != "field")
    executed = sum(outcomes[o] for o in ("passed", "failed", "error", "adapter-error", "waived"))
    verdict, reasons = gate(rules, executed, outcomes["adapter-error"], state.strict, state.require_practice,
                            outcomes["incomplete"], state.interrupted)
    impl = state.implementation
    document = {
        "suite": {"name": "bru-conformance", "version": __version__, "features_digest": features_digest()},
        "run": {
            "profiles": state.profiles, "roles": list(state.roles), "assumptions": dict(state.assumptions),
            "non_default_assumptions": state.assumptions.non_default(),
            "adapter": {"name": impl.name, "version": impl.version, "roles": list(impl.roles)},
            "seed": state.seed, "strict": state.strict, "include_field": state.include_field,
            "patience": state.patience, "require_practice": state.require_practice, "run_id": state.run_id,
            "shard": state.shard,
            "interrupted": state.interrupted,
            "python": sys.version.split()[0], "platform": platform.platform(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(state.started)),
            "ended": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "replay": replay_command(state), "waivers": [w.to_json() for w in state.waivers],
        },
        "totals": {"scenarios": dict(outcomes), "executed": executed, "adapter_errors": outcomes["adapter-error"],
                   "rules": dict(Counter(r["verdict"] for r in rules if r["class"] == "conformance"))},
        "rules": rules,
        "practice": practice_summary(rules, state.require_practice),
        "field": field_summary(rules, state.include_field),
        "verdict": verdict,
        "gate": {"passed": exit_code(verdict, reasons) == 0, "reasons": reasons, "exit_code": exit_code(verdict, reasons)},
    }
    return redact(document)


def practice_summary(rules: list[dict[str, Any]], required: bool) -> dict[str, Any]:
    """The recommended-practice score: practice rules passed out of those that ran."""
    practice = [r for r in rules if r["class"] == "practice"]
    judged = [r for r in practice if r["verdict"] in ("passed", "failed", "waived")]
    passed = [r["id"] for r in judged if r["verdict"] == "passed"]
    return {"required": required, "rules": len(practice), "judged": len(judged), "passed": len(passed),
            "failed": [r["id"] for r in judged if r["verdict"] != "passed"],
            "score": None if not judged else round(len(passed) / len(judged), 4)}


def field_summary(rules: list[dict[str, Any]], included: bool) -> dict[str, Any]:
    """Field observations run (`--field`): how each came out, never part of a verdict."""
    runs = [{"rule": r["id"], "name": s["name"], "profile": s["profile"], "outcome": s["outcome"], "message": s["message"]}
            for r in rules for s in r["scenarios"] if s["kind"] == "field"]
    return {"included": included, "totals": dict(Counter(r["outcome"] for r in runs)), "runs": runs}


def _mark_stale(entries: list[dict[str, Any]], raw: list[Any], state: RunState, rule_id: str) -> None:
    """A waiver is stale when what it covers no longer fails: the whole rule (rule waivers) or every run
    of the scenario (scenario waivers). Its passing runs are flagged, and the gate fails."""
    failing = {n for o in raw if o.outcome in ("failed", "error") for n in (o.scenario, o.outline)}
    for waiver in state.waivers:
        if waiver.rule == rule_id:
            stale = not failing
        elif waiver.scenario is not None and any(waiver.scenario in (o.scenario, o.outline) for o in raw):
            stale = waiver.scenario not in failing
        else:
            continue
        if stale:
            for entry in entries:
                if entry.get("waiver") and entry["outcome"] == "passed" and (
                        waiver.covers(rule_id, entry["name"]) or waiver.covers(rule_id, entry.get("outline") or entry["name"])):
                    entry["stale_waiver"] = True


EXIT_INTERRUPTED = 130  # the shell's code for SIGINT; SIGTERM too: the run did not finish


def exit_code(verdict: str, reasons: list[str]) -> int:
    """0 conformant (warnings allowed), 1 non-conformant / gate failed, 3 harness or adapter error,
    130 interrupted (no verdict)."""
    if verdict == "incomplete":
        return EXIT_INTERRUPTED
    if verdict == "error":
        return 3
    if verdict in ("conformant", "conformant-with-warnings") and not reasons:
        return 0
    return 1


def write_json_atomic(path: Path, document: Any) -> None:
    """Write to a temporary file in the same directory, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(document, fh, indent=2, sort_keys=False)
        fh.write("\n")
    os.replace(tmp, path)


def write_results(state: RunState, report_dir: str | os.PathLike[str], results_only: bool = False) -> Path | None:
    """Build, validate and write results.json, then every report derived from it (unless `results_only`). A run
    that executed nothing (and was not interrupted) writes nothing: the previous reports stay as they were."""
    from bru_conformance.reporting.reports import write_reports

    document = build(state)
    if document["totals"]["executed"] == 0 and document["verdict"] != "incomplete":
        return None
    return write_reports(document, Path(report_dir), results_only)


#: what must be equal for two results documents to be parts of one run
_SAME_RUN = (("suite", "version"), ("suite", "features_digest"), ("run", "profiles"), ("run", "assumptions"),
             ("run", "adapter"), ("run", "strict"), ("run", "include_field"), ("run", "patience"), ("run", "require_practice"))


def merge(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """Fold the results of shards (or parallel jobs) of one run into one document: the scenario runs of each
    rule put together, every verdict, total and the gate computed again. Refuses documents of different suites,
    implementations, profiles, readings or gate options, and the same scenario run twice."""
    if not documents:
        raise ValueError("nothing to merge")
    first = documents[0]
    for doc in documents[1:]:
        for section, key in _SAME_RUN:
            if doc[section].get(key) != first[section].get(key):
                raise ValueError(f"cannot merge: {section}.{key} differs ({first[section].get(key)!r} vs {doc[section].get(key)!r})")
    seen: set[tuple[str, str, str | None]] = set()
    rules: dict[str, dict[str, Any]] = {}
    for doc in documents:
        for rule in doc["rules"]:
            target = rules.setdefault(rule["id"], {**rule, "scenarios": []})
            for sc in rule["scenarios"]:
                key = (rule["id"], sc["name"], sc["profile"])
                if key in seen:
                    raise ValueError(f"cannot merge: {rule['id']} {sc['name']!r} [{sc['profile']}] appears in two documents")
                seen.add(key)
                target["scenarios"].append(sc)
            target["expected"] = target.get("expected", False) or rule.get("expected", False)
    merged_rules = []
    for rule in rules.values():
        counted = [s for s in rule["scenarios"] if s.get("kind", "conformance") != "field"]
        rule["verdict"] = rule_verdict([s["outcome"] for s in counted], rule["untestable"] is not None)
        if rule["verdict"] != "not-applicable":
            rule["not_applicable"] = None
        merged_rules.append(rule)
    outcomes = Counter(s["outcome"] for r in merged_rules for s in r["scenarios"] if s.get("kind") != "field")
    executed = sum(outcomes[o] for o in ("passed", "failed", "error", "adapter-error", "waived"))
    run = {**first["run"], "shards": [d["run"].get("shard") or "?" for d in documents], "shard": None,
           "interrupted": any(d["run"].get("interrupted") for d in documents),
           "started": min(d["run"]["started"] for d in documents), "ended": max(d["run"]["ended"] for d in documents),
           "replay": first["run"]["replay"].replace(f" --shard {first['run'].get('shard')}", "")}
    verdict, reasons = gate(merged_rules, executed, outcomes["adapter-error"], run["strict"], run.get("require_practice", False),
                            outcomes["incomplete"], run["interrupted"])
    stale = [s["name"] for r in merged_rules for s in r["scenarios"] if s.get("stale_waiver")]
    if stale and not any("stale" in r for r in reasons):
        reasons.append(f"stale waiver(s): {len(stale)} waived scenario run(s) now pass; remove the waiver")
    document = {**first, "run": run, "rules": merged_rules,
                "totals": {"scenarios": dict(outcomes), "executed": executed, "adapter_errors": outcomes["adapter-error"],
                           "rules": dict(Counter(r["verdict"] for r in merged_rules if r["class"] == "conformance"))},
                "practice": practice_summary(merged_rules, run.get("require_practice", False)),
                "field": field_summary(merged_rules, run["include_field"]),
                "verdict": verdict,
                "gate": {"passed": exit_code(verdict, reasons) == 0, "reasons": reasons, "exit_code": exit_code(verdict, reasons)}}
    document.pop("mutants", None)
    document.pop("controls", None)
    return document
