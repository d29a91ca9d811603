"""The reference stays linear in the library (issue 13): work is counted, not timed.

`bench.count_work` counts the function calls of a whole initial backup (a profiler hook): the same number
on any machine, busy or idle. Twice the library must cost about twice the work; a per-call scan of the
whole library (the regression of commit 4b303b5) makes the ratio grow with the library, and this test fails
deterministically. A second test proves the guard can fail: it plants such a scan and sees the ratio rise.
"""

from __future__ import annotations

import pytest

from bru_conformance.bench import count_work
from reference_impl.app import ReferenceApp

# jobLimit 1: a processing call per asset, so a per-call scan of the library costs O(library²) at once.
# The counts are deterministic: the reference measures 2.00 exactly; the planted scan below 2.25.
SMALL, LARGE, JOB_LIMIT, LINEAR_AT_MOST = 400, 800, 1, 2.1


def _ratio() -> float:
    return count_work(LARGE, JOB_LIMIT) / count_work(SMALL, JOB_LIMIT)


def test_twice_the_library_costs_about_twice_the_work() -> None:
    ratio = _ratio()
    assert ratio <= LINEAR_AT_MOST, f"work for {LARGE} assets / work for {SMALL} = {ratio:.2f}: something scans the library per call"


def test_the_guard_sees_a_per_call_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    original = ReferenceApp._forget_deleted

    def scans_every_call(self, deleted=None, present=None):  # type: ignore[no-untyped-def]
        _ = [r for r, res in self.store.pending.items() if res.asset_id in (deleted or ())]  # the old per-call walk
        original(self, deleted, present)

    monkeypatch.setattr(ReferenceApp, "_forget_deleted", scans_every_call)
    assert _ratio() > LINEAR_AT_MOST
