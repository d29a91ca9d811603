"""Recording every call across the SYSTEM/APP boundary, whoever implements either side.

The harness puts a `TracingLibrary` between the APP and the SYSTEM's `PhotoLibrary`, and a
`TracedApp` between the SYSTEM's scheduler and the APP's extension, so the trace is the same for the
reference and for a plugged-in implementation. @app scenarios assert on it; reports show it as
evidence. Events are JSON-ready (schemas/trace-event.schema.json).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Coroutine
from dataclasses import asdict, is_dataclass
from typing import Any

from bru_conformance.contracts import BackupApp, ChangeRequest, PhotoLibrary, UploadExtension
from bru_conformance.protocol import (
    Asset,
    ExtensionKilled,
    PhotoKitError,
    ProcessingResult,
    Request,
    TraceEvent,
    UploadJob,
)

APP_TO_SYSTEM = "app->system"
SYSTEM_TO_APP = "system->app"


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


def is_change_request(value: object) -> bool:
    """Duck-typed check (a runtime Protocol check would read the profile-gated `placeholder`)."""
    return all(callable(getattr(type(value), m, None)) for m in ("acknowledge", "retry", "cancel"))


def _error(exc: BaseException) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, PhotoKitError):
        out["code"] = int(exc.code)
    return out


class Trace:
    """An append-only list of `TraceEvent`s stamped with the harness clock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.events: list[TraceEvent] = []

    def record(self, direction: str, call: str, args: dict[str, Any], result: Any = None,
               error: BaseException | None = None) -> TraceEvent:
        event = TraceEvent(seq=len(self.events) + 1, time=round(self.clock(), 6), direction=direction, call=call,
                           args={k: to_json(v) for k, v in args.items()}, result=to_json(result),
                           error=None if error is None else _error(error))
        self.events.append(event)
        return event

    def calls(self, name: str | None = None, direction: str | None = None) -> list[TraceEvent]:
        return [e for e in self.events if (name is None or e.call == name) and (direction is None or e.direction == direction)]

    def as_json(self, last: int | None = None) -> list[dict[str, Any]]:
        events = self.events if last is None else self.events[-last:]
        return [{"seq": e.seq, "time": e.time, "direction": e.direction, "call": e.call, "args": e.args,
                 "result": e.result, "error": e.error} for e in events]


def _recorded(trace: Trace, direction: str, call: str, fn: Callable[..., Any], args: dict[str, Any]) -> Any:
    try:
        result = fn()
    except BaseException as exc:  # recorded, then re-raised unchanged (kills included)
        trace.record(direction, call, args, error=exc)
        raise
    trace.record(direction, call, args, result)
    return result


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
        target = getattr(self._inner, name)

        def call(*args: Any) -> Any:
            params = dict(zip(_PARAMS.get(name, ()), args, strict=False))
            result = _recorded(self._trace, APP_TO_SYSTEM, name, lambda: target(*args), params)
            if name in self._QUIET:
                self._trace.events[-1].result = {"count": len(result)}
            if is_change_request(result) and not isinstance(result, TracingChangeRequest):
                job = args[0] if name == "change_request_for" else result.placeholder if _has_placeholder(self._inner) else None
                return TracingChangeRequest(result, self._trace, job)
            return result

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
    """Records the system's calls into one extension process."""

    def __init__(self, inner: UploadExtension, trace: Trace) -> None:
        self._inner, self._trace = inner, trace

    def process(self) -> ProcessingResult:
        self._trace.record(SYSTEM_TO_APP, "process:start", {})
        return _recorded(self._trace, SYSTEM_TO_APP, "process", self._inner.process, {})

    def notify_termination(self) -> None:
        _recorded(self._trace, SYSTEM_TO_APP, "notifyTermination", self._inner.notify_termination, {})

    async def process_jobs(self) -> ProcessingResult:
        self._trace.record(SYSTEM_TO_APP, "process:start", {})
        try:
            result = await self._inner.process_jobs()
        except (Exception, ExtensionKilled) as exc:
            self._trace.record(SYSTEM_TO_APP, "process", {}, error=exc)
            raise
        self._trace.record(SYSTEM_TO_APP, "process", {}, result)
        return result

    async def will_terminate(self) -> None:
        await self._inner.will_terminate()
        self._trace.record(SYSTEM_TO_APP, "notifyTermination", {})


class TracedApp:
    """A `BackupApp` whose extension processes are traced; host-app actions are traced too."""

    def __init__(self, inner: BackupApp, trace: Trace) -> None:
        self.inner, self._trace = inner, trace

    def turn_on_backup(self) -> bool:
        return _recorded(self._trace, "user->app", "turnOnBackup", self.inner.turn_on_backup, {})

    def sign_out(self) -> None:
        _recorded(self._trace, "user->app", "signOut", self.inner.sign_out, {})

    def make_extension(self) -> TracedExtension:
        return TracedExtension(self.inner.make_extension(), self._trace)

    def uploaded_resources(self) -> dict[str, str]:
        return self.inner.uploaded_resources()

    def failed_resources(self) -> set[str]:
        return self.inner.failed_resources()


Coro = Coroutine[Any, Any, Any]
