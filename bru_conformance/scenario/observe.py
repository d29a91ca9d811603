"""What the harness saw for itself: processing calls, answers, notices, kills and the app's changes,
read from its own boundary trace (bru_conformance.scenario.trace), never from an implementation's own account.

Steps judge from these views. `ObservedCall` is one processing call as the harness's traced extension
saw it: which entry point the SYSTEM called, when, what the extension answered (as returned), whether
it died, and the termination notices it got. `app_changes` lists the job changes the APP under test
made and the SYSTEM accepted (the harness's own arrangements are apart: their actor is `harness`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from bru_conformance.protocol import ProcessingResult, TraceEvent
from bru_conformance.scenario.trace import APP_TO_SYSTEM, CALL_STARTS, LAUNCH, NOTICE_METHODS, PROCESS_METHODS, SYSTEM_TO_APP, Trace

RESULTS = {r.name.lower(): r for r in ProcessingResult}
STARTS, PROCESS, NOTICES = CALL_STARTS, PROCESS_METHODS, NOTICE_METHODS
CREATES = ("create_job", "creation_request_for_job", "creation_request_for_download_job")
MUTATIONS = ("acknowledge", "retry", "cancel")


@dataclass
class Notice:
    method: str  # notifyTermination or willTerminate
    time: float
    seq: int
    during_call: bool  # delivered while the extension's processing method was running


@dataclass
class ObservedCall:
    """One processing call, as the harness's traced extension recorded it."""

    method: str  # process or processJobs
    started: float
    start_seq: int
    actor: str
    ended: float | None = None  # None: it has not returned (or the harness gave up on it)
    end_seq: int | None = None
    answer: Any = None  # "completed" / "processing" / "failure", {"invalid": ...}, or None
    error: dict[str, Any] | None = None  # what ended it instead of an answer
    notices: list[Notice] = field(default_factory=list)
    process: int = 0  # which extension process served it (1 = the first the SYSTEM launched)

    @property
    def killed(self) -> bool:
        return self.error is not None and self.error.get("type") == "ExtensionKilled"

    @property
    def result(self) -> ProcessingResult | None:
        """The answer as a result, or None when the call was killed, failed or answered something invalid."""
        return RESULTS.get(self.answer) if isinstance(self.answer, str) else None

    @property
    def finished(self) -> bool:
        return self.end_seq is not None

    def describe(self) -> str:
        if self.killed:
            return "nothing (killed)"
        if self.error is not None:
            return f"nothing ({self.error.get('type')}: {self.error.get('message', '')[:80]})"
        if not self.finished:
            return "nothing (the call did not return)"
        return "." + self.answer if isinstance(self.answer, str) else f"an invalid value {self.answer.get('invalid')}"


def reader(trace: Trace) -> CallReader:
    """The call reader kept with `trace` (`Trace.readers`): one per trace, whoever asks."""
    found = trace.readers.get("calls")
    if found is None:
        found = trace.readers["calls"] = CallReader(trace)
    return found


def calls(trace: Trace) -> list[ObservedCall]:
    """Every processing call so far, oldest first, with the notices delivered during or after it.

    Read by one `CallReader` kept with the trace, so each event is read once however often steps ask (the
    steps that wait for a call ask after every minute of virtual time: reading the whole trace each time made
    a long scenario quadratic in its events; it was 8 % of an exploration). The list is the caller's own, and
    so is its last call, a copy: the only call a later event can still change (its end, its notices)."""
    out = reader(trace).update()
    if not out:
        return []
    last = out[-1]
    return [*out[:-1], replace(last, notices=list(last.notices))]


class CallReader:
    """The processing calls of one trace, read as it grows. A trace is append-only (an event is never removed,
    and a system->app event never changed once recorded), so each event is read once: what lets stateful
    exploration ask for the calls after every step without re-reading the whole trace each time. The list
    `update` returns is the reader's own and grows with it; a call still open is completed in place."""

    def __init__(self, trace: Trace) -> None:
        self.events = trace.events
        self.calls: list[ObservedCall] = []
        self._read = 0
        self._open: ObservedCall | None = None
        self._process = 0

    def update(self) -> list[ObservedCall]:
        events = self.events
        out = self.calls
        for i in range(self._read, len(events)):
            e = events[i]
            if e.direction != SYSTEM_TO_APP:
                continue
            if e.call == LAUNCH:
                self._process += 1
            elif e.call in CALL_STARTS:
                self._open = ObservedCall(e.call.split(":")[0], e.time, e.seq, "system", process=self._process)
                out.append(self._open)
            elif e.call in PROCESS_METHODS and self._open is not None and e.call == self._open.method:
                call = self._open
                call.ended, call.end_seq, call.answer, call.error = e.time, e.seq, e.result, e.error
                self._open = None
            elif e.call in NOTICE_METHODS:
                target = self._open or (out[-1] if out else None)
                if target is not None:
                    target.notices.append(Notice(e.call, e.time, e.seq, self._open is not None))
        self._read = len(events)
        return out


def notices(trace: Trace) -> list[TraceEvent]:
    """Every termination notice delivered so far (either protocol's method)."""
    return [e for e in trace.events if e.direction == SYSTEM_TO_APP and e.call in NOTICE_METHODS]


def app_events(trace: Trace, *names: str, accepted: bool = False) -> list[TraceEvent]:
    """The APP under test's own calls into the SYSTEM (not the harness's), optionally only those that did not fail."""
    return [e for e in trace.events if e.direction == APP_TO_SYSTEM and e.actor == "app"
            and (not names or e.call in names) and (not accepted or e.error is None)]


def committed(trace: Trace, actor: str = "app") -> list[TraceEvent]:
    """The change-request calls of `actor` whose change block was committed: what took effect."""
    out: list[TraceEvent] = []
    staged: list[TraceEvent] = []
    for e in trace.events:
        if e.direction != APP_TO_SYSTEM or e.actor != actor:
            continue
        if e.call == "begin_changes" and e.error is None:  # a refused (nested) begin leaves the open block as it was
            staged = []
        elif e.call in (*CREATES, *MUTATIONS) and e.error is None:
            staged.append(e)
        elif e.call == "commit_changes":
            if e.error is None:
                out.extend(staged)
            staged = []
        elif e.call == "abort_changes":
            staged = []
    return out


def began_after(event: TraceEvent, seq: int) -> bool:
    """The call of `event` started after trace event `seq` (a call in progress when `seq` happened did not)."""
    return (event.began if event.began is not None else event.seq - 1) >= seq
