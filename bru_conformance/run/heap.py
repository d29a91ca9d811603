"""How a conformance run keeps the cyclic garbage collector's work small: a pytest plugin registered beside
`plugin` (with `--bru`).

The collector's time was a sixth of a default run (measured 1.4 s of 7 s, then 1.1 s of 7.6 s). Two things made
it: everything the run loads lived in the collector's sight, and every scenario's world died old.

* What exists when collection finishes (modules, parsed features, the collected items, the catalogue) lives until
  the session ends. It is collected once and frozen (`gc.freeze`): each full collection during the run walks only
  what the scenarios made, not a heap the size of the catalogue.
* A scenario's world (a SYSTEM, an APP, their library and queue, the trace) is full of reference cycles, so only
  the collector frees it. Collected at its own pace, every world outlived a dozen collections of the youngest
  generation while it ran, was promoted, and died in the oldest, where each full collection walked all that was
  there (650,000 objects freed by the collector in a default run). Here the youngest generation is collected once
  a scenario run is over, when its world has just been let go: what it made dies young, and the middle generation
  is collected every tenth run. During the run the youngest generation's threshold is raised (20,000 allocations;
  no scenario of the suite reaches it), not switched off, so a scenario that allocates without end is still
  collected. Measured: the collector's time halves (0.52 s against 1.07 s), the peak RSS is the same;
  `tests/test_run_integrity.py` sees every world freed before the next run starts, and not without this.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest

_SCENARIO_GC_THRESHOLD = 20_000
_MIDDLE_EVERY = 10
_RUNS_ENDED: list[int] = [0]


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    callspec = getattr(item, "callspec", None)
    if not gc.isenabled() or callspec is None or "bru_profile" not in callspec.params:
        return (yield)  # the collector switched off by somebody else, or not a run of the catalogue's: left alone
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], _SCENARIO_GC_THRESHOLD), *thresholds[1:])
    try:
        return (yield)
    finally:
        gc.set_threshold(*thresholds)
        _RUNS_ENDED[0] += 1
        gc.collect(1 if _RUNS_ENDED[0] % _MIDDLE_EVERY == 0 else 0)
