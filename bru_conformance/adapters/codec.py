"""Contract calls <-> adapter-protocol messages, one table for both directions.

`LIBRARY_CALLS` and `ENV_CALLS` map each contract method to its wire method and argument codecs.
`serve_call` decodes a request and invokes the contract on a local object (the harness serving an
APP's callbacks, or `serve-reference` serving a SYSTEM); `WireLibrary` / `WireEnvironment` are the
proxies that encode contract calls into requests (an APP adapter calling back, or the harness driving
a SYSTEM adapter). Change-request handles travel as ids, kept in a per-session table.
`EXTENSION_BY_WIRE` does the same for the extension's entry points (`serve_extension`, `WireExtension`).
"""

from __future__ import annotations

import functools
import inspect
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bru_conformance.adapters import forms
from bru_conformance.profiles import Profile
from bru_conformance.protocol import (
    AuthorizationStatus,
    Network,
    OutcomeKind,
    ProcessingResult,
    Request,
    TerminationMode,
    UploadOutcome,
)

Codec = tuple[Callable[[Any], Any], Callable[[Any], Any]]  # (python -> wire, wire -> python)
IDENTITY: Codec = (lambda v: v, lambda v: v)
STATUS: Codec = (lambda s: s.value, forms.to_status)
REQUEST: Codec = (forms.request, forms.to_request)
RESOURCE: Codec = (forms.resource, forms.to_resource)
OPTIONS: Codec = (forms.options, forms.to_options)
ACTION: Codec = (forms.action, forms.to_action)
JOBS: Codec = (lambda js: [forms.job(j) for j in js], lambda ds: [forms.to_job(d) for d in ds])
ASSETS: Codec = (lambda xs: [forms.asset(a) for a in xs], lambda ds: [forms.to_asset(d) for d in ds])
CHANGES: Codec = (forms.changes, forms.to_changes)
NONE: Codec = (lambda v: None, lambda v: None)


def _outcome_to_wire(o: UploadOutcome) -> dict[str, Any]:
    return {"kind": o.kind.value, "status": o.status, "headers": dict(o.headers), "committed": o.committed}


def _outcome_from_wire(d: dict[str, Any]) -> UploadOutcome:
    return UploadOutcome(OutcomeKind(d["kind"]), int(d.get("status", 201)), tuple((d.get("headers") or {}).items()),
                         bool(d.get("committed", False)))


def _call_to_wire(c: Any) -> dict[str, Any]:
    return {"started": c.started, "ended": c.ended, "result": None if c.result is None else forms.result(c.result),
            "killed": c.killed, "terminated": c.terminated}


def _call_from_wire(d: dict[str, Any]) -> Any:
    from bru_conformance.contracts import ProcessingCall

    return ProcessingCall(d["started"], d["ended"], None if d["result"] is None else forms.to_result(d["result"]),
                          d["killed"], d["terminated"])


@dataclass(frozen=True)
class Call:
    wire_method: str
    args: tuple[tuple[str, Codec], ...]  # (wire name, codec) in python positional order
    result: Codec


def _c(method: str, result: Codec = NONE, **args: Codec) -> Call:
    return Call(method, tuple(args.items()), result)


