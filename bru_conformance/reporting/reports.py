"""Every report is derived from the one results document: JUnit XML, Markdown summary, badge, HTML.

`write_reports` validates the document, renders all outputs into a private temporary directory inside
the report directory and then moves each into place with `os.replace`, so readers see either the old
set or the new one, never half a file; names are fixed, so nothing is written outside the directory.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from bru_conformance.schemas import validate

OUTPUTS = ("results.json", "junit.xml", "summary.md", "badge.json", "report.html")
LEVEL_WORD = {"must": "MUST", "should": "SHOULD", "may": "MAY", "info": "INFO", "practice": "PRACTICE"}
VERDICT_COLOR = {"conformant": "brightgreen", "conformant-with-warnings": "yellow", "partial": "orange", "incomplete": "lightgrey",
                 "non-conformant": "red", "error": "lightgrey"}


def conformance_rules(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in document["rules"] if r.get("class", "conformance") == "conformance"]


def area_table(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Per area of the conformance catalogue: rule verdict counts and counted scenario outcome counts (field
    observations and recommended practice are reported apart), in catalogue order."""
    areas: dict[str, dict[str, Any]] = {}
    for rule in conformance_rules(document):
        row = areas.setdefault(rule["area"], {"area": rule["area"], "name": rule.get("area_name", rule["area"]),
                                              "rules": Counter(), "scenarios": Counter()})
        row["rules"][rule["verdict"]] += 1
        for s in rule["scenarios"]:
            if s.get("kind", "conformance") != "field":
                row["scenarios"][s["outcome"]] += 1
    return list(areas.values())


def readings_text(scenario: dict[str, Any]) -> str:
    """The readings a scenario ran under, for a failure's grounds ("" when it needs none)."""
    return ", ".join(f"{k}={v}" for k, v in (scenario.get("readings") or {}).items())


def junit(document: dict[str, Any]) -> bytes:
    suites = ET.Element("testsuites", name="bru-conformance")
    by_area: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    for rule in document["rules"]:
        for s in rule["scenarios"]:
            by_area[f"{rule['area']} {rule.get('area_name', '')}".strip()].append((rule, s))
    totals: Counter[str] = Counter()
    for area, cases in by_area.items():
        counts = Counter()
        suite = ET.SubElement(suites, "testsuite", name=area)
        for rule, s in cases:
            kind = s.get("kind", "conformance")
            label = "FIELD" if kind == "field" else LEVEL_WORD.get(rule["level"], rule["level"].upper())
            case = ET.SubElement(suite, "testcase", classname=f"{rule['area']}.{rule['id']}",
                                 name=f"[{label}] {rule['id']} {s['name']} [{s['profile']}]",
                                 time=f"{s['duration']:.6f}")
            props = ET.SubElement(case, "properties")
            for key, value in (("rule", rule["id"]), ("level", rule["level"]), ("profile", s["profile"] or ""),
                               ("source", (rule["sources"] or [""])[0]), ("kind", kind), ("readings", readings_text(s))):
                ET.SubElement(props, "property", name=key, value=value)
            counts["tests"] += 1
            text = "\n".join(s.get("steps") or []) + (f"\n\n{s['message']}" if s.get("message") else "")
            counted = kind == "conformance" or (kind == "practice" and document.get("practice", {}).get("required"))
            if s["outcome"] in ("failed", "error") and not counted:  # reported, never a CI failure
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=f"{kind} check did not hold (not part of the verdict): "
                                                       f"{(s.get('message') or '')[:200]}").text = text
            elif s["outcome"] == "failed":
                counts["failures"] += 1
                ET.SubElement(case, "failure", message=f"{rule['id']} failed at: {s.get('failed_step')}").text = text
            elif s["outcome"] in ("error", "adapter-error"):
                counts["errors"] += 1
                ET.SubElement(case, "error", message=f"{s['outcome']}: {(s.get('message') or '')[:200]}").text = text
            elif s["outcome"] in ("skipped", "unsupported", "waived", "not-applicable"):
                counts["skipped"] += 1
                why = s["outcome"] + (f": {s['waiver']['reason']} ({s['waiver']['link']})" if s.get("waiver")
                                      else f": {s['message']}" if s.get("message") else "")
                ET.SubElement(case, "skipped", message=why)
        for key in ("tests", "failures", "errors", "skipped"):
            suite.set(key, str(counts[key]))
        totals.update(counts)
    for key in ("tests", "failures", "errors", "skipped"):
        suites.set(key, str(totals[key]))
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)


