"""Positive controls of the APP role: every compliant variant passes the whole APP suite (issue 10).

A control the suite fails is a false failure: the suite demands something the digest does not.
`bru-conformance mutants --side controls` prints the same matrix; this test runs it in CI.
"""

from __future__ import annotations

import pytest

from bru_conformance.proving.mutation import run_control
from reference_impl.controls import all_controls


@pytest.mark.slow
@pytest.mark.parametrize("control", [c for c in all_controls() if c.role == "app"], ids=lambda c: c.name)
def test_the_app_control_passes_the_whole_app_suite(control) -> None:  # type: ignore[no-untyped-def]
    row = run_control(control)
    assert row["status"] == "passed", f"{control.name} ({control.allowed_by}): verdict {row['verdict']}, " \
                                      f"wrongly blamed on {row['blamed_rules']} {row['error'] or ''}"