LIBRARY_CALLS: dict[str, Call] = {
    "authorization_status": _c("library.authorizationStatus", STATUS),
    "request_authorization": _c("library.requestAuthorization", STATUS),
    "upload_job_extension_enabled": _c("library.uploadJobExtensionEnabled", IDENTITY),
    "set_upload_job_extension_enabled": _c("library.setUploadJobExtensionEnabled", enabled=IDENTITY),
    "enable_upload_job_extension": _c("library.enableUploadJobExtension", options=OPTIONS),
    "disable_upload_job_extension": _c("library.disableUploadJobExtension"),
    "upload_job_extension_options": _c("library.uploadJobExtensionOptions", OPTIONS),
    "set_upload_job_extension_options": _c("library.setUploadJobExtensionOptions", options=OPTIONS),
    "job_limit": _c("library.jobLimit", IDENTITY),
    "fetch_jobs": _c("library.fetchJobs", JOBS, action=ACTION),
    "asset_resource_for_upload_job": _c("library.assetResourceForUploadJob", RESOURCE, job=IDENTITY),
    "begin_changes": _c("library.beginChanges"),
    "commit_changes": _c("library.commitChanges"),
    "abort_changes": _c("library.abortChanges"),
    "create_job": _c("library.createJob", destination=REQUEST, resource=RESOURCE),
    "fetch_assets": _c("library.fetchAssets", ASSETS),
    "current_change_token": _c("library.currentChangeToken", IDENTITY),
    "fetch_persistent_changes": _c("library.fetchPersistentChanges", CHANGES, since=IDENTITY),
    "register_persistent_changes_observer": _c("library.registerPersistentChangesObserver"),
    "unregister_persistent_changes_observer": _c("library.unregisterPersistentChangesObserver"),
}
#: calls that return a change-request handle: python name -> (wire method, arg codecs)
HANDLE_CALLS: dict[str, Call] = {
    "creation_request_for_job": _c("library.creationRequestForJob", destination=REQUEST, resource=RESOURCE),
    "creation_request_for_download_job": _c("library.creationRequestForDownloadJob", resource=RESOURCE),
    "change_request_for": _c("library.changeRequestFor", job=IDENTITY),
}
ENV_CALLS: dict[str, Call] = {
    "now": _c("env.now", IDENTITY),
    "install_app": _c("env.installApp", extensionRegistered=IDENTITY, urlBase=IDENTITY),
    "set_authorization": _c("env.setAuthorization", status=STATUS),
    "set_user_answer": _c("env.setUserAnswer", status=STATUS),
    "set_limited_selection": _c("env.setLimitedSelection", assetIds=(list, list)),
    "add_assets": _c("env.addAssets", assets=(lambda xs: [forms.asset(a) for a in xs], lambda ds: [forms.to_asset(d) for d in ds])),
    "delete_asset": _c("env.deleteAsset", assetId=IDENTITY),
    "expire_change_history": _c("env.expireChangeHistory"),
    "set_network": _c("env.setNetwork", network=(lambda n: n.value, Network)),
    "set_power": _c("env.setPower", ok=IDENTITY),
    "set_developer_mode": _c("env.setDeveloperMode", on=IDENTITY),
    "set_simulator": _c("env.setSimulator", on=IDENTITY),
    "set_job_limit": _c("env.setJobLimit", limit=IDENTITY),
    "refuse_next_change_block": _c("env.refuseNextChangeBlock", code=IDENTITY),
    "upload_over_http": _c("env.uploadOverHttp", interopVersion=IDENTITY),
    "script_uploads": _c("env.scriptUploads", outcomes=(lambda xs: [_outcome_to_wire(o) for o in xs],
                                                        lambda ds: [_outcome_from_wire(d) for d in ds]), resourceId=IDENTITY),
    "advance": _c("env.advance", seconds=IDENTITY),
    "start_uploads": _c("env.startUploads", job=IDENTITY),
    "settle": _c("env.settle", job=IDENTITY),
    "spend": _c("env.spend", seconds=IDENTITY),
    "run_processing_call": _c("env.runProcessingCall", (_call_to_wire, _call_from_wire)),
    "schedule_termination": _c("env.scheduleTermination", mode=(lambda m: m.value, TerminationMode), afterCalls=IDENTITY,
                               atChange=IDENTITY),
    "processing_calls": _c("env.processingCalls", (lambda cs: [_call_to_wire(c) for c in cs], lambda ds: [_call_from_wire(d) for d in ds])),
    "next_processing_call_at": _c("env.nextProcessingCallAt", IDENTITY),
    "server_received": _c("env.serverReceived", IDENTITY),
    "upload_attempts": _c("env.uploadAttempts", (lambda xs: [{"resourceId": r, "destination": forms.request(q)} for r, q in xs],
                                                 lambda ds: [(d["resourceId"], forms.to_request(d["destination"])) for d in ds])),
    "job_snapshot": _c("env.jobSnapshot", (lambda j: None if j is None else forms.job(j), lambda d: None if d is None else forms.to_job(d)),
                       job=IDENTITY),
    "job_for_resource": _c("env.jobForResource", IDENTITY, resourceId=IDENTITY),
}
ENV_DEFAULTS: dict[str, dict[str, Any]] = {"install_app": {"extensionRegistered": True, "urlBase": "https://backup.example.com/"},
                                           "script_uploads": {"resourceId": None}, "start_uploads": {"job": None},
                                           "settle": {"job": None}, "schedule_termination": {"afterCalls": 0, "atChange": None}}
