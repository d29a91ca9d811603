"""Steps about the APP under test and the SYSTEM's scheduling of it: processing calls, time, uploads,
termination, and what the app did.

Evidence comes from the harness's own boundary trace (`bru_conformance.scenario.observe`): processing calls,
answers, notices and kills as the traced extension saw them, and the app's own calls (actor `app`),
never the harness's arrangements or an implementation's account of what it did. The server's receipts
and the app's ledger are the two other witnesses a scenario may read.
"""

from __future__ import annotations

from collections.abc import Callable

from pytest_bdd import given, then, when

from bru_conformance.profiles import AVAILABILITY, canonical
from bru_conformance.protocol import Action, ProcessingResult, TerminationMode, TraceEvent, UploadOutcome
from bru_conformance.scenario import observe
from bru_conformance.scenario.world import World, not_applicable

from .vocabulary import CREDENTIALS, p

_ENABLES = ("set_upload_job_extension_enabled", "enable_upload_job_extension")


def _enabling_calls(world: World) -> list[TraceEvent]:
    return [e for e in observe.app_events(world.trace, *_ENABLES, accepted=True)
            if e.call != "set_upload_job_extension_enabled" or e.args.get("enabled")]


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds:g} s"


# ------------------------------------------------------------------------------------ host app
@given("the user turned on backup in the app")
def turned_on(world: World) -> None:
    """The host app's "turn on backup": it must end with the extension enabled (else the arrangement failed)."""
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
    events = observe.app_events(world.trace)
    asked = [i for i, e in enumerate(events) if e.call in ("request_authorization", "authorization_status")]
    enabled = [i for i, e in enumerate(events) if e.call in _ENABLES]
    assert asked, "the app never checked photo library access"
    assert not enabled or asked[0] < enabled[0], "the app enabled before checking access"


@then("the app checked whether the upload extension is enabled")
def checked_enabled(world: World) -> None:
    assert observe.app_events(world.trace, "upload_job_extension_enabled"), "the app never read uploadJobExtensionEnabled"


@then("the app enabled the upload extension before creating its first job")
def enabled_before_creating(world: World) -> None:
    events = observe.app_events(world.trace)
    enabled = [i for i, e in enumerate(events) if e.call in _ENABLES and e.error is None]
    created = [i for i, e in enumerate(events) if e.call in observe.CREATES]
    assert created, "the app created no job at all"
    assert enabled and enabled[0] < created[0], "the app created a job before enabling the upload extension"


@then("the app disabled the upload extension")
def app_disabled(world: World) -> None:
    calls = [e for e in observe.app_events(world.trace, accepted=True)
             if e.call == "disable_upload_job_extension"
             or (e.call == "set_upload_job_extension_enabled" and e.args.get("enabled") is False)]
    assert calls, "the app never disabled the upload extension"


@then("the app created no upload job")
def created_none(world: World) -> None:
    """Not even an attempt: no creation call of the app at all."""
    calls = observe.app_events(world.trace, *observe.CREATES)
    assert not calls, f"the app asked to create {len(calls)} job(s)"


@then("the app created no upload job during that processing call")
def created_none_in_call(world: World) -> None:
    """No creation call of the app inside the latest processing call (host-app work before it is not judged)."""
    call = last_call(world)
    end = call.end_seq if call.end_seq is not None else len(world.trace.events) + 1
    calls = [e for e in observe.app_events(world.trace, *observe.CREATES) if call.start_seq < e.seq < end]
    assert not calls, f"the app asked to create {len(calls)} job(s) during the processing call"


@then(p("the app created {count:d} upload job(s)"))
def created_count(world: World, count: int) -> None:
    """Creations of the app whose change block was committed (the harness's own jobs do not count)."""
    got = [e for e in observe.committed(world.trace) if e.call in observe.CREATES]
    assert len(got) == count, f"the app created {len(got)} job(s), expected {count}"


# ------------------------------------------------------------------------------------ processing calls
@when("the system makes a processing call")
def processing_call(world: World) -> None:
    """Ask the SYSTEM to call the extension now; the harness checks in its own trace that a call began."""
    before = len(observe.calls(world.trace))
    world.env.run_processing_call()
    assert len(observe.calls(world.trace)) > before, "asked to make a processing call, the system called no extension"


