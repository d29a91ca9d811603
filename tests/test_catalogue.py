"""The feature files are a complete, well-formed catalogue of the digest's rules (issue 3)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bru_conformance.catalogue import load
from bru_conformance.catalogue.sources import SOURCES
from bru_conformance.schemas import validate
from tests.cli import bru

DIGEST = Path(__file__).resolve().parents[2] / "shared" / "spec" / "rules-digest.md"
AREAS = ("ACT", "CON", "CRE", "PRO", "STA", "RET", "ACK", "CAN", "TER", "LIM", "ERR", "VER", "NET")
SERVER_RULES = Path(__file__).resolve().parents[1] / "docs" / "server-rules.md"  # NET-11 on (issue 14)


@pytest.fixture(scope="module")
def catalogue():  # type: ignore[no-untyped-def]
    return load()


def digest_ids() -> set[str]:
    """The digest's rules plus the SERVER rules of docs/server-rules.md, which continue its NET series."""
    if not DIGEST.exists():
        pytest.skip(f"the specification digest is not beside the checkout ({DIGEST})")
    found = re.findall(r"^- \*\*([A-Z]{3}-\d{2})\*\*", DIGEST.read_text(encoding="utf-8"), re.M)
    found += re.findall(r"^- \*\*(NET-\d{2})\*\*", SERVER_RULES.read_text(encoding="utf-8"), re.M)
    return {m for m in found if m[:3] in AREAS}


def test_server_rules_continue_the_net_series() -> None:
    server = re.findall(r"^- \*\*(NET-\d{2})\*\*", SERVER_RULES.read_text(encoding="utf-8"), re.M)
    assert server == [f"NET-{n}" for n in range(11, 11 + len(server))] and len(server) >= 20


def test_every_rule_of_the_digest_is_in_the_features(catalogue) -> None:  # type: ignore[no-untyped-def]
    missing = digest_ids() - set(catalogue.by_id())
    assert not missing, f"rules of rules-digest.md section 3 missing from features/: {sorted(missing)}"


def test_no_rule_id_outside_the_digest(catalogue) -> None:  # type: ignore[no-untyped-def]
    """Every conformance rule is the digest's; recommended practice (area PRC) is ours and kept apart."""
    unknown = {r.id for r in catalogue.rules if r.rule_class == "conformance"} - digest_ids()
    assert not unknown, f"Rules whose ID is not in the digest: {sorted(unknown)}"
    practice = [r for r in catalogue.rules if r.rule_class == "practice"]
    assert practice and all(r.area == "PRC" and r.level == "practice" for r in practice)


def test_every_rule_has_a_scenario_that_runs_by_default(catalogue) -> None:  # type: ignore[no-untyped-def]
    """Issue 10: no rule is checked only under an opt-in reading or only as a field observation."""
    lacking = [r.id for r in catalogue.rules if not r.tags.untestable and not r.runs_by_default()]
    assert not lacking, f"rules whose every scenario needs a non-default reading or is @field: {lacking}"


def test_field_and_reading_tags_mean_what_they_say(catalogue) -> None:  # type: ignore[no-untyped-def]
    """A tag that selects on a reading names a switch with alternatives; no @assume names the permissive reading."""
    from bru_conformance.assumptions import SWITCHES

    for rule in catalogue.rules:
        for sc in rule.scenarios:
            for amb, reading in {**sc.tags.assumptions, **sc.tags.world}.items():
                switch = SWITCHES[amb]
                assert switch.selectable and reading != switch.permissive, (rule.id, sc.name, amb, reading)


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


def test_every_source_is_a_clean_url() -> None:
    """Reports link sources as they are: an https URL, nothing glued on (issue 12)."""
    for key, url in SOURCES.items():
        assert re.fullmatch(r"https://\S+", url), (key, url)


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
    out = bru("rules", "--json")
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    validate("catalogue", document)
    assert {r["id"] for r in document["rules"]} >= {"ACT-01", "ACT-24"}


def test_the_loader_reports_checks_that_demand_more_than_their_rule(tmp_path: Path) -> None:
    """An implementation-defined scenario that demands one error without naming its reading, a rule checked only
    under an opt-in reading, a @world reading on a @system scenario, and a tag selecting on a single-reading switch."""
    (tmp_path / "over.feature").write_text(
        "Feature: over-demanding\n\n"
        "  @must @system @src:ART\n  Rule: ACK-01 one refusal demanded\n\n"
        "    @implementation-defined\n    Scenario: demands changeNotSupported\n      Given the upload extension is enabled\n"
        "      Then it fails with changeNotSupported\n\n"
        "  @must @system @src:ART\n  Rule: RET-03 only under a reading\n\n"
        "    @assume:AMB-02=retry-checks-limit\n    Scenario: opt-in only\n      Given the upload extension is enabled\n\n"
        "  @must @system @src:ART\n  Rule: CON-01 world on the system side\n\n"
        "    @world:AMB-13=stops\n    Scenario: world tag on a system scenario\n      Given the upload extension is enabled\n\n"
        "  @must @system @src:ART\n  Rule: CRE-07 selects on a fixed point\n\n"
        "    @assume:AMB-06=inclusive\n    Scenario: fixed reading\n      Given the upload extension is enabled\n",
        encoding="utf-8")
    problems = "\n".join(load(tmp_path).problems)
    for expected in ("demands one refusal", "no scenario runs by default", "@world: readings set the SYSTEM of an @app scenario",
                     "single reading"):
        assert expected in problems, (expected, problems)
