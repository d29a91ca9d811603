"""The out-of-process adapter protocol: every method, who sends it, its params and its result.

This table is the single source of `schemas/adapter-protocol.schema.json` (regenerate with
`python -m bru_conformance.adapters.methods > schemas/adapter-protocol.schema.json`; a test fails when
the file is stale) and of the method list in `docs/adapter-protocol.md`.

A *session* is one scenario's instance of the implementation: the harness opens it with
`session.create` (role, profile, assumptions, account) and closes it with `session.dispose`.

Version 1.2 gives each extension entry point its own wire method, named after the method the SYSTEM
called (`extension.process` / `extension.notifyTermination` of 26.x, `extension.processJobs` /
`extension.willTerminate` of 27 and macOS): in 1.1 one method stood for both protocols and the serving
side chose by profile, so a SYSTEM adapter calling the wrong protocol's method could not be seen. The
adapter states the version it speaks in its `initialize` answer; the harness refuses any other.
"""

from __future__ import annotations

import json
from typing import Any

PROTOCOL_VERSION = "1.2"

S = {"type": "string"}
I = {"type": "integer"}  # noqa: E741
B = {"type": "boolean"}
N = {"type": "null"}
ANY: dict[str, Any] = {}
SESSION = {"type": "string", "minLength": 1}
REQUEST = {"type": "object", "required": ["url", "method", "headers"], "additionalProperties": False,
           "properties": {"url": S, "method": S, "headers": {"type": "object", "additionalProperties": S}}}
RESOURCE = {"type": "object", "required": ["resourceId", "assetId"],
            "properties": {"resourceId": S, "assetId": S, "kind": {"enum": ["photo", "video", "pairedVideo", "fullSizePhoto"]},
                           "filename": S, "size": I, "icloudOnly": B}}
ASSET = {"type": "object", "required": ["assetId", "resources"], "properties": {"assetId": S, "resources": {"type": "array", "items": RESOURCE}}}
OPTIONS = {"type": "object", "required": ["preventsExpensiveNetworkAccess"], "properties": {"preventsExpensiveNetworkAccess": B}}
NULLABLE = lambda schema: {"anyOf": [schema, N]}
JOB = {"type": "object", "required": ["localIdentifier", "state", "destination", "profile", "unavailable"],
       "properties": {"localIdentifier": S, "state": {"enum": ["registered", "pending", "failed", "succeeded", "cancelled"]},
                      "destination": REQUEST, "profile": S, "unavailable": {"type": "array", "items": S},
                      "resource": NULLABLE(RESOURCE), "type": {"enum": ["upload", "downloadOnly"]},
                      "responseHeaderFields": NULLABLE({"type": "object", "additionalProperties": S}),
                      "error": NULLABLE({"type": "object", "required": ["domain", "code"], "properties": {"domain": S, "code": I}})}}
ACTION = {"enum": ["acknowledge", "retry", "process"]}
STATUS = {"enum": ["notDetermined", "restricted", "denied", "limited", "authorized"]}
RESULT = {"enum": ["failure", "processing", "completed"]}
CHANGE_REQUEST = {"type": "object", "required": ["request", "placeholder"], "properties": {"request": S, "placeholder": NULLABLE(S)}}
OUTCOME = {"type": "object", "required": ["kind"], "properties": {
    "kind": {"enum": ["success", "http-error", "timeout", "connection-lost", "early-answer", "icloud-failure"]},
    "status": I, "headers": {"type": "object", "additionalProperties": S}, "committed": B}}
CALL = {"type": "object", "required": ["started", "ended", "result", "killed", "terminated"],
        "properties": {"started": {"type": "number"}, "ended": {"type": "number"}, "result": NULLABLE(RESULT), "killed": B, "terminated": B}}


def _params(**props: Any) -> dict[str, Any]:
    return {"type": "object", "required": sorted(props), "properties": props}


def _s(**props: Any) -> dict[str, Any]:
    return _params(session=SESSION, **props)


