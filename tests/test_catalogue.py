"""The feature files are a complete, well-formed catalogue of the digest's rules (issue 3)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bru_conformance.catalogue import load
from bru_conformance.schemas import validate
from bru_conformance.sources import SOURCES

DIGEST = Path(__file__).resolve().parents[2] / "shared" / "spec" / "rules-digest.md"
AREAS = ("ACT", "CON", "CRE", "PRO", "STA", "RET", "ACK", "CAN", "TER", "LIM", "ERR", "VER")


@pytest.fixture(scope="module")
def catalogue():  # type: ignore[no-untyped-def]
    return load()


def digest_ids() -> set[str]:
    if not DIGEST.exists():
        pytest.skip(f"the specification digest is not beside the checkout ({DIGEST})")
    return {m for m in re.findall(r"^- \*\*([A-Z]{3}-\d{2})\*\*", DIGEST.read_text(encoding="utf-8"), re.M)
            if m[:3] in AREAS}


def test_every_rule_of_the_digest_is_in_the_features(catalogue) -> None:  # type: ignore[no-untyped-def]
    missing = digest_ids() - set(catalogue.by_id())
    assert not missing, f"rules of rules-digest.md section 3 missing from features/: {sorted(missing)}"


def test_no_rule_id_outside_the_digest(catalogue) -> None:  # type: ignore[no-untyped-def]
    unknown = set(catalogue.by_id()) - digest_ids()
    assert not unknown, f"Rules whose ID is not in the digest: {sorted(unknown)}"


def test_the_catalogue_has_no_structural_problem(catalogue) -> None:  # type: ignore[no-untyped-def]
    assert catalogue.problems == []


def test_at_least_90_percent_of_rules_are_executable(catalogue) -> None:  # type: ignore[no-untyped-def]
    rules = [r for r in catalogue.rules if r.area in AREAS]
    executable = [r for r in rules if r.scenarios]
    assert len(executable) >= 0.9 * len(rules), f"{len(executable)}/{len(rules)} rules have scenarios"


def test_every_source_key_resolves(catalogue) -> None:  # type: ignore[no-untyped-def]
    for rule in catalogue.rules:
        assert rule.tags.sources, f"{rule.id} cites no source"
        assert all(k in SOURCES for k in rule.tags.sources)


def test_the_loader_reports_broken_files(tmp_path: Path) -> None:
    (tmp_path / "broken.feature").write_text(
        "Feature: broken\n\n"
        "  Scenario: floating\n    Given x\n\n"
        "  @must @system @src:ART\n  Rule: XYZ-01 unknown area\n\n"
        "  @must @system @src:NOPE\n  Rule: ACT-01 bad source\n\n"
        "  @must @system @src:ART\n  Rule: ACT-02 no scenario\n\n"
        "  @must @src:ART @bogus\n  Rule: ACT-03 bad tag\n", encoding="utf-8")
    problems = "\n".join(load(tmp_path).problems)
    for expected in ("scenario outside a Rule", "known rule ID", "unknown source key", "has no scenario", "unknown tag @bogus"):
        assert expected in problems


def test_rules_json_is_valid_against_its_schema() -> None:
    out = subprocess.run([sys.executable, "-m", "bru_conformance", "rules", "--json"], capture_output=True, text=True, check=True)
    document = json.loads(out.stdout)
    validate("catalogue", document)
    assert {r["id"] for r in document["rules"]} >= {"ACT-01", "ACT-24"}
