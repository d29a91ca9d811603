"""`bru-conformance adapter-check`: is the adapter itself sound, before a full run?

Handshake, an echo round trip, then for each declared role one short session that sends every kind of
message of that role (and serves the adapter's callbacks). Each line is a check with a plain verdict;
a failure says what broke and shows the adapter's last stderr lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from bru_conformance.adapters import AdapterError
from bru_conformance.assumptions import Assumptions
from bru_conformance.contracts import AppAccount
from bru_conformance.profiles import PROFILES, get_profile
from bru_conformance.protocol import Action, Asset, AssetResource, AuthorizationStatus, BruError
from bru_conformance.trace import Trace, TracingLibrary

Check = tuple[bool, str]


def _step(name: str, action: Callable[[], Any]) -> tuple[Check, Any]:
    try:
        value = action()
    except (AdapterError, BruError, AssertionError, KeyError, TypeError) as exc:
        return (False, f"{name}: {exc}"), None
    return (True, name), value


def check(command: str, timeout: float = 10.0) -> Iterator[Check]:
    from bru_conformance.remote import AdapterProcess, RemoteApp, RemoteSystem

    proc = AdapterProcess(command, timeout)
    try:
        result, _ = _step("starts and answers initialize", proc.ensure)
        yield result
        if not result[0]:
            return
        ident = proc.identity
        yield True, f"identity: {ident['name']} {ident['version']}, roles {ident['roles']}, profiles {ident['profiles'] or 'all'}"
        unknown = [p for p in ident["profiles"] if p not in PROFILES]
        yield (not unknown, f"declared profiles are known{': unknown ' + str(unknown) if unknown else ''}")
        yield _step("echo round trip", lambda: proc.call("echo", {"value": {"x": [1, "two"]}}))[0]
        profile = get_profile(next((p for p in ident["profiles"] if p in PROFILES), "ios-27.0"))
        if "app" in ident["roles"]:
            from reference_impl import ReferenceSystem

            system = ReferenceSystem(profile, Assumptions())
            system.set_user_answer(AuthorizationStatus.AUTHORIZED)
            system.add_assets([Asset("check-1", (AssetResource("check-1.res", "check-1"),))])
            token = ["check-token-1"]
            account = AppAccount(token=lambda: token[0])
            made, app = _step("app: session.create", lambda: RemoteApp(proc, TracingLibrary(system, Trace(system.now)), profile, account))
            yield made
            if app is not None:
                system.attach_app(app)
                yield _step("app: turnOnBackup (serving library callbacks)", app.turn_on_backup)[0]
                yield _step("app: extension.process", lambda: system.run_processing_call().result)[0]
                yield _step("app: uploadedResources / failedResources", lambda: (app.uploaded_resources(), app.failed_resources()))[0]
                token[0] = "check-token-2"
                yield _step("app: account.setToken", app.send_token)[0]
                yield _step("app: extension.notifyTermination", lambda: app.make_extension().notify_termination())[0]
                yield _step("app: session.dispose", app.close)[0]
        if "system" in ident["roles"]:
            from bru_conformance.world import HarnessApp

            made, remote = _step("system: session.create", lambda: RemoteSystem(proc, profile, Assumptions()))
            yield made
            if remote is not None:
                lib, env = remote.library, remote.environment
                env.attach_app(HarnessApp())
                setup = lambda: (env.install_app(), env.set_authorization(AuthorizationStatus.AUTHORIZED))
                yield _step("system: env.installApp / env.setAuthorization", setup)[0]
                yield _step("system: library.jobLimit", lambda: _positive(lib.job_limit()))[0]
                enable = (lambda: lib.enable_upload_job_extension(None)) if profile.has("enableUploadJobExtension") else \
                    (lambda: lib.set_upload_job_extension_enabled(True))
                yield _step("system: enable", enable)[0]
                yield _step("system: library.fetchJobs", lambda: lib.fetch_jobs(Action.ACKNOWLEDGE))[0]
                yield _step("system: env.advance (the adapter calls the harness's extension)", lambda: env.advance(10))[0]
                yield _step("system: env.processingCalls", lambda: _nonempty(env.processing_calls()))[0]
                yield _step("system: session.dispose", remote.close)[0]
    finally:
        tail = proc.stderr_tail()
        proc.close()
        if tail:
            yield True, "adapter stderr (last lines):\n" + tail


def _positive(value: int) -> int:
    assert isinstance(value, int) and value > 0, f"jobLimit is {value!r}"
    return value


def _nonempty(calls: list[Any]) -> list[Any]:
    assert calls, "the SYSTEM made no processing call within 10 virtual seconds of enabling"
    return calls
