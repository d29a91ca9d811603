"""Steps about the APP under test and the SYSTEM's scheduling of it: processing calls, time, uploads,
termination, and what the app did (read from the trace, the server and the app's ledger).
"""

from __future__ import annotations

from pytest_bdd import given, then, when

from bru_conformance.protocol import Action, ProcessingResult, TerminationMode, TraceEvent, UploadOutcome
from bru_conformance.trace import APP_TO_SYSTEM, SYSTEM_TO_APP
from bru_conformance.world import World
from steps.vocabulary import CREDENTIALS, p

_ENABLES = ("set_upload_job_extension_enabled", "enable_upload_job_extension")
_CREATES = ("create_job", "creation_request_for_job", "creation_request_for_download_job")
def _enabling_calls(world: World) -> list[TraceEvent]:
    return [e for e in world.trace.calls(direction=APP_TO_SYSTEM) if e.call in _ENABLES
            and e.error is None and (e.call != "set_upload_job_extension_enabled" or e.args.get("enabled"))]


# ------------------------------------------------------------------------------------ host app
@given("the user turned on backup in the app")
def turned_on(world: World) -> None:
    assert world.app.turn_on_backup() is True, "the app did not enable the upload extension"


@when("the user turns on backup in the app")
def turn_on(world: World) -> None:
    world.attempt(world.app.turn_on_backup)


@when("the user signs out of the app")
def sign_out(world: World) -> None:
    world.attempt(world.app.sign_out)


@then("the app enabled the upload extension")
def app_enabled(world: World) -> None:
    assert _enabling_calls(world), "the app never enabled the upload extension"


@then("the app did not enable the upload extension")
def app_not_enabled(world: World) -> None:
    calls = _enabling_calls(world)
    assert not calls, f"the app enabled the upload extension: {calls[0]}"


@then("the app asked for read-write access before enabling")
def asked_first(world: World) -> None:
    events = world.trace.calls(direction=APP_TO_SYSTEM)
    asked = [i for i, e in enumerate(events) if e.call in ("request_authorization", "authorization_status")]
    enabled = [i for i, e in enumerate(events) if e.call in _ENABLES]
    assert asked, "the app never checked photo library access"
    assert not enabled or asked[0] < enabled[0], "the app enabled before checking access"


@then("the app checked whether the upload extension is enabled")
def checked_enabled(world: World) -> None:
    assert world.trace.calls("upload_job_extension_enabled", APP_TO_SYSTEM), "the app never read uploadJobExtensionEnabled"


@then("the app enabled the upload extension before creating its first job")
def enabled_before_creating(world: World) -> None:
    events = world.trace.calls(direction=APP_TO_SYSTEM)
    enabled = [i for i, e in enumerate(events) if e.call in _ENABLES and e.error is None]
    created = [i for i, e in enumerate(events) if e.call in _CREATES]
    assert created, "the app created no job at all"
    assert enabled and enabled[0] < created[0], "the app created a job before enabling the upload extension"


@then("the app disabled the upload extension")
def app_disabled(world: World) -> None:
    calls = [e for e in world.trace.calls(direction=APP_TO_SYSTEM) if e.error is None and (
        e.call == "disable_upload_job_extension"
        or (e.call == "set_upload_job_extension_enabled" and e.args.get("enabled") is False))]
    assert calls, "the app never disabled the upload extension"


@then("the app created no upload job")
def created_none(world: World) -> None:
    calls = [e for e in world.trace.calls(direction=APP_TO_SYSTEM) if e.call in _CREATES]
    assert not calls, f"the app asked to create {len(calls)} job(s)"


@then(p("the app created {count:d} upload job(s)"))
def created_count(world: World, count: int) -> None:
    calls = [e for e in world.trace.calls(direction=APP_TO_SYSTEM) if e.call in _CREATES and e.error is None]
    assert len(calls) == count, f"the app created {len(calls)} job(s), expected {count}"


# ------------------------------------------------------------------------------------ processing calls
@when("the system makes a processing call")
def processing_call(world: World) -> None:
    world.attempt(world.env.run_processing_call)


