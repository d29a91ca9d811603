"""`bru-conformance adapter-check`: is the adapter itself sound, before a full run?

Handshake, an echo round trip, then for each declared role and each extension protocol among the
declared profiles (26.x: `extension.process` / `notifyTermination`; 27 and macOS: `processJobs` /
`willTerminate`) one short session that sends every kind of message of that role and serves the
adapter's callbacks; a SYSTEM must call its profile's pair. Each line is a check with a plain verdict;
a failure says what broke and shows the adapter's last stderr lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from bru_conformance.adapters import AdapterError
from bru_conformance.adapters.codec import serve_extension
from bru_conformance.assumptions import Assumptions
from bru_conformance.contracts import AppAccount
from bru_conformance.profiles import PROFILES, Profile, get_profile
from bru_conformance.protocol import Action, Asset, AssetResource, AuthorizationStatus, BruError, TerminationMode
from bru_conformance.scenario.trace import NOTICE_METHODS, PROCESS_METHODS, Trace, TracedApp, TracingLibrary

if TYPE_CHECKING:
    from bru_conformance.adapters.remote import AdapterProcess

Check = tuple[bool, str]


def _step(name: str, action: Callable[[], Any]) -> tuple[Check, Any]:
    try:
        value = action()
    except (AdapterError, BruError, AssertionError, KeyError, TypeError) as exc:
        return (False, f"{name}: {exc}"), None
    return (True, name), value


def check(command: str, timeout: float = 10.0) -> Iterator[Check]:
    from bru_conformance.adapters.remote import AdapterProcess

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
        for profile in _one_profile_per_protocol(ident["profiles"]):
            if "app" in ident["roles"]:
                yield from _check_app(proc, profile)
            if "system" in ident["roles"]:
                yield from _check_system(proc, profile)
    finally:
        tail = proc.stderr_tail()
        proc.close()
        if tail:
            yield True, "adapter stderr (last lines):\n" + tail


def _one_profile_per_protocol(declared: list[str]) -> list[Profile]:
    """The first declared profile of each extension protocol (26.x, then 27): each pair is exercised once."""
    profiles = [get_profile(p) for p in (declared or ["ios-26.5", "ios-27.0"]) if p in PROFILES]
    return [next(p for p in profiles if p.async_extension is kind) for kind in (False, True) if any(p.async_extension is kind for p in profiles)]


def _check_app(proc: AdapterProcess, profile: Profile) -> Iterator[Check]:
    from bru_conformance import reference
    from bru_conformance.adapters.remote import RemoteApp

    ReferenceSystem = reference.module().ReferenceSystem  # noqa: N806

    process, notice = _protocol(profile)
    system = ReferenceSystem(profile, Assumptions())
    system.set_user_answer(AuthorizationStatus.AUTHORIZED)
    system.add_assets([Asset("check-1", (AssetResource("check-1.res", "check-1"),))])
    token = ["check-token-1"]
    account = AppAccount(token=lambda: token[0])
    made, app = _step(f"app: session.create ({profile.name})",
                      lambda: RemoteApp(proc, TracingLibrary(system, Trace(system.now)), profile, account))
    yield made
    if app is None:
        return
    system.attach_app(app)
    yield _step("app: turnOnBackup (serving library callbacks)", app.turn_on_backup)[0]
    yield _step(f"app: extension.{process}", lambda: _answered(system))[0]
    yield _step("app: uploadedResources / failedResources", lambda: (app.uploaded_resources(), app.failed_resources()))[0]
    token[0] = "check-token-2"
    yield _step("app: account.setToken", app.send_token)[0]
    yield _step(f"app: extension.{notice}", lambda: serve_extension(app.make_extension(), f"extension.{notice}"))[0]
    yield _step("app: session.dispose", app.close)[0]


def _check_system(proc: AdapterProcess, profile: Profile) -> Iterator[Check]:
    from bru_conformance.adapters.remote import RemoteSystem
    from bru_conformance.scenario.world import HarnessApp

    process, notice = _protocol(profile)
    made, remote = _step(f"system: session.create ({profile.name})", lambda: RemoteSystem(proc, profile, Assumptions()))
    yield made
    if remote is None:
        return
    lib, env = remote.library, remote.environment
    trace = Trace(env.now)  # records which extension methods the adapter calls
    env.attach_app(TracedApp(HarnessApp(), trace, "harness"))
    setup = lambda: (env.install_app(), env.set_authorization(AuthorizationStatus.AUTHORIZED))
    yield _step("system: env.installApp / env.setAuthorization", setup)[0]
    yield _step("system: library.jobLimit", lambda: _positive(lib.job_limit()))[0]
    enable = (lambda: lib.enable_upload_job_extension(None)) if profile.has("enableUploadJobExtension") else \
        (lambda: lib.set_upload_job_extension_enabled(True))
    yield _step("system: enable", enable)[0]
    yield _step("system: library.fetchJobs", lambda: lib.fetch_jobs(Action.ACKNOWLEDGE))[0]
    yield _step("system: env.scheduleTermination", lambda: env.schedule_termination(TerminationMode.NOTICE_AFTER_CALL, 0))[0]
    yield _step("system: env.advance (the adapter calls the harness's extension)", lambda: env.advance(10))[0]
    yield _step("system: env.processingCalls", lambda: _nonempty(env.processing_calls()))[0]
    yield _step(f"system: calls extension.{process} and extension.{notice}, its profile's pair",
                lambda: _called(trace, process, notice))[0]
    yield _step("system: session.dispose", remote.close)[0]


def _protocol(profile: Profile) -> tuple[str, str]:
    """The extension's processing and notice methods in `profile` (AMB-27)."""
    return ("processJobs", "willTerminate") if profile.async_extension else ("process", "notifyTermination")


