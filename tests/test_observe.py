"""`observe.calls` reads a trace once, kept with the trace, and still answers as a fresh reading would.

Steps that wait for a processing call ask for the calls after every minute of virtual time; the reader kept with
the trace makes that linear in the events. What a step holds must not change under it: each answer is a list of
its own, and its last call (the only one later events can complete or add notices to) is a copy."""

from __future__ import annotations

import copy
import gc
import weakref

from hypothesis import given, settings
from hypothesis import strategies as st

from bru_conformance.scenario import observe
from bru_conformance.scenario.trace import APP_TO_SYSTEM, LAUNCH, SYSTEM_TO_APP, Trace

#: what a trace can hold, as the traced extension and library record it
EVENTS = st.sampled_from([
    (SYSTEM_TO_APP, LAUNCH, None), (SYSTEM_TO_APP, "process:start", None), (SYSTEM_TO_APP, "process", "completed"),
    (SYSTEM_TO_APP, "processJobs:start", None), (SYSTEM_TO_APP, "processJobs", "processing"),
    (SYSTEM_TO_APP, "notifyTermination", None), (SYSTEM_TO_APP, "willTerminate", None),
    (APP_TO_SYSTEM, "fetch_jobs", []), ("ask", "", None)])


@settings(max_examples=200, deadline=None)
@given(st.lists(EVENTS, max_size=40))
def test_calls_answer_as_a_fresh_reading_and_never_change_under_the_caller(script: list[tuple[str, str, object]]) -> None:
    clock = [0.0]
    trace = Trace(lambda: clock[0])
    held: list[tuple[list[observe.ObservedCall], list[observe.ObservedCall]]] = []
    for direction, call, result in script:
        clock[0] += 1.0
        if direction == "ask":
            answer = observe.calls(trace)
            assert answer == observe.CallReader(trace).update()  # as if the whole trace were read again
            held.append((answer, copy.deepcopy(answer)))
            answer.append(answer[-1] if answer else observe.ObservedCall("process", 0.0, 0, "harness"))  # the caller's own list
        else:
            trace.record(direction, call, {}, result)
    for answer, as_given in held:
        assert answer[:-1] == as_given, "a list a step held changed as the trace grew"
    assert observe.calls(trace) == observe.CallReader(trace).update()


def test_each_event_is_read_once_however_often_the_calls_are_asked_for() -> None:
    clock = [0.0]
    trace = Trace(lambda: clock[0])
    read: list[int] = []
    original = observe.CallReader.update

    def counting(reader: observe.CallReader) -> list[observe.ObservedCall]:
        read.append(len(reader.events) - reader._read)
        return original(reader)

    observe.CallReader.update = counting  # type: ignore[method-assign]
    try:
        for i in range(500):
            trace.record(SYSTEM_TO_APP, "process:start" if i % 2 == 0 else "process", {}, None if i % 2 == 0 else "completed")
            observe.calls(trace)
    finally:
        observe.CallReader.update = original  # type: ignore[method-assign]
    assert sum(read) == 500, f"{sum(read)} event reads for 500 events asked after each one"
    assert len(observe.calls(trace)) == 250


def test_the_reader_kept_for_a_trace_does_not_keep_the_trace_alive() -> None:
    """Each scenario's world (and its trace) must be freed when its run ends (`run.heap`), however often the
    calls were read. An event's arguments can reach the trace (a change request, its app, the world): a reader
    kept anywhere but with the trace kept every exploration's worlds alive (1.5 million objects in a test worker)."""

    class Holder:  # what an event's arguments may reach: something that holds the trace
        def __init__(self, trace: Trace) -> None:
            self.trace = trace

    trace = Trace(lambda: 0.0)
    trace.record(APP_TO_SYSTEM, "acknowledge", {"request": Holder(trace)})
    trace.record(SYSTEM_TO_APP, "process:start", {})
    assert len(observe.calls(trace)) == 1
    gone = weakref.ref(trace)
    del trace
    gc.collect()
    assert gone() is None, "the trace outlived its last reference: the reader holds it"
