"""Recording every call across the SYSTEM/APP boundary, whoever implements either side.

The harness puts a `TracingLibrary` between the APP and the SYSTEM's `PhotoLibrary`, and a
`TracedApp` between the SYSTEM's scheduler and the APP's extension, so the trace is the same for the
reference and for a plugged-in implementation. The trace is the harness's own evidence: steps count
processing calls, answers, notices and kills from it, never from an implementation's account of what
it did. Events are JSON-ready (schemas/trace-event.schema.json).

Three facts make the evidence exact:

* **The method actually called.** A processing call is recorded under the entry point the SYSTEM
  invoked (`process` or `processJobs`, each with a `:start` event), a notice under
  `notifyTermination` or `willTerminate`; the answer is recorded as returned, before anyone converts it.
* **Who acted.** Every event carries its actor: `app` (the APP under test, in its extension or host
  app), `harness` (arranging steps, and the passive extension the harness plays in @system
  scenarios), `system` (calls into the extension), `user`.
* **When a call began.** An app->system event is recorded when the call returns, with `began`: the
  last sequence number before it started. A notice delivered during the call therefore shows as an
  event between `began` and the call's own event.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Coroutine
from dataclasses import asdict, is_dataclass
from typing import Any

from bru_conformance.contracts import BackupApp, ChangeRequest, PhotoLibrary, UploadExtension
from bru_conformance.protocol import (
    APIUnavailableError,
    Asset,
    PhotoKitError,
    ProcessingResult,
    Request,
    TraceEvent,
    UploadJob,
)

APP_TO_SYSTEM = "app->system"
SYSTEM_TO_APP = "system->app"

#: trace names of the extension entry points: the 26.x protocol and the 27 protocol
PROCESS_METHODS = ("process", "processJobs")
NOTICE_METHODS = ("notifyTermination", "willTerminate")
CALL_STARTS = tuple(f"{m}:start" for m in PROCESS_METHODS)
LAUNCH = "extension:launch"  # the SYSTEM made a new extension process
_ACTOR_OF = {SYSTEM_TO_APP: "system", "user->app": "user"}


def to_json(value: Any) -> Any:
    """A JSON-ready rendering of protocol values (jobs, requests, enums, options)."""
    if isinstance(value, UploadJob):
        return value.to_wire()
    if isinstance(value, Request):
        return {"url": value.url, "method": value.method, "headers": dict(value.headers)}
    if isinstance(value, Asset):
        return {"assetId": value.asset_id, "resources": [r.resource_id for r in value.resources]}
    if isinstance(value, enum.Enum):
        return value.name.lower() if isinstance(value, enum.IntEnum) else value.value
    if is_dataclass(value) and not isinstance(value, type):
        return to_json(asdict(value))
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if is_change_request(value):
        return {"changeRequest": True}
    return repr(value)


_CHANGE_REQUEST_TYPES: dict[type, bool] = {}


def is_change_request(value: object) -> bool:
    """Duck-typed check (a runtime Protocol check would read the profile-gated `placeholder`), once per type:
    every call the app makes asks it of its result."""
    kind = type(value)
    found = _CHANGE_REQUEST_TYPES.get(kind)
    if found is None:
        found = _CHANGE_REQUEST_TYPES[kind] = all(callable(getattr(kind, m, None)) for m in ("acknowledge", "retry", "cancel"))
    return found


def _error(exc: BaseException) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, PhotoKitError):
        out["code"] = int(exc.code)
    if isinstance(exc, APIUnavailableError):
        out["api"] = exc.api
    return out


class BudgetExceeded(BaseException):
    """One scenario's trace outgrew its budget: an implementation kept calling without end. A BaseException, so
    an app's `except Exception` cannot swallow it; the scenario fails with this message, the run goes on."""


#: events one scenario may record (a whole backup of 500 photos records a few thousand)
EVENT_BUDGET = 250_000


