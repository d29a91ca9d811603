"""The longest test files first.

`--dist loadfile` hands each xdist worker one file at a time, in collection order (alphabetical). With a
few files taking a minute or more, that order can leave one worker running a long file at the end while
the other sits idle. Longest first is the classic fix for that kind of scheduling: the short files fill
in the gaps at the end. The weights are seconds measured per file on the project's 2-core machine
(2026-12-02, after forked runs got a stack of their own). A file that is not listed keeps its place after the
listed ones. Only the order changes, never which tests run.

xdist would otherwise put its own order over this one: by default `loadfile` hands out the files with the most
tests first (test_explore's 134 quick ones before test_examples' 6 long ones), which ran the longest file last
and left a worker idle for its last 28 s. `--no-loadscope-reorder` (pyproject's addopts) keeps this order.
"""

from __future__ import annotations

import pytest

#: seconds one file took, summed over its tests (test_mutants runs 2 threads of its own)
MEASURED_SECONDS = {
    "test_examples.py": 57,
    "test_explore.py": 50,
    "test_controls_app.py": 45,
    "test_adapters.py": 41,
    "test_mutants.py": 38,
    "test_controls_system.py": 32,
    "test_run_integrity.py": 30,
    "test_cli_run.py": 20,
    "test_reports.py": 20,
    "test_adapter_faults.py": 13,
    "test_controls_server.py": 13,
}


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    position = {id(item): i for i, item in enumerate(items)}
    items.sort(key=lambda item: (-MEASURED_SECONDS.get(item.path.name, 0), position[id(item)]))