def badge(document: dict[str, Any]) -> dict[str, Any]:
    """shields.io endpoint format. A clean pass is told apart from one that rests on waived MUST failures and
    from a gate that failed on a stale waiver (or on practice): the message says so, the colour is not green."""
    verdict = document["verdict"]
    message, color = verdict, VERDICT_COLOR.get(verdict, "lightgrey")
    waived_must = [r["id"] for r in document["rules"] if r["verdict"] == "waived" and r["level"] == "must"]
    if verdict in ("conformant", "conformant-with-warnings") and waived_must:
        message, color = f"{verdict}, {len(waived_must)} MUST waived", "yellow"
    if not document["gate"]["passed"] and verdict in ("conformant", "conformant-with-warnings"):
        stale = any("stale waiver" in r for r in document["gate"]["reasons"])
        message, color = f"{message}; gate failed ({'stale waiver' if stale else 'see reasons'})", "orange"
    return {"schemaVersion": 1, "label": "PhotoKit BRU conformance", "message": message, "color": color}


@functools.cache
def _env() -> Environment:
    """One environment per process: compiling the two templates is most of rendering a small run's reports."""
    # HTML is escaped; Markdown is not (an entity inside a code span would show literally)
    env = Environment(loader=PackageLoader("bru_conformance.reporting", "templates"),
                      autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["level"] = lambda level: LEVEL_WORD.get(level, level)
    env.filters["tojson_pretty"] = lambda value: json.dumps(value, indent=1)
    env.filters["readings"] = readings_text
    return env


_FAILED_OUTCOMES = ("failed", "error")  # of a rule's verdict and of a scenario run alike


def context(document: dict[str, Any]) -> dict[str, Any]:
    rules = conformance_rules(document)
    practice = [r for r in document["rules"] if r.get("class") == "practice"]
    field = [(r, s) for r in document["rules"] for s in r["scenarios"] if s.get("kind") == "field"]
    return {"doc": document, "areas": area_table(document), "practice": practice, "field": field,
            "not_applicable": [r for r in rules if r["verdict"] == "not-applicable"],
            # a fault of the adapter is not a failure of the implementation: listed apart (issue 12)
            "failed": [r for r in rules if r["verdict"] in _FAILED_OUTCOMES
                       and any(s["outcome"] in _FAILED_OUTCOMES and s.get("kind") != "field" for s in r["scenarios"])],
            "adapter_errors": [(r, s) for r in rules for s in r["scenarios"] if s["outcome"] == "adapter-error"],
            "waived": [r for r in rules if r["verdict"] == "waived" or any(s.get("waiver") for s in r["scenarios"])],
            "untested": [r for r in rules if r["verdict"] == "untested"],
            "unsupported": [r for r in rules if r["verdict"] == "unsupported"],
            "stale": [(r, s) for r in rules for s in r["scenarios"] if s.get("stale_waiver")],
            "rules": rules}


#: every file a run writes into its report directory, results.json first (the others derive from it)
OUTPUTS = ("results.json", "junit.xml", "summary.md", "badge.json", "report.html")


def render(document: dict[str, Any], names: tuple[str, ...] = OUTPUTS) -> dict[str, bytes]:
    """The outputs named, each made only when asked for (the templates' context once, if any needs it)."""
    ctx = functools.cache(lambda: context(document))
    makers = {
        "results.json": lambda: (json.dumps(document, indent=2) + "\n").encode(),
        "junit.xml": lambda: junit(document),
        "summary.md": lambda: _env().get_template("summary.md.j2").render(**ctx()).encode(),
        "badge.json": lambda: (json.dumps(badge(document)) + "\n").encode(),
        "report.html": lambda: _env().get_template("report.html.j2").render(**ctx()).encode(),
    }
    return {name: makers[name]() for name in names}


def write_reports(document: dict[str, Any], report_dir: Path, results_only: bool = False) -> Path:
    """Validate the document and write every output (or results.json alone: `bru-conformance report` renders
    the rest later). Files this run does not write are removed, so an older run's report never passes for
    this one's."""
    validate("results", document)
    report_dir = report_dir.resolve()
    if report_dir.exists() and not report_dir.is_dir():
        raise NotADirectoryError(f"--report-dir {report_dir} is not a directory")
    report_dir.mkdir(parents=True, exist_ok=True)
    outputs = render(document, ("results.json",) if results_only else OUTPUTS)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=report_dir))
    try:
        for name, data in outputs.items():
            (staging / name).write_bytes(data)
        for name in outputs:
            target = report_dir / name
            assert target.parent == report_dir  # fixed names: never outside the report directory
            os.replace(staging / name, target)  # replaces a symlink itself, never what it points to
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for name in OUTPUTS:
        if name not in outputs:
            (report_dir / name).unlink(missing_ok=True)
    return report_dir / "results.json"


def rerender(results_path: Path, report_dir: Path | None = None) -> Path:
    """`bru-conformance report results.json`: every output again from a saved results file."""
    document = json.loads(results_path.read_text(encoding="utf-8"))
    return write_reports(document, report_dir or results_path.parent)
