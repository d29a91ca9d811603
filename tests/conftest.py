"""The longest test files first.

`--dist loadfile` hands each xdist worker one file at a time, in collection order (alphabetical). With a
few files taking a minute or more, that order can leave one worker running a long file at the end while
the other sits idle. Longest first is the classic fix for that kind of scheduling: the short files fill
in the gaps at the end. The weights are seconds measured with `pytest --durations=0` on the project's 2-core
machine (2026-12-02). A file that is not listed keeps its place after the listed ones. Only the order changes,
never which tests run.
"""

from __future__ import annotations

import pytest

#: seconds one file took, summed over its tests (test_mutants runs 2 threads of its own)
MEASURED_SECONDS = {
    "test_examples.py": 70,
    "test_controls_system.py": 66,
    "test_explore.py": 56,
    "test_controls_app.py": 52,
    "test_adapters.py": 45,
    "test_mutants.py": 39,
    "test_run_integrity.py": 34,
    "test_cli_run.py": 29,
    "test_reports.py": 27,
    "test_adapter_faults.py": 15,
    "test_controls_server.py": 9,
}


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    position = {id(item): i for i, item in enumerate(items)}
    items.sort(key=lambda item: (-MEASURED_SECONDS.get(item.path.name, 0), position[id(item)]))