# The PhotoLibrary contract on the wire (sent by the APP to the harness, or by the harness to a SYSTEM).
LIBRARY: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "library.authorizationStatus": (_s(), STATUS),
    "library.requestAuthorization": (_s(), STATUS),
    "library.uploadJobExtensionEnabled": (_s(), B),
    "library.setUploadJobExtensionEnabled": (_s(enabled=B), N),
    "library.enableUploadJobExtension": (_s(options=NULLABLE(OPTIONS)), N),
    "library.disableUploadJobExtension": (_s(), N),
    "library.uploadJobExtensionOptions": (_s(), NULLABLE(OPTIONS)),
    "library.setUploadJobExtensionOptions": (_s(options=OPTIONS), N),
    "library.jobLimit": (_s(), I),
    "library.fetchJobs": (_s(action=ACTION), {"type": "array", "items": JOB}),
    "library.assetResourceForUploadJob": (_s(job=S), NULLABLE(RESOURCE)),
    "library.beginChanges": (_s(), N),
    "library.commitChanges": (_s(), N),
    "library.abortChanges": (_s(), N),
    "library.createJob": (_s(destination=REQUEST, resource=RESOURCE), N),
    "library.creationRequestForJob": (_s(destination=REQUEST, resource=RESOURCE), CHANGE_REQUEST),
    "library.creationRequestForDownloadJob": (_s(resource=RESOURCE), CHANGE_REQUEST),
    "library.changeRequestFor": (_s(job=S), NULLABLE(CHANGE_REQUEST)),
    "changeRequest.acknowledge": (_s(request=S), N),
    "changeRequest.retry": (_s(request=S, destination=NULLABLE(REQUEST)), N),
    "changeRequest.cancel": (_s(request=S), N),
    "library.fetchAssets": (_s(), {"type": "array", "items": ASSET}),
    "library.currentChangeToken": (_s(), I),
    "library.fetchPersistentChanges": (_s(since=I), {"type": "object", "required": ["inserted", "updated", "deleted", "token"]}),
    "library.registerPersistentChangesObserver": (_s(), N),
    "library.unregisterPersistentChangesObserver": (_s(), N),
}

# The Environment contract on the wire (harness -> a SYSTEM under test).
ENVIRONMENT: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "env.now": (_s(), {"type": "number"}),
    "env.installApp": (_s(extensionRegistered=B, urlBase=NULLABLE(S)), N),
    "env.setAuthorization": (_s(status=STATUS), N),
    "env.setUserAnswer": (_s(status=STATUS), N),
    "env.setLimitedSelection": (_s(assetIds={"type": "array", "items": S}), N),
    "env.addAssets": (_s(assets={"type": "array", "items": ASSET}), N),
    "env.deleteAsset": (_s(assetId=S), N),
    "env.expireChangeHistory": (_s(), N),
    "env.setNetwork": (_s(network={"enum": ["none", "wifi", "cellular"]}), N),
    "env.setPower": (_s(ok=B), N),
    "env.setDeveloperMode": (_s(on=B), N),
    "env.setSimulator": (_s(on=B), N),
    "env.setJobLimit": (_s(limit={"type": "integer", "minimum": 1}), N),
    "env.refuseNextChangeBlock": (_s(code=I), N),
    "env.uploadOverHttp": (_s(interopVersion={"type": "integer", "enum": [3, 5, 6, 7, 8]}), N),
    "env.scriptUploads": (_s(outcomes={"type": "array", "items": OUTCOME}, resourceId=NULLABLE(S)), N),
    "env.advance": (_s(seconds={"type": "number", "minimum": 0}), N),
    "env.startUploads": (_s(job=NULLABLE(S)), N),
    "env.settle": (_s(job=NULLABLE(S)), N),
    "env.spend": (_s(seconds={"type": "number", "minimum": 0}), N),
    "env.runProcessingCall": (_s(), CALL),
    "env.scheduleTermination": (_s(mode={"enum": ["notice-mid-call", "notice-after-call", "hard-kill"]}, afterCalls=I,
                                   atChange=NULLABLE({"enum": ["create", "acknowledge", "retry", "cancel"]})), N),
    "env.processingCalls": (_s(), {"type": "array", "items": CALL}),
    "env.nextProcessingCallAt": (_s(), NULLABLE({"type": "number"})),
    "env.serverReceived": (_s(), {"type": "object", "additionalProperties": I}),
    "env.uploadAttempts": (_s(), {"type": "array", "items": {"type": "object", "required": ["resourceId", "destination"]}}),
    "env.jobSnapshot": (_s(job=S), NULLABLE(JOB)),
    "env.jobForResource": (_s(resourceId=S), NULLABLE(S)),
}

