"""The controls catalogue (reference_impl.controls): well-formed, each an ordinary adapter, cited."""

from __future__ import annotations

import pytest

from bru_conformance import catalogue
from bru_conformance.adapters import load_implementation
from bru_conformance.proving.mutation import run_control
from reference_impl.controls import all_controls
from reference_impl.mutants import all_mutants


def test_there_are_at_least_twelve_controls_per_role_and_apples_sample_among_them() -> None:
    controls = all_controls()
    for role in ("system", "app"):
        assert len([c for c in controls if c.role == role]) >= 12, role
    assert len([c for c in controls if c.role == "server"]) >= 5
    assert "apple_sample_flow" in {c.name for c in controls}


def test_controls_are_named_cited_and_apart_from_the_mutants() -> None:
    rules = catalogue.load().by_id()
    names = {m.name for m in all_mutants()}
    for c in all_controls():
        assert c.name.isidentifier() and c.name not in names, c.name
        assert c.allowed_by.strip() and c.description.strip(), c.name
        for rule in c.departs_from:
            assert rule in rules and rules[rule].level == "should", f"{c.name} may depart only from SHOULD rules, not {rule}"


@pytest.mark.parametrize("control", all_controls(), ids=lambda c: c.name)
def test_each_control_is_an_ordinary_adapter(control) -> None:  # type: ignore[no-untyped-def]
    assert load_implementation(control.adapter).roles == (control.role,)


class _Blamed:
    """A stand-in control whose run the suite must fail: the reference APP declared as departing from nothing,
    run under a reading that makes it fail (so the 'blamed' path of the matrix is exercised for real)."""

    name, role, allowed_by, description = "blamed_probe", "system", "test", "a mutant passed off as a control"
    departs_from: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    assume: tuple[str, ...] = ()
    adapter = "reference_impl.mutants:retry_twice"


def test_a_control_the_suite_fails_is_reported_blamed() -> None:
    row = run_control(_Blamed(), ("ios-26.1",))
    assert row["status"] == "blamed" and "RET-01" in row["blamed_rules"] and row["verdict"] == "non-conformant"