class Trace:
    """An append-only list of `TraceEvent`s stamped with the harness clock.

    `actor` is who makes the app->system calls right now: `harness` unless an extension or host-app
    action of the APP under test is running (`acting_as`)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.events: list[TraceEvent] = []
        self.actor = "harness"
        self.budget = EVENT_BUDGET
        #: views read from the events as they grow (`observe.calls`' reader), kept here so that they live and die
        #: with the trace: held anywhere else, what an event's arguments reach (the app, its world) would keep
        #: the trace alive through them
        self.readers: dict[str, Any] = {}

    def record(self, direction: str, call: str, args: dict[str, Any], result: Any = None,
               error: BaseException | None = None, *, actor: str | None = None, began: int | None = None) -> TraceEvent:
        event = TraceEvent(seq=len(self.events) + 1, time=round(self.clock(), 6), direction=direction, call=call,
                           args=args, result=list(result) if isinstance(result, list) else result, convert=to_json,
                           error=None if error is None else _error(error),
                           actor=actor or _ACTOR_OF.get(direction, self.actor), began=began)
        self.events.append(event)
        if len(self.events) > self.budget:
            raise BudgetExceeded(f"the scenario exceeded its budget of {self.budget:,} boundary calls: the implementation "
                                 f"kept working without end (last call: {direction} {call})")
        return event

    def acting_as(self, actor: str, fn: Callable[[], Any]) -> Any:
        """Run `fn` with app->system calls attributed to `actor`."""
        before, self.actor = self.actor, actor
        try:
            return fn()
        finally:
            self.actor = before

    def calls(self, name: str | None = None, direction: str | None = None) -> list[TraceEvent]:
        return [e for e in self.events if (name is None or e.call == name) and (direction is None or e.direction == direction)]

    def as_json(self, last: int | None = None) -> list[dict[str, Any]]:
        events = self.events if last is None else self.events[-last:]
        return [{"seq": e.seq, "time": e.time, "direction": e.direction, "call": e.call, "actor": e.actor,
                 "began": e.began, "args": e.args, "result": e.result, "error": e.error} for e in events]


def _recorded(trace: Trace, direction: str, call: str, fn: Callable[..., Any], args: dict[str, Any]) -> Any:
    began = len(trace.events)
    try:
        result = fn()
    except BaseException as exc:  # recorded, then re-raised unchanged (kills included)
        trace.record(direction, call, args, error=exc, began=began)
        raise
    trace.record(direction, call, args, result, began=began)
    return result


def _answer(value: Any) -> Any:
    """The answer as returned: a result's name, or what an implementation returned instead."""
    if isinstance(value, ProcessingResult):
        return value.name.lower()
    return {"invalid": repr(value)[:200]}


class TracingChangeRequest:
    def __init__(self, inner: ChangeRequest, trace: Trace, job: str | None) -> None:
        self._inner, self._trace, self._job = inner, trace, job

    @property
    def placeholder(self) -> str | None:
        return self._inner.placeholder

    def acknowledge(self) -> None:
        _recorded(self._trace, APP_TO_SYSTEM, "acknowledge", self._inner.acknowledge, {"job": self._job})

    def retry(self, destination: Request | None) -> None:
        _recorded(self._trace, APP_TO_SYSTEM, "retry", lambda: self._inner.retry(destination),
                  {"job": self._job, "destination": destination})

    def cancel(self) -> None:
        _recorded(self._trace, APP_TO_SYSTEM, "cancel", self._inner.cancel, {"job": self._job})


class TracingLibrary:
    """A `PhotoLibrary` that records each call it forwards (and wraps change requests it returns)."""

    _NAMES = ("authorization_status", "request_authorization", "upload_job_extension_enabled",
              "set_upload_job_extension_enabled", "enable_upload_job_extension", "disable_upload_job_extension",
              "upload_job_extension_options", "set_upload_job_extension_options", "job_limit", "fetch_jobs",
              "asset_resource_for_upload_job", "begin_changes", "commit_changes", "abort_changes", "create_job",
              "creation_request_for_job", "creation_request_for_download_job", "change_request_for",
              "fetch_assets", "current_change_token", "fetch_persistent_changes", "register_persistent_changes_observer",
              "unregister_persistent_changes_observer")
    _QUIET = frozenset({"fetch_assets"})  # results too large to keep; the call itself is recorded

    def __init__(self, inner: PhotoLibrary, trace: Trace) -> None:
        self._inner = inner
        self._trace = trace

    @property
    def profile(self):  # type: ignore[no-untyped-def]
        return self._inner.profile

    def __getattr__(self, name: str) -> Any:
        if name not in self._NAMES:
            raise AttributeError(name)
        getattr(self._inner, name)  # an implementation without it raises AttributeError here, as before
        inner = self._inner

        def call(*args: Any) -> Any:
            params = dict(zip(_PARAMS.get(name, ()), args, strict=False))
            result = _recorded(self._trace, APP_TO_SYSTEM, name, lambda: getattr(inner, name)(*args), params)
            if name in self._QUIET:
                self._trace.events[-1].result = {"count": len(result)}
            if is_change_request(result) and not isinstance(result, TracingChangeRequest):
                job = args[0] if name == "change_request_for" else result.placeholder if _has_placeholder(self._inner) else None
                return TracingChangeRequest(result, self._trace, job)
            return result

        self.__dict__[name] = call  # made once per name: the next look-up finds it without __getattr__
        return call


