"""A pytest plugin for tests/test_run_integrity.py: what the cyclic collector was set to while a conformance run's
scenarios ran and while its results were written, and whether it collected the oldest generation in between.
Writes a JSON object to the file named by BRU_TEST_COLLECTOR_SEEN once pytest has unconfigured."""

from __future__ import annotations

import gc
import json
import os
from typing import Any

import pytest

_seen: dict[str, Any] = {"oldest_threshold_in_runs": [], "oldest_collections": 0, "enabled_at_finish": None}
_phase = ["collecting"]


def _count(phase: str, info: dict[str, int]) -> None:
    if phase == "start" and info["generation"] == 2 and _phase[0] == "running":
        _seen["oldest_collections"] += 1


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    _phase[0] = "running"
    gc.callbacks.append(_count)


def pytest_bdd_after_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    _seen["oldest_threshold_in_runs"].append(gc.get_threshold()[2])


def pytest_sessionfinish(session: pytest.Session) -> None:
    _seen["enabled_at_finish"] = gc.isenabled()  # inside every wrapper of the hook, beside the results' writing
    _phase[0] = "finished"


def pytest_configure(config: pytest.Config) -> None:
    config.add_cleanup(_write)  # cleanups run after every plugin's pytest_unconfigure: what they left behind


def _write() -> None:
    if _count in gc.callbacks:
        gc.callbacks.remove(_count)
    _seen["oldest_threshold_after"] = gc.get_threshold()[2]
    _seen["enabled_after"] = gc.isenabled()
    with open(os.environ["BRU_TEST_COLLECTOR_SEEN"], "w", encoding="utf-8") as out:
        json.dump(_seen, out)