@when(p("the system makes {count:d} processing calls"))
def processing_calls(world: World, count: int) -> None:
    for _ in range(count):
        processing_call(world)


def last_call(world: World) -> observe.ObservedCall:
    calls = observe.calls(world.trace)
    assert calls, "the system made no processing call"
    return calls[-1]


@then(p("the app returns {result:Result}"))
def app_returns(world: World, result: ProcessingResult) -> None:
    """The answer of the latest processing call, as the harness saw it returned."""
    call = last_call(world)
    assert call.result is result, f"the app returned {call.describe()}, expected .{result.name.lower()}"


@then("the app answered the processing call with exactly one result")
def answered_one_result(world: World) -> None:
    """The latest call returned, with one of .completed, .processing or .failure (PRO-03)."""
    call = last_call(world)
    assert call.result is not None, f"the processing call ended with {call.describe()}"


@when(p("{amount:d} {unit:Unit} pass(es)"))
def time_passes(world: World, amount: int, unit: int) -> None:
    world.env.advance(amount * unit)


@when("the system is given time to finish its work")
def patience_passes(world: World) -> None:
    """Let the patience horizon pass (--patience, 24 h of virtual time by default): long enough for what the
    digest says happens eventually, whatever delays an implementation chose (AMB-17, documented reading)."""
    world.env.advance(world.patience)


@then("the system made no processing call")
def no_call(world: World) -> None:
    calls = observe.calls(world.trace)
    assert not calls, f"the system made {len(calls)} processing call(s)"


def _call_comes(world: World, horizon: float) -> observe.ObservedCall | None:
    """Advance up to `horizon` seconds a minute at a time; the first new call, or None."""
    before = len(observe.calls(world.trace))
    waited = 0.0
    while waited < horizon:
        step = min(60.0, horizon - waited)
        world.env.advance(step)
        waited += step
        calls = observe.calls(world.trace)
        if len(calls) > before:
            return calls[before]
    return None


@then(p("the system calls the extension within {amount:d} {unit:Unit}"))
def called_within(world: World, amount: int, unit: int) -> None:
    """A fixed delay: only for scenarios of a reading that gives one (e.g. @assume:AMB-17=field)."""
    before = len(observe.calls(world.trace))
    world.env.advance(amount * unit)
    assert len(observe.calls(world.trace)) > before, f"no processing call within {amount * unit} s"


@then("the system calls the extension within the patience horizon")
def called_eventually(world: World) -> None:
    """A new processing call comes before the patience horizon (--patience) has passed; no particular delay."""
    assert _call_comes(world, world.patience) is not None, f"no processing call within the patience horizon ({_hours(world.patience)})"


@then(p("the system does not call the extension within {amount:d} {unit:Unit}"))
def not_called_within(world: World, amount: int, unit: int) -> None:
    before = len(observe.calls(world.trace))
    world.env.advance(amount * unit)
    after = observe.calls(world.trace)
    assert len(after) == before, f"the system called the extension at t={after[before].started:.1f} s"


@then("the system does not call the extension within the patience horizon")
def not_called_eventually(world: World) -> None:
    """No processing call during the whole patience horizon (for what the digest says never happens)."""
    before = len(observe.calls(world.trace))
    world.env.advance(world.patience)
    after = observe.calls(world.trace)
    assert len(after) == before, f"the system called the extension at t={after[before].started:.1f} s"


@given("the app has finished backing up the library")
def backed_up(world: World) -> None:
    """Turn backup on, then let time pass (within the patience horizon) until a call is answered .completed."""
    turned_on(world)
    waited = 0.0
    while waited < world.patience:
        world.env.advance(3600)
        waited += 3600
        calls = observe.calls(world.trace)
        if calls and calls[-1].result is ProcessingResult.COMPLETED:
            return
    raise AssertionError(f"the initial backup was not answered .completed within the patience horizon ({_hours(world.patience)})")


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


# ------------------------------------------------------------------------------------ the server and the ledger
@then("every photo reached the server")
def all_reached_server(world: World) -> None:
    """The server stored every resource of the scenario's library at least once."""
    received = world.env.server_received()
    missing = sorted(a for a, r in world.resources.items() if received.get(r.resource_id, 0) < 1)
    assert not missing, f"the server never stored {missing}"