@when(p("the system makes {count:d} processing calls"))
def processing_calls(world: World, count: int) -> None:
    for _ in range(count):
        processing_call(world)


@then(p("the app returns {result:Result}"))
def app_returns(world: World, result: ProcessingResult) -> None:
    calls = world.env.processing_calls()
    assert calls, "the system made no processing call"
    got = calls[-1].result
    assert got is result, f"the app returned {got.name.lower() if got is not None else 'nothing (killed)'}, expected {result.name.lower()}"


@when(p("{amount:d} {unit:Unit} pass(es)"))
def time_passes(world: World, amount: int, unit: int) -> None:
    world.env.advance(amount * unit)


@then("the system made no processing call")
def no_call(world: World) -> None:
    calls = world.env.processing_calls()
    assert not calls, f"the system made {len(calls)} processing call(s)"


@then(p("the system calls the extension within {amount:d} {unit:Unit}"))
def called_within(world: World, amount: int, unit: int) -> None:
    before = len(world.env.processing_calls())
    world.env.advance(amount * unit)
    assert len(world.env.processing_calls()) > before, f"no processing call within {amount * unit} s"


@then(p("the system does not call the extension within {amount:d} {unit:Unit}"))
def not_called_within(world: World, amount: int, unit: int) -> None:
    before = len(world.env.processing_calls())
    world.env.advance(amount * unit)
    after = world.env.processing_calls()
    assert len(after) == before, f"the system called the extension at t={after[before].started:.1f} s"


@given("the app has finished backing up the library")
def backed_up(world: World) -> None:
    turned_on(world)
    world.env.advance(6 * 3600)
    calls = world.env.processing_calls()
    assert calls and calls[-1].result is ProcessingResult.COMPLETED, "the initial backup did not complete in 6 hours"


# ------------------------------------------------------------------------------------ upload outcomes
@given(p('the upload of "{name}" will fail with {outcome:Outcome}'))
def upload_will_fail(world: World, name: str, outcome: UploadOutcome) -> None:
    world.env.script_uploads([outcome], world.resource(name).resource_id)


@given(p('the next {count:d} uploads of "{name}" will end with {outcome:Outcome}'))
def uploads_will_end(world: World, count: int, name: str, outcome: UploadOutcome) -> None:
    world.env.script_uploads([outcome] * count, world.resource(name).resource_id)


@given(p('the server will answer the upload of "{name}" with HTTP {status:d} after storing it'))
def server_commits_then_fails(world: World, name: str, status: int) -> None:
    outcome = UploadOutcome.http(status, {"X-Server-Id": f"srv-{name}"})
    world.env.script_uploads([UploadOutcome(outcome.kind, status, outcome.headers, committed=True)],
                             world.resource(name).resource_id)


@when("the app's credentials are refreshed")
def credentials_refreshed(world: World) -> None:
    world.token = CREDENTIALS["new"]


# ------------------------------------------------------------------------------------ the app's ledger
@then("every photo is uploaded exactly once and recorded by the app")
def all_uploaded_once(world: World) -> None:
    received = world.env.server_received()
    ledger = world.app.uploaded_resources()
    for alias, resource in world.resources.items():
        assert received.get(resource.resource_id, 0) == 1, f"the server stored {alias} {received.get(resource.resource_id, 0)} times"
        assert resource.resource_id in ledger, f"the app did not record {alias} as uploaded"


@then(p('the app recorded "{name}" as uploaded'))
def recorded(world: World, name: str) -> None:
    assert world.resource(name).resource_id in world.app.uploaded_resources(), f"{name} is not in the app's ledger"


@then(p('the app did not record "{name}" as uploaded'))
def not_recorded(world: World, name: str) -> None:
    assert world.resource(name).resource_id not in world.app.uploaded_resources(), f"{name} is in the app's ledger"


@then(p('the app reported "{name}" as failed'))
def surfaced_failed(world: World, name: str) -> None:
    assert world.resource(name).resource_id in world.app.failed_resources(), f"{name} was not surfaced as failed"


