"""A pytest plugin for tests/test_run_integrity.py: is each scenario's world freed by the time the next scenario
run starts? Writes {"runs": N, "freed": K} to the file named by BRU_TEST_WORLDS_FREED at the session's end."""

from __future__ import annotations

import json
import os
import weakref
from typing import Any

import pytest

_last: list[Any] = []
_counts = {"runs": 0, "freed": 0}


def pytest_bdd_after_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    _last[:] = [weakref.ref(request.getfixturevalue("world"))]  # the scenario's own, made by its first step


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    if _last:
        _counts["runs"] += 1
        _counts["freed"] += _last.pop()() is None


def pytest_sessionfinish(session: pytest.Session) -> None:
    with open(os.environ["BRU_TEST_WORLDS_FREED"], "w", encoding="utf-8") as out:
        json.dump(_counts, out)