@then("every photo reached the server exactly once")
def all_reached_once(world: World) -> None:
    """The server stored every resource of the scenario's library exactly once: nothing lost, nothing twice."""
    received = world.env.server_received()
    wrong = {a: received.get(r.resource_id, 0) for a, r in world.resources.items() if received.get(r.resource_id, 0) != 1}
    assert not wrong, f"the server stored these not exactly once: {wrong}"


@then("every photo is uploaded exactly once and recorded by the app")
def all_uploaded_once(world: World) -> None:
    received = world.env.server_received()
    ledger = world.app.uploaded_resources()
    for alias, resource in world.resources.items():
        assert received.get(resource.resource_id, 0) == 1, f"the server stored {alias} {received.get(resource.resource_id, 0)} times"
        assert resource.resource_id in ledger, f"the app did not record {alias} as uploaded"


@then("the app recorded nothing the server did not store")
def ledger_truthful(world: World) -> None:
    """Every resource in the app's ledger is one the server holds a copy of."""
    received = world.env.server_received()
    false = sorted(rid for rid in world.app.uploaded_resources() if received.get(rid, 0) < 1)
    assert not false, f"the app recorded {false} as uploaded, but the server never stored them"


@then("every upload the server saw carried the app's credentials and the photo's file name")
def uploads_carry_metadata(world: World) -> None:
    """CRE-05: each attempt (retries included) names the account's credential and the resource's file name, in the
    headers the account says the server needs (AppAccount)."""
    names = {r.resource_id: r.filename for r in world.resources.values()}
    attempts = world.env.upload_attempts()
    assert attempts, "the server saw no upload"
    for rid, request in attempts:
        auth = request.header("Authorization") or ""
        assert auth.startswith("Bearer ") and len(auth) > len("Bearer "), f"an upload of {rid} carried Authorization {auth!r}"
        got = request.header(world.account.filename_header)
        assert got == names.get(rid), f"an upload of {rid} carried {world.account.filename_header}: {got!r}, expected {names.get(rid)!r}"


def _unavailable_calls(world: World, introduced: Callable[[tuple[tuple[int, int], tuple[int, int] | None]], bool]) -> list[TraceEvent]:
    return [e for e in observe.app_events(world.trace) if e.error and e.error.get("type") == "APIUnavailableError"
            and introduced(AVAILABILITY.get(canonical(e.error.get("api", "")), ((0, 0), None)))]


@then(p("the app called none of the APIs {version} added"))
def app_within_version(world: World, version: str) -> None:
    """VER-02..04 from the app's side: no call of the app failed because it is one of that release's additions."""
    wanted = tuple(int(x) for x in version.split("."))
    bad = _unavailable_calls(world, lambda av: av[0] == wanted)
    assert not bad, f"the app called {bad[0].error.get('api')}, which {version} added; {world.profile.name} lacks it"


@then("the app called none of the iOS-only APIs")
def app_not_ios_only(world: World) -> None:
    """VER-01 from the app's side on macOS: no call of the app failed because the API exists only on iOS."""
    bad = _unavailable_calls(world, lambda av: av[1] is None)
    assert not bad, f"the app called {bad[0].error.get('api')}, which exists only on iOS"


@then("the app never opened a change block inside another")
def app_never_nested(world: World) -> None:
    """ERR-05 from the app's side: none of its change blocks was refused for being nested."""
    bad = [e for e in observe.app_events(world.trace, "begin_changes") if e.error and e.error.get("type") == "NestedChangeBlockError"]
    assert not bad, f"the app opened a change block inside another (event {bad[0].seq})"


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


def _committed_of(world: World, call: str) -> list[TraceEvent]:
    return [e for e in observe.committed(world.trace) if e.call == call]


@then(p("the app retried {count:d} job(s)"))
def retried_count(world: World, count: int) -> None:
    """Retries of the app that took effect (in a committed change block)."""
    got = _committed_of(world, "retry")
    assert len(got) == count, f"the app retried {len(got)} job(s), expected {count}"


@then(p("the app acknowledged {count:d} job(s)"))
def acknowledged_count(world: World, count: int) -> None:
    """Acknowledgements of the app that took effect (in a committed change block)."""
    got = _committed_of(world, "acknowledge")
    assert len(got) == count, f"the app acknowledged {len(got)} job(s), expected {count}"