def _has_placeholder(library: PhotoLibrary) -> bool:
    return library.profile.has("PHAssetResourceUploadJobChangeRequest.placeholderForCreatedAssetResourceUploadJob")


_PARAMS: dict[str, tuple[str, ...]] = {
    "set_upload_job_extension_enabled": ("enabled",),
    "enable_upload_job_extension": ("options",),
    "set_upload_job_extension_options": ("options",),
    "fetch_jobs": ("action",),
    "asset_resource_for_upload_job": ("job",),
    "create_job": ("destination", "resource"),
    "creation_request_for_job": ("destination", "resource"),
    "creation_request_for_download_job": ("resource",),
    "change_request_for": ("job",),
    "fetch_persistent_changes": ("since",),
}


class TracedExtension:
    """Records the system's calls into one extension process, under the method the SYSTEM called."""

    def __init__(self, inner: UploadExtension, trace: Trace, actor: str = "app") -> None:
        self._inner, self._trace, self._actor = inner, trace, actor

    def _call(self, method: str, fn: Callable[[], Any]) -> Any:
        trace = self._trace
        began = len(trace.events)
        trace.record(SYSTEM_TO_APP, f"{method}:start", {})
        try:
            result = trace.acting_as(self._actor, fn)
        except BaseException as exc:  # a kill, or the extension failing: recorded as the call's end
            trace.record(SYSTEM_TO_APP, method, {}, error=exc, began=began)
            raise
        trace.record(SYSTEM_TO_APP, method, {}, _answer(result), began=began)
        return result

    def process(self) -> ProcessingResult:
        return self._call("process", self._inner.process)

    def notify_termination(self) -> None:
        _recorded(self._trace, SYSTEM_TO_APP, "notifyTermination",
                  lambda: self._trace.acting_as(self._actor, self._inner.notify_termination), {})

    async def process_jobs(self) -> ProcessingResult:
        trace = self._trace
        began = len(trace.events)
        trace.record(SYSTEM_TO_APP, "processJobs:start", {})
        before, trace.actor = trace.actor, self._actor
        try:
            result = await self._inner.process_jobs()
        except BaseException as exc:
            trace.record(SYSTEM_TO_APP, "processJobs", {}, error=exc, began=began)
            raise
        finally:
            trace.actor = before
        trace.record(SYSTEM_TO_APP, "processJobs", {}, _answer(result), began=began)
        return result

    async def will_terminate(self) -> None:
        trace = self._trace
        began = len(trace.events)
        before, trace.actor = trace.actor, self._actor
        try:
            await self._inner.will_terminate()
        except BaseException as exc:
            trace.record(SYSTEM_TO_APP, "willTerminate", {}, error=exc, began=began)
            raise
        finally:
            trace.actor = before
        trace.record(SYSTEM_TO_APP, "willTerminate", {}, began=began)


class TracedApp:
    """A `BackupApp` whose extension processes are traced; host-app actions are traced too.

    `actor` is "app" for the APP under test and "harness" for the passive app the harness plays in
    @system scenarios."""

    def __init__(self, inner: BackupApp, trace: Trace, actor: str = "app") -> None:
        self.inner, self._trace, self.actor = inner, trace, actor

    def turn_on_backup(self) -> bool:
        return _recorded(self._trace, "user->app", "turnOnBackup",
                         lambda: self._trace.acting_as(self.actor, self.inner.turn_on_backup), {})

    def sign_out(self) -> None:
        _recorded(self._trace, "user->app", "signOut", lambda: self._trace.acting_as(self.actor, self.inner.sign_out), {})

    def make_extension(self) -> TracedExtension:
        """The SYSTEM starts a new extension process: recorded, so calls can be told apart by process."""
        self._trace.record(SYSTEM_TO_APP, LAUNCH, {})
        return TracedExtension(self.inner.make_extension(), self._trace, self.actor)

    def uploaded_resources(self) -> dict[str, str]:
        return self.inner.uploaded_resources()

    def failed_resources(self) -> set[str]:
        return self.inner.failed_resources()


Coro = Coroutine[Any, Any, Any]