BY_WIRE: dict[str, tuple[str, Call]] = {c.wire_method: (name, c) for table in (LIBRARY_CALLS, HANDLE_CALLS, ENV_CALLS)
                                        for name, c in table.items()}


def encode_args(call: Call, args: tuple[Any, ...], kwargs: dict[str, Any], defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    params: dict[str, Any] = dict(defaults or {})
    py_names = [_snake(n) for n, _ in call.args]
    for (name, codec), value in zip(call.args, args, strict=False):
        params[name] = None if value is None else codec[0](value)
    for key, value in kwargs.items():
        name, codec = call.args[py_names.index(key)]
        params[name] = None if value is None else codec[0](value)
    return params


@functools.cache
def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


class HandleTable:
    """Change-request handles of one session, by id."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.handles: dict[str, Any] = {}

    def add(self, handle: Any) -> dict[str, Any] | None:
        if handle is None:
            return None
        key = f"cr-{next(self._ids)}"
        self.handles[key] = handle
        placeholder = handle.placeholder if _has_placeholder(handle) else None
        return {"request": key, "placeholder": placeholder}

    def get(self, key: str) -> Any:
        try:
            return self.handles[key]
        except KeyError:
            from bru_conformance.protocol import ChangeRequestOutsideBlockError

            raise ChangeRequestOutsideBlockError(f"no change request {key!r}") from None


def _has_placeholder(handle: Any) -> bool:
    try:
        handle.placeholder  # noqa: B018 - reading it may raise APIUnavailableError before 26.4
    except Exception:
        return False
    return True


def serve_call(target: Any, handles: HandleTable, method: str, params: dict[str, Any]) -> Any:
    """Decode `params`, call the contract method on `target`, encode the result."""
    if method.startswith("changeRequest."):
        handle = handles.get(params["request"])
        verb = method.split(".", 1)[1]
        if verb == "retry":
            handle.retry(forms.to_request(params.get("destination")))
        else:
            getattr(handle, verb)()
        return None
    if method not in BY_WIRE:
        raise KeyError(method)
    name, call = BY_WIRE[method]
    values = [codec[1](params.get(wire_name)) if params.get(wire_name) is not None else None for wire_name, codec in call.args]
    function = getattr(target, name)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    parameters = _parameters(type(target), name, function)
    for index, (parameter, value) in enumerate(zip(parameters, values, strict=False)):
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:  # a generic proxy (e.g. the tracing library)
            args.extend(values[index:])
            break
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = value
        else:
            args.append(value)
    value = function(*args, **kwargs)
    if name in HANDLE_CALLS:
        return handles.add(value)
    return call.result[0](value) if value is not None else None


_SIGNATURES: dict[tuple[type, str], list[inspect.Parameter]] = {}


def _parameters(owner: type, name: str, function: Any) -> list[inspect.Parameter]:
    key = (owner, name)
    if key not in _SIGNATURES:
        _SIGNATURES[key] = list(inspect.signature(function).parameters.values())
    return _SIGNATURES[key]


class WireChangeRequest:
    """A change-request handle living on the other side of the wire."""

    def __init__(self, rpc: Callable[[str, dict[str, Any]], Any], key: str, placeholder: str | None, profile: Profile) -> None:
        self._rpc, self._key, self._placeholder, self._profile = rpc, key, placeholder, profile

    @property
    def placeholder(self) -> str | None:
        self._profile.require("PHAssetResourceUploadJobChangeRequest.placeholderForCreatedAssetResourceUploadJob")
        return self._placeholder

    def acknowledge(self) -> None:
        self._rpc("changeRequest.acknowledge", {"request": self._key})

    def retry(self, destination: Request | None) -> None:
        self._rpc("changeRequest.retry", {"request": self._key, "destination": forms.request(destination)})

    def cancel(self) -> None:
        self._rpc("changeRequest.cancel", {"request": self._key})


def killable(rpc: Callable[[str, dict[str, Any]], Any]) -> Callable[[str, dict[str, Any]], Any]:
    """A KILLED answer from the other side unwinds the caller like a dead process (`ExtensionKilled`)."""
    from bru_conformance.adapters.rpc import Killed
    from bru_conformance.protocol import ExtensionKilled

    def call(method: str, params: dict[str, Any]) -> Any:
        try:
            return rpc(method, params)
        except Killed as exc:
            raise ExtensionKilled(str(exc)) from None

    return call


class _WireProxy:
    """Turns attribute calls into requests through `rpc(method, params)` using a codec table."""

    _TABLE: dict[str, Call] = {}

    def __init__(self, rpc: Callable[[str, dict[str, Any]], Any], profile: Profile) -> None:
        self._rpc = killable(rpc)
        self._profile = profile

    @property
    def profile(self) -> Profile:
        return self._profile

    def __getattr__(self, name: str) -> Any:
        if name in HANDLE_CALLS:
            call = HANDLE_CALLS[name]

            def handle_call(*args: Any) -> WireChangeRequest | None:
                reply = self._rpc(call.wire_method, encode_args(call, args, {}))
                return None if reply is None else WireChangeRequest(self._rpc, reply["request"], reply["placeholder"], self._profile)

            return handle_call
        call = self._TABLE.get(name)
        if call is None:
            raise AttributeError(name)

        def method(*args: Any, **kwargs: Any) -> Any:
            reply = self._rpc(call.wire_method, encode_args(call, args, kwargs, ENV_DEFAULTS.get(name)))
            return None if reply is None else call.result[1](reply)

        return method


class WireLibrary(_WireProxy):
    """A `PhotoLibrary` on the other side of the wire."""

    _TABLE = LIBRARY_CALLS


class WireEnvironment(_WireProxy):
    """An `Environment` on the other side of the wire."""

    _TABLE = ENV_CALLS

    def add_assets(self, assets: Iterable[Any]) -> None:
        self._rpc("env.addAssets", {"assets": [forms.asset(a) for a in assets]})


#: The extension's entry points, wire method -> contract method. Each has its own wire method (protocol
#: 1.2), so what crosses the wire is the method the SYSTEM called, never a choice made by profile on the
#: other side: a SYSTEM that calls the other protocol's method is traced doing so (TER-01/02, VER-04).
EXTENSION_BY_WIRE: dict[str, str] = {"extension.process": "process", "extension.notifyTermination": "notify_termination",
                                     "extension.processJobs": "process_jobs", "extension.willTerminate": "will_terminate"}


def serve_extension(extension: Any, method: str) -> str | None:
    """Call the extension method that the wire method names (driving the 27 coroutines); encode its answer."""
    from bru_conformance import reference

    drive = reference.module("system").drive

    value = getattr(extension, EXTENSION_BY_WIRE[method])()
    if inspect.iscoroutine(value):
        value = drive(value)
    return None if value is None else forms.result(ProcessingResult(value))


class WireExtension:
    """An `UploadExtension` process on the other side of the wire; each method sends its own wire method.

    `rpc(method, params)` sends one request; a KILLED answer should come back as `ExtensionKilled`
    (see `killable`)."""

    def __init__(self, rpc: Callable[[str, dict[str, Any]], Any], session: str, key: str) -> None:
        self._rpc, self._params = rpc, {"session": session, "extension": key}

    def process(self) -> ProcessingResult:
        return forms.to_result(self._rpc("extension.process", self._params))

    def notify_termination(self) -> None:
        self._rpc("extension.notifyTermination", self._params)

    async def process_jobs(self) -> ProcessingResult:
        return forms.to_result(self._rpc("extension.processJobs", self._params))

    async def will_terminate(self) -> None:
        self._rpc("extension.willTerminate", self._params)


def result_to_wire(result: ProcessingResult) -> str:
    return forms.result(result)


__all__ = ["AuthorizationStatus"]