def _called(trace: Trace, process: str, notice: str) -> None:
    """The SYSTEM adapter called exactly its profile's pair (the wire names the method it called)."""
    called = {e.call for e in trace.events if e.call in PROCESS_METHODS + NOTICE_METHODS}
    assert called == {process, notice}, (f"the adapter called {sorted(called) or 'nothing'}: each wire method must be the one "
                                         "the SYSTEM calls, and the other protocol's pair fails TER-01/TER-02 and VER-04")


def _answered(system: Any) -> Any:
    """One processing call answered with a result. The reference SYSTEM takes an extension that fails
    (an adapter fault included) as crashed, so the failure is read from its diagnostics."""
    call = system.run_processing_call()
    assert call.result is not None, (system.diagnostics or ["the processing call ended without an answer"])[-1]
    return call.result


def _positive(value: int) -> int:
    assert isinstance(value, int) and value > 0, f"jobLimit is {value!r}"
    return value


def _nonempty(calls: list[Any]) -> list[Any]:
    assert calls, "the SYSTEM made no processing call within 10 virtual seconds of enabling"
    return calls


def check_in_process(spec: str) -> Iterator[Check]:
    """`adapter-check --adapter module:factory`: loads the implementation, then for each role it provides and each
    extension protocol among its profiles runs one short session through the role contracts (the other role
    played by the reference)."""
    from bru_conformance.adapters import load_implementation
    from bru_conformance.scenario.world import World

    result, impl = _step(f"loads {spec}", lambda: load_implementation(spec))
    yield result
    if not result[0]:
        return
    yield True, f"identity: {impl.name} {impl.version}, roles {list(impl.roles)}, profiles {list(impl.profiles) or 'all'}"
    unknown = [p for p in impl.profiles if p not in PROFILES]
    yield (not unknown, f"declared profiles are known{': unknown ' + str(unknown) if unknown else ''}")
    for profile in _one_profile_per_protocol(list(impl.profiles)):
        name = profile.name
        for role in impl.roles:
            def session(role: str = role, profile: Profile = profile) -> str:
                world = World(profile, Assumptions(), impl, role)
                try:
                    if role == "app":
                        world.add_photos(["check-1", "check-2"])
                        world.env.set_user_answer(AuthorizationStatus.AUTHORIZED)
                        assert world.app.turn_on_backup() is True, "turn_on_backup did not enable the extension"
                    else:
                        world.env.set_authorization(AuthorizationStatus.AUTHORIZED)
                        if profile.has("enableUploadJobExtension"):
                            world.library.enable_upload_job_extension(None)
                        else:
                            world.library.set_upload_job_extension_enabled(True)
                        assert world.library.upload_job_extension_enabled(), "uploadJobExtensionEnabled is false after enabling"
                        assert world.library.job_limit() > 0, "jobLimit is not positive"
                    world.env.schedule_termination(TerminationMode.NOTICE_AFTER_CALL, 0)
                    world.env.run_processing_call()
                    methods = [e.call for e in world.trace.events if e.call in PROCESS_METHODS or e.call in NOTICE_METHODS]
                    expected = {"processJobs", "willTerminate"} if profile.async_extension else {"process", "notifyTermination"}
                    assert methods and set(methods) <= expected, f"the extension was called through {methods}, expected {sorted(expected)}"
                    return ", ".join(dict.fromkeys(methods))
                finally:
                    world.close()

            yield _step(f"{role} session on {name} (enable, a processing call, a notice)", session)[0]
