"""Positive controls of the SERVER role: compliant servers that choose differently pass in every interop
version they declare (issue 14). A control the suite fails is a check demanding the reference server's choices."""

from __future__ import annotations

import pytest

from bru_conformance.proving.mutation import run_control
from reference_impl.controls import all_controls


@pytest.mark.slow
@pytest.mark.parametrize("control", [c for c in all_controls() if c.role == "server"], ids=lambda c: c.name)
def test_the_server_control_passes_the_whole_server_suite(control) -> None:  # type: ignore[no-untyped-def]
    row = run_control(control)
    assert row["status"] == "passed", f"{control.name} ({control.allowed_by}): verdict {row['verdict']}, " \
                                      f"wrongly blamed on {row['blamed_rules']} {row['error'] or ''}"
