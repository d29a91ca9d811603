"""Allure results through allure-pytest-bdd (never allure-pytest beside it), with useful labels.

Each scenario gets epic = area, feature = feature file title, story = rule ID and title, severity from
the level, a link to the Apple source, the API profile as a parameter, and the (redacted) trace as a
JSON attachment. After the run every result file is passed through the redactor, because allure also
records failure texts on its own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bru_conformance.redact import redact

SEVERITY = {"must": "critical", "should": "normal", "may": "minor", "info": "trivial"}


def active(config: Any) -> bool:
    return bool(getattr(config.option, "allure_report_dir", None))


def label_scenario(rule: Any, profile: str | None) -> None:
    """Called before a scenario runs: rule metadata as Allure labels."""
    import allure

    from bru_conformance.catalogue import AREAS
    from bru_conformance.sources import SOURCES, label

    allure.dynamic.epic(f"{rule.area} {AREAS[rule.area]}")
    allure.dynamic.story(f"{rule.id} {rule.title}")
    allure.dynamic.severity(SEVERITY.get(rule.level, "normal"))
    allure.dynamic.label("rule", rule.id)
    allure.dynamic.label("level", rule.level)
    for key in rule.tags.sources:
        allure.dynamic.link(SOURCES[key], name=f"source {key}: {label(key)}")
    if profile:
        allure.dynamic.parameter("profile", profile)
        allure.dynamic.tag(profile)


def attach_trace(events: list[dict[str, Any]]) -> None:
    import allure

    allure.attach(json.dumps(redact(events), indent=1), name="protocol trace (last calls)",
                  attachment_type=allure.attachment_type.JSON)


def redact_dir(directory: Path) -> int:
    """Redact every JSON and text file Allure wrote; returns how many files were rewritten."""
    changed = 0
    if not directory.is_dir():
        return 0
    for path in directory.iterdir():
        if path.suffix not in (".json", ".txt"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".json":
            try:
                new = json.dumps(redact(json.loads(text)))
            except ValueError:
                continue
        else:
            from bru_conformance.redact import redact_text

            new = redact_text(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed += 1
    return changed


def build_html(report_dir: Path) -> str:
    """Build the Allure HTML site from reports/allure-results with `npx allure` when it is available."""
    results = report_dir / "allure-results"
    if not results.is_dir():
        return f"no {results}: run with --allure first"
    if shutil.which("npx") is None:
        return "npx is not available: install Node.js to build the Allure HTML site (the results are in allure-results/)"
    out = report_dir / "allure-report"
    proc = subprocess.run(["npx", "--yes", "allure", "generate", str(results), "-o", str(out), "--clean"],
                          capture_output=True, text=True)
    return f"allure HTML site: {out}" if proc.returncode == 0 else f"npx allure failed: {proc.stderr.strip()[-500:]}"