SESSION_CREATE = _params(session=SESSION, role={"enum": ["app", "system"]}, profile=S,
                         assumptions={"type": "object", "additionalProperties": S},
                         # filenameHeader: the header every destination carries the resource's file name in (CRE-05)
                         account=NULLABLE({"type": "object",
                                           "required": ["uploadUrl", "token", "serverIdHeader", "maxAttempts", "filenameHeader"],
                                           "properties": {"uploadUrl": S, "token": S, "serverIdHeader": S, "maxAttempts": I,
                                                          "filenameHeader": S}}))

#: method -> (sender, params schema, result schema)
METHODS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "initialize": ("harness", _params(suiteVersion=S, protocolVersion=S),
                   {"type": "object", "required": ["name", "version", "roles", "profiles", "capabilities"],
                    "properties": {"name": S, "version": S, "roles": {"type": "array", "items": {"enum": ["app", "system"]}, "minItems": 1},
                                   "profiles": {"type": "array", "items": S}, "capabilities": {"type": "array", "items": S},
                                   # optional in the schema so that a 1.1 adapter, which lacks it, gets a plain
                                   # "speaks 1.1, needs 1.2" from the harness rather than a schema error
                                   "protocolVersion": S}}),
    "shutdown": ("harness", _params(), N),
    "echo": ("harness", _params(value=ANY), ANY),
    "session.create": ("harness", SESSION_CREATE, N),
    "session.dispose": ("harness", _s(), N),
    # APP role, harness -> adapter
    "app.turnOnBackup": ("harness", _s(), B),
    "app.signOut": ("harness", _s(), N),
    "app.makeExtension": ("harness", _s(extension=S), N),
    "app.uploadedResources": ("harness", _s(), {"type": "object", "additionalProperties": S}),
    "app.failedResources": ("harness", _s(), {"type": "array", "items": S}),
    # the extension's entry points, one wire method per Python method (the SYSTEM's choice must show):
    # 26.x process() / notifyTermination(), 27 and macOS processJobs() / willTerminate()
    "extension.process": ("either", _s(extension=S), RESULT),
    "extension.notifyTermination": ("either", _s(extension=S), N),
    "extension.processJobs": ("either", _s(extension=S), RESULT),
    "extension.willTerminate": ("either", _s(extension=S), N),
    # the account's credential changed (sent before the next call that could use it, never during one)
    "account.setToken": ("harness", _s(token=S), N),
    # SYSTEM role, adapter -> harness: the SYSTEM under test starts an extension process of the harness's APP
    "extension.make": ("adapter", _s(extension=S), N),
    **{m: ("either", p, r) for m, (p, r) in LIBRARY.items()},
    **{m: ("harness", p, r) for m, (p, r) in ENVIRONMENT.items()},
}


def schema_document() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of every message, generated from `METHODS`."""
    params = {m: p for m, (_, p, _) in METHODS.items()}
    results = {m: r for m, (_, _, r) in METHODS.items()}
    def request_for(senders: tuple[str, ...]) -> dict[str, Any]:
        names = sorted(m for m, (s, _, _) in METHODS.items() if s in senders)
        return {"type": "object", "required": ["jsonrpc", "method", "params"],
                "properties": {"jsonrpc": {"const": "2.0"}, "id": {"type": ["integer", "string"]}, "method": {"enum": names},
                               "params": {"type": "object"}},
                "allOf": [{"if": {"properties": {"method": {"const": m}}}, "then": {"properties": {"params": {"$ref": f"#/$defs/params/{m}"}}}}
                          for m in names]}
    response = {"type": "object", "required": ["jsonrpc", "id"],
                "properties": {"jsonrpc": {"const": "2.0"}, "id": {"type": ["integer", "string", "null"]}, "result": True,
                               "error": {"type": "object", "required": ["code", "message"],
                                         "properties": {"code": I, "message": S, "data": {"type": "object"}}}},
                "oneOf": [{"required": ["result"], "not": {"required": ["error"]}}, {"required": ["error"], "not": {"required": ["result"]}}]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://bru-conformance.invalid/schemas/adapter-protocol.schema.json",
        "title": f"bru-conformance adapter protocol {PROTOCOL_VERSION} (JSON-RPC 2.0, one message per line)",
        "$defs": {"params": params, "results": results,
                  "fromHarness": {"anyOf": [request_for(("harness", "either")), response]},
                  "fromAdapter": {"anyOf": [request_for(("adapter", "either")), response]}},
        "oneOf": [{"$ref": "#/$defs/fromHarness"}, {"$ref": "#/$defs/fromAdapter"}],
    }


if __name__ == "__main__":
    print(json.dumps(schema_document(), indent=1, sort_keys=True))