@then("the app retried no job twice")
def no_second_retry(world: World) -> None:
    """No job got a second retry request from the app, accepted or not (RET-01: one retry per job)."""
    seen: dict[str, int] = {}
    for e in observe.app_events(world.trace, "retry"):
        job = str(e.args.get("job"))
        seen[job] = seen.get(job, 0) + 1
    twice = sorted(j for j, n in seen.items() if n > 1)
    assert not twice, f"the app asked to retry job(s) {twice} more than once"


@then(p("the app read the jobLimit from the system"))
def read_limit(world: World) -> None:
    assert observe.app_events(world.trace, "job_limit"), "the app never read jobLimit"


@then(p("the app fetched jobs to {action:Action}"))
def fetched_action(world: World, action: Action) -> None:
    got = [e for e in observe.app_events(world.trace, "fetch_jobs") if e.args.get("action") == action.name.lower()]
    assert got, f"the app never fetched jobs for .{action.name.lower()}"


def _phases_per_call(world: World) -> list[list[str]]:
    """Per processing call, the app's accepted retry / acknowledge / create requests in order."""
    phase_of = {"retry": "retry", "acknowledge": "acknowledge", **{c: "create" for c in observe.CREATES}}
    per_call: list[list[str]] = []
    for e in world.trace.events:
        if e.call in observe.STARTS:
            per_call.append([])
        elif per_call and e.actor == "app" and e.error is None and e.call in phase_of:
            per_call[-1].append(phase_of[e.call])
    return per_call


@then("within each processing call the app acknowledged finished jobs before it created new ones")
def acknowledged_before_creating(world: World) -> None:
    """CRE-10: no call of the app asks to acknowledge after it has asked to create in that call."""
    for n, phases in enumerate(_phases_per_call(world), 1):
        if "create" in phases and "acknowledge" in phases:
            assert phases.index("create") > max(i for i, p_ in enumerate(phases) if p_ == "acknowledge"), \
                f"in processing call {n} the app acknowledged a job after creating jobs"


@then("during its processing calls the app retried, acknowledged and created jobs")
def all_three_phases(world: World) -> None:
    """PRO-09 without an order: over the calls the app retried a job, acknowledged jobs and created jobs."""
    seen = {p_ for phases in _phases_per_call(world) for p_ in phases}
    missing = sorted({"retry", "acknowledge", "create"} - seen)
    assert not missing, f"the app never did: {', '.join(missing)}"


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


def calls_after_notice(world: World) -> list[TraceEvent]:
    """The app's calls into the system that began after the first notice, up to the end of the processing
    call it came in (a notice after a call: up to the next call's start). A call already running when the
    notice came (the one the notice interrupted) does not count. No notice at all (the app's call ended
    before the moment the scenario scheduled it): the rule does not apply to this run."""
    events = world.trace.events
    notice = next((e for e in events if e.call in observe.NOTICES), None)
    if notice is None:
        not_applicable("no termination notice was delivered: the app's processing call ended before the scheduled moment")
    out = []
    for e in events[notice.seq:]:
        if e.direction == "system->app" and (e.call in observe.STARTS or e.call in observe.PROCESS):
            break
        if e.direction == "app->system" and e.actor == "app" and observe.began_after(e, notice.seq):
            out.append(e)
    return out


@then(p("the app made at most {count:d} calls into the system after the termination notice"))
def stopped_promptly(world: World, count: int) -> None:
    after = calls_after_notice(world)
    assert len(after) <= count, f"the app made {len(after)} calls after the termination notice: {[e.call for e in after]}"


@then("the app began no change block after the termination notice")
def no_block_after_notice(world: World) -> None:
    """TER-03: no new change block is opened once the notice came (one already open may be finished)."""
    opened = [e for e in calls_after_notice(world) if e.call == "begin_changes"]
    assert not opened, f"the app began a change block after the termination notice (event {opened[0].seq})"


@then("the processing call was killed")
def call_killed(world: World) -> None:
    call = last_call(world)
    assert call.killed, f"the processing call was not killed; it ended with {call.describe()}"


@then("the processing call ended without being killed")
def call_not_killed(world: World) -> None:
    call = last_call(world)
    assert call.finished and not call.killed, f"the processing call ended with {call.describe()}"
