"""JSON forms of the protocol's value types, for the out-of-process adapter protocol.

One encoder and one decoder per type, so the harness, `serve-reference` and the JSON Schemas in
`schemas/adapter-protocol.schema.json` agree on every field. Errors cross the wire as JSON-RPC error
objects whose `data` names the exception type and carries what is needed to rebuild it.
"""

from __future__ import annotations

from typing import Any

from bru_conformance.protocol import (
    Action,
    APIUnavailableError,
    Asset,
    AssetResource,
    AuthorizationStatus,
    BruError,
    ChangeRequestOutsideBlockError,
    InvalidTransitionError,
    JobState,
    JobType,
    NestedChangeBlockError,
    PersistentChanges,
    PhotoKitError,
    PhotoKitErrorCode,
    PreconditionFailure,
    ProcessingResult,
    Request,
    ResourceKind,
    UploadJob,
    UploadJobOptions,
    URLError,
    URLErrorCode,
)

# --------------------------------------------------------------------------------------- encoders


def request(r: Request | None) -> dict[str, Any] | None:
    return None if r is None else {"url": r.url, "method": r.method, "headers": dict(r.headers)}


def resource(r: AssetResource | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {"resourceId": r.resource_id, "assetId": r.asset_id, "kind": r.kind.value, "filename": r.filename,
            "size": r.size, "icloudOnly": r.icloud_only}


def asset(a: Asset) -> dict[str, Any]:
    return {"assetId": a.asset_id, "resources": [resource(r) for r in a.resources]}


def options(o: UploadJobOptions | None) -> dict[str, Any] | None:
    return None if o is None else {"preventsExpensiveNetworkAccess": o.prevents_expensive_network_access}


def job(j: UploadJob) -> dict[str, Any]:
    """Fields the profile lacks are omitted (decoding restores them as unavailable)."""
    unavailable = sorted(j._unavailable)
    out: dict[str, Any] = {"localIdentifier": j.local_identifier, "state": j.state.name.lower(),
                           "destination": request(j.destination), "profile": j.profile, "unavailable": unavailable}
    fields = {"resource": lambda: resource(j._resource),
              "type": lambda: "downloadOnly" if j._type is JobType.DOWNLOAD_ONLY else "upload",
              "responseHeaderFields": lambda: j._headers,
              "error": lambda: None if j._error is None else {"domain": j._error.domain, "code": int(j._error.code)}}
    for name, value in fields.items():
        if name not in j._unavailable:  # a field the profile lacks is not sent at all
            out[name] = value()
    return out


def changes(c: PersistentChanges) -> dict[str, Any]:
    return {"inserted": list(c.inserted), "updated": list(c.updated), "deleted": list(c.deleted), "token": c.token}


def error(exc: BaseException) -> dict[str, Any]:
    """A JSON-RPC error object for an exception raised by an implementation."""
    data: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, PhotoKitError):
        data["code"] = int(exc.code)
    if isinstance(exc, APIUnavailableError):
        data.update(api=exc.api, profile=exc.profile)
    return {"code": APPLICATION_ERROR, "message": str(exc), "data": data}


# --------------------------------------------------------------------------------------- decoders


def to_request(d: dict[str, Any] | None) -> Request | None:
    return None if d is None else Request.make(d["url"], d.get("method", "POST"), d.get("headers") or {})


def to_resource(d: dict[str, Any] | None) -> AssetResource | None:
    if d is None:
        return None
    return AssetResource(d["resourceId"], d["assetId"], ResourceKind(d.get("kind", "photo")), d.get("filename", "IMG.HEIC"),
                         int(d.get("size", 3_000_000)), bool(d.get("icloudOnly", False)))


def to_asset(d: dict[str, Any]) -> Asset:
    return Asset(d["assetId"], tuple(r for r in (to_resource(x) for x in d["resources"]) if r is not None))


def to_options(d: dict[str, Any] | None) -> UploadJobOptions | None:
    return None if d is None else UploadJobOptions(bool(d.get("preventsExpensiveNetworkAccess", False)))


def to_job(d: dict[str, Any]) -> UploadJob:
    err = d.get("error")
    return UploadJob(local_identifier=d["localIdentifier"], state=JobState[d["state"].upper()],
                     destination=to_request(d["destination"]) or Request(""), resource=to_resource(d.get("resource")),
                     type=JobType.DOWNLOAD_ONLY if d.get("type") == "downloadOnly" else JobType.UPLOAD,
                     response_header_fields=d.get("responseHeaderFields"),
                     error=None if err is None else URLError(URLErrorCode(err["code"]), err.get("domain", "NSURLErrorDomain")),
                     profile=d.get("profile", ""), unavailable=frozenset(d.get("unavailable", ())))


def to_changes(d: dict[str, Any]) -> PersistentChanges:
    return PersistentChanges(tuple(d["inserted"]), tuple(d["updated"]), tuple(d["deleted"]), int(d["token"]))


def to_action(name: str) -> Action:
    return Action[name.upper()]


def action(a: Action) -> str:
    return Action(a).name.lower()


def to_status(value: str) -> AuthorizationStatus:
    return AuthorizationStatus(value)


def to_result(value: str) -> ProcessingResult:
    return ProcessingResult[value.upper()]


def result(r: ProcessingResult) -> str:
    return ProcessingResult(r).name.lower()


APPLICATION_ERROR = -32000
KILLED = -32001  # the SYSTEM killed the extension: stop running, answer nothing more for it

_EXCEPTIONS: dict[str, type[BruError]] = {
    "APIUnavailableError": APIUnavailableError, "ChangeRequestOutsideBlockError": ChangeRequestOutsideBlockError,
    "NestedChangeBlockError": NestedChangeBlockError, "PreconditionFailure": PreconditionFailure,
    "InvalidTransitionError": InvalidTransitionError,
}


def to_exception(err: dict[str, Any]) -> BruError:
    """Rebuild the implementation's exception from a JSON-RPC error object."""
    data = err.get("data") or {}
    kind = data.get("type")
    message = data.get("message", err.get("message", ""))
    if kind == "PhotoKitError":
        return PhotoKitError(PhotoKitErrorCode(int(data["code"])), message)
    if kind == "APIUnavailableError":
        return APIUnavailableError(data.get("api", "?"), data.get("profile", "?"))
    if kind in _EXCEPTIONS:
        return _EXCEPTIONS[kind](message)
    return BruError(f"{kind or 'error'}: {message}")