@then("no job is left unacknowledged")
def nothing_unacknowledged(world: World) -> None:
    actions = [Action.ACKNOWLEDGE, Action.RETRY] + ([Action.PROCESS] if world.profile.has("Action.process") else [])
    for action in actions:
        jobs = world.library.fetch_jobs(action)
        assert not jobs, f"{len(jobs)} job(s) still fetched for {action.name.lower()}"


@then("the server received no upload")
def server_nothing(world: World) -> None:
    attempts = world.env.upload_attempts()
    assert not attempts, f"the server saw {len(attempts)} upload attempt(s)"


@then(p('the server saw {count:d} upload attempt(s) of "{name}"'))
def attempts_of(world: World, count: int, name: str) -> None:
    rid = world.resource(name).resource_id
    got = [r for r, _ in world.env.upload_attempts() if r == rid]
    assert len(got) == count, f"the server saw {len(got)} attempt(s) of {name}, expected {count}"


@then(p("the app retried {count:d} job(s)"))
def retried_count(world: World, count: int) -> None:
    got = world.trace.calls("retry", APP_TO_SYSTEM)
    assert len(got) == count, f"the app retried {len(got)} job(s), expected {count}"


@then(p("the app acknowledged {count:d} job(s)"))
def acknowledged_count(world: World, count: int) -> None:
    got = world.trace.calls("acknowledge", APP_TO_SYSTEM)
    assert len(got) == count, f"the app acknowledged {len(got)} job(s), expected {count}"


@then(p("the app read the jobLimit from the system"))
def read_limit(world: World) -> None:
    assert world.trace.calls("job_limit", APP_TO_SYSTEM), "the app never read jobLimit"


@then(p("the app fetched jobs to {action:Action}"))
def fetched_action(world: World, action: Action) -> None:
    got = [e for e in world.trace.calls("fetch_jobs", APP_TO_SYSTEM) if e.args.get("action") == action.name.lower()]
    assert got, f"the app never fetched jobs for .{action.name.lower()}"


@then("within each processing call the app retried before it acknowledged, and acknowledged before it created jobs")
def pass_order(world: World) -> None:
    phase_of = {"retry": 0, "acknowledge": 1, **{c: 2 for c in _CREATES}}
    last = -1
    for e in world.trace.events:
        if e.direction == SYSTEM_TO_APP and e.call == "process:start":
            last = -1
        phase = phase_of.get(e.call)
        if phase is not None and e.direction == APP_TO_SYSTEM:
            assert phase >= last, f"the app called {e.call} after a later phase (event {e.seq})"
            last = phase


# ------------------------------------------------------------------------------------ termination
@given(p("the system will send a termination notice after {count:d} calls into the system in the next processing call"))
def notice_mid_call(world: World, count: int) -> None:
    world.env.schedule_termination(TerminationMode.NOTICE_MID_CALL, count)


@given("the system will send a termination notice right after the next processing call")
def notice_after_call(world: World) -> None:
    world.env.schedule_termination(TerminationMode.NOTICE_AFTER_CALL, 0)


@given(p("the system will kill the extension without notice after {count:d} calls into the system in the next processing call"))
def kill(world: World, count: int) -> None:
    world.env.schedule_termination(TerminationMode.HARD_KILL, count)


@then(p("the app made at most {count:d} calls into the system after the termination notice"))
def stopped_promptly(world: World, count: int) -> None:
    events = world.trace.events
    notice = next((i for i, e in enumerate(events) if e.call == "notifyTermination"), None)
    assert notice is not None, "no termination notice was delivered"
    after = 0
    for e in events[notice + 1:]:
        if e.direction == SYSTEM_TO_APP and e.call in ("process", "process:start"):
            break  # the call the notice came in has ended, or (a notice after a call) the next one began
        after += e.direction == APP_TO_SYSTEM
    assert after <= count, f"the app made {after} calls after the termination notice"


@then("the processing call was killed")
def call_killed(world: World) -> None:
    assert world.env.processing_calls()[-1].killed, "the processing call was not killed"


@then("the processing call ended without being killed")
def call_not_killed(world: World) -> None:
    call = world.env.processing_calls()[-1]
    assert not call.killed and call.result is not None, "the processing call was killed"
