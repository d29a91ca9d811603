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
* In a session that collected the catalogue's scenarios alone (the command line's, a matrix row's, a team's
  `pytest --bru` selecting only them; under `--workers`, each worker's), the oldest generation is collected only
  at the end: the worlds die young, so between collection and the session's end a full collection walked
  everything the run had kept (its outcomes, growing) to free next to nothing (one in a default run, 100 ms, 863
  objects). And its session-finish hooks, which write the results, run with the collector off: building the
  document allocates much and frees nothing cyclic, and its collections walked the same heap (81-97 of them,
  100-150 ms). The thresholds are put back when pytest unconfigures. (The full collection the run then owes would
  fall on the command's summary and exit: `runner.run` freezes the heap once pytest returns, as the process is
  about to end.) An xdist controller, which collects nothing, and a session that runs other tests too keep their
  collector as it was.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest

_SCENARIO_GC_THRESHOLD = 20_000
_MIDDLE_EVERY = 10
_RUNS_ENDED: list[int] = [0]
_OLDEST_THRESHOLD = 1_000
_OWN: list[tuple[int, int, int]] = []  # the thresholds before a catalogue-only session raised the oldest's


def _catalogue_run(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and "bru_profile" in callspec.params


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()
    if session.items and all(_catalogue_run(item) for item in session.items):
        thresholds = gc.get_threshold()
        _OWN.append(thresholds)
        gc.set_threshold(thresholds[0], thresholds[1], max(thresholds[2], _OLDEST_THRESHOLD))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    if not gc.isenabled() or not _catalogue_run(item):
        return (yield)  # the collector switched off by somebody else, or not a run of the catalogue's: left alone
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], _SCENARIO_GC_THRESHOLD), *thresholds[1:])
    try:
        return (yield)
    finally:
        gc.set_threshold(*thresholds)
        _RUNS_ENDED[0] += 1
        gc.collect(1 if _RUNS_ENDED[0] % _MIDDLE_EVERY == 0 else 0)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> Any:
    if not _OWN:
        return (yield)
    enabled = gc.isenabled()
    gc.disable()
    try:
        return (yield)
    finally:
        if enabled:
            gc.enable()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """The thresholds put back, last: put back before, the full collection the run owes came at the first
    allocation after the results were written (115 ms), not after the command had frozen its heap."""
    if _OWN:
        gc.set_threshold(*_OWN.pop())
