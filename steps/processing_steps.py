"""Steps specific to the processing feature; shared wording lives in setup_steps, job_steps and app_steps.

Processing calls are counted from the harness's own trace (`bru_conformance.scenario.observe`), whichever
entry point the SYSTEM used; the passive extension of @system scenarios is configured here.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

from pytest_bdd import given, then, when

from bru_conformance.protocol import Action, PhotoKitError, PhotoKitErrorCode, ProcessingResult
from bru_conformance.scenario import observe
from bru_conformance.scenario.world import World, not_applicable

from .app_steps import _hours
from .job_steps import _create_in_block, _mutate
from .vocabulary import ERROR_CODES, p


def _harness_only(world: World, what: str) -> None:
    assert world.role == "system", f"{what} describes the harness extension of @system scenarios"


# ------------------------------------------------------------------------------------ the harness extension
@given(p("the extension answers every processing call with {result:Result}"))
def harness_answers(world: World, result: ProcessingResult) -> None:
    """The harness extension of a @system scenario returns this result from every call."""
    _harness_only(world, "the extension's answer")
    world.harness_result = result


@given(p("the extension works for {amount:d} {unit:Unit} in every processing call"))
def harness_works(world: World, amount: int, unit: int) -> None:
    """The harness extension keeps working (without returning) until this much virtual time has passed in a call."""
    _harness_only(world, "the extension's work")
    world.harness_work_seconds = float(amount * unit)


@given("the extension works without end in every processing call")
def harness_works_forever(world: World) -> None:
    """The harness extension never returns of its own accord: it works for the whole patience horizon."""
    _harness_only(world, "the extension's work")
    world.harness_work_seconds = world.patience


@given(p("the extension's processJobs suspends {count:d} times before it answers"))
def harness_suspends(world: World, count: int) -> None:
    """27: the harness extension's async processJobs awaits `count` times (yielding to the SYSTEM's driver) first."""
    _harness_only(world, "the extension's suspensions")
    world.harness_suspensions = count


def _in_next_call(world: World, act: Callable[[World], None]) -> None:
    """Queue `act` for the harness extension's next processing call (several Givens add to the same call)."""
    _harness_only(world, "work inside a processing call")
    if not world.harness_script:
        world.harness_script.append([])
    world.harness_script[0].append(act)


@given(p('in its next processing call the extension creates an upload job for "{alias}"'))
def creates_inside_call(world: World, alias: str) -> None:
    """The harness extension registers a job for the photo inside its next call (AMB-20: it starts after the call)."""
    world.ensure_photos([alias])
    _in_next_call(world, lambda w: _create_in_block(w, [alias]))


@given(p('in its next processing call the extension retries job "{alias}" keeping its destination'))
def retries_inside_call(world: World, alias: str) -> None:
    """The harness extension retries the job (destination nil) inside its next call."""
    _in_next_call(world, lambda w: _mutate(w, alias, lambda r: r.retry(None)))


@given(p('in its next processing call the extension acknowledges job "{alias}"'))
def acknowledges_inside_call(world: World, alias: str) -> None:
    """The harness extension acknowledges the job inside its next call."""
    _in_next_call(world, lambda w: _mutate(w, alias, lambda r: r.acknowledge()))


@given("the system has made its first processing call")
def first_call_made(world: World) -> None:
    """Let virtual time pass (at most the patience horizon) until the harness has seen a processing call."""
    waited = 0.0
    while not observe.calls(world.trace):
        assert waited < world.patience, f"the system made no processing call within the patience horizon ({_hours(world.patience)})"
        world.env.advance(1 if waited < 60 else 60)
        waited += 1 if waited < 60 else 60


def _calls_come(world: World, count: int) -> None:
    """Advance (a second, then a minute at a time; at most the patience horizon) until `count` more calls began."""
    target = len(observe.calls(world.trace)) + count
    waited = 0.0
    while len(observe.calls(world.trace)) < target:
        assert waited < world.patience, \
            f"{len(observe.calls(world.trace))} processing call(s) within the patience horizon ({_hours(world.patience)}), expected {target}"
        step = 1.0 if waited < 60 else 60.0
        world.env.advance(step)
        waited += step


@given(p("the system has made {count:d} processing calls"))
def calls_made(world: World, count: int) -> None:
    """Let time pass until the harness has seen `count` processing calls in all."""
    _calls_come(world, count - len(observe.calls(world.trace)))


@when(p("the system makes {count:d} more processing calls of its own accord"))
def more_calls(world: World, count: int) -> None:
    """Let time pass until the SYSTEM has made `count` more calls by its own schedule."""
    _calls_come(world, count)


@then("the pause between the calls after Developer Mode was switched on is shorter than the pause before it")
def developer_mode_cuts_pause(world: World) -> None:
    """PRO-19: the pause between the first two calls that begin after the switch is shorter than the last pause
    between calls before it (the backoff Developer Mode skips)."""
    switched = world.marks.get("developer mode")
    assert switched is not None, "Developer Mode was never switched on"
    calls = observe.calls(world.trace)
    before = [c for c in calls if c.started <= switched]
    after = [c for c in calls if c.started > switched]
    assert len(before) >= 2 and len(after) >= 2, f"{len(before)} call(s) before and {len(after)} after the switch; need 2 each"
    pause_before = before[-1].started - (before[-2].ended or before[-2].started)
    pause_after = after[1].started - (after[0].ended or after[0].started)
    assert pause_after < pause_before, \
        f"the pause after Developer Mode was switched on is {pause_after:.1f} s, the backoff before it {pause_before:.1f} s"


@given("every slot under the jobLimit is held by a job for a photo the user has since deleted")
def limit_filled_by_orphans(world: World) -> None:
    """The harness fills every slot left under the jobLimit with jobs (for photos it then deletes) that the
    app's own bookkeeping does not know: one job per change block until the system refuses one with
    limitExceeded, so jobs the app already holds are counted without any test-only view."""
    limit = world.library.job_limit()
    aliases: list[str] = []
    for i in range(1, limit + 2):
        alias = f"orphan-{i}"
        try:
            _create_in_block(world, [alias])
        except PhotoKitError as exc:
            assert exc.code is PhotoKitErrorCode.LIMIT_EXCEEDED, f"filling the jobLimit failed with {exc!r}"
            world.env.delete_asset(world.resource(alias).asset_id)  # the probe's photo goes too
            break
        aliases.append(alias)
    else:
        raise AssertionError(f"the system accepted {limit + 1} jobs; its jobLimit is {limit}")
    for alias in aliases:
        world.env.delete_asset(world.resource(alias).asset_id)


# ------------------------------------------------------------------------------------ processing calls
@then(p("the system made {count:d} processing call(s)"))
def made_calls(world: World, count: int) -> None:
    """Counts every processing call the harness saw so far, scheduled or made by a step."""
    calls = observe.calls(world.trace)
    assert len(calls) == count, f"the system made {len(calls)} processing call(s), expected {count}"


@then(p("the system made at least {count:d} processing calls"))
def made_at_least(world: World, count: int) -> None:
    """A lower bound on the processing calls so far."""
    calls = observe.calls(world.trace)
    assert len(calls) >= count, f"the system made {len(calls)} processing call(s), expected at least {count}"


@then("the gaps between the processing calls grow")
def gaps_grow(world: World) -> None:
    """At least three calls, each following the previous one after a longer pause than the one before."""
    starts = [c.started for c in observe.calls(world.trace)]
    assert len(starts) >= 3, f"only {len(starts)} processing call(s) to compare"
    gaps = [round(b - a, 3) for a, b in pairwise(starts)]
    assert all(later > earlier for earlier, later in pairwise(gaps)), f"gaps between calls: {gaps} s"


@then("the system backs off between the calls that follow a .failure")
def backs_off(world: World) -> None:
    """PRO-14 without figures: at least three calls; the pauses between them never shrink, and they grow (the last
    is longer than the first): a backoff, whatever its values and wherever it stops growing."""
    calls = [c for c in observe.calls(world.trace) if c.finished]
    assert len(calls) >= 3, f"only {len(calls)} processing call(s) within the patience horizon; a backoff needs at least 3 to show"
    pauses = [round(b.started - (a.ended or a.started), 3) for a, b in pairwise(calls)]
    shown = pauses if len(pauses) <= 8 else [*pauses[:4], "…", *pauses[-3:]]
    assert all(later >= earlier for earlier, later in pairwise(pauses)), f"the pauses between calls shrink: {shown} s"
    assert pauses[-1] > pauses[0], f"the pauses between calls do not grow: {shown} s"


@then("the pause after the last .failure is shorter than the pause before it")
def pause_shorter(world: World) -> None:
    """Developer Mode skips the backoff: the latest pause is shorter than the previous one."""
    calls = [c for c in observe.calls(world.trace) if c.finished]
    assert len(calls) >= 3, f"only {len(calls)} processing call(s) to compare"
    pauses = [round(b.started - (a.ended or a.started), 3) for a, b in pairwise(calls)]
    assert pauses[-1] < pauses[-2], f"pauses between calls: {pauses} s; Developer Mode should have cut the last one"


@then("within each extension process a call was killed only if the process's first call was killed too")
def limit_per_call(world: World) -> None:
    """LIM-06/PRO-14 per call, for any limit value: calls doing the same work are treated alike, so a later call of
    a process whose first call lived must live too (a limit measured from the process's launch fails this)."""
    by_process: dict[int, list[observe.ObservedCall]] = {}
    for call in observe.calls(world.trace):
        by_process.setdefault(call.process, []).append(call)
    if not any(len(cs) > 1 for cs in by_process.values()):
        not_applicable("no extension process served more than one call (each was killed or ended), so calls of one process cannot be compared")
    for process, cs in by_process.items():
        if not cs[0].killed:
            late = [i + 1 for i, c in enumerate(cs) if c.killed]
            assert not late, f"in extension process {process} call {late[0]} was killed, though its first call, doing the same work, was not"


@then("no processing call was killed")
def none_killed(world: World) -> None:
    """Every processing call so far returned a result."""
    calls = observe.calls(world.trace)
    assert calls, "the system made no processing call"
    killed = [c for c in calls if c.killed]
    assert not killed, f"{len(killed)} processing call(s) were killed, the first at t={killed[0].started:.1f} s"


@then(p("the app answered {result:Result} to every processing call before the last"))
def answered_before_last(world: World, result: ProcessingResult) -> None:
    """Every call except the most recent one returned this result."""
    calls = observe.calls(world.trace)
    assert len(calls) >= 2, f"only {len(calls)} processing call(s)"
    wrong = [(i + 1, c) for i, c in enumerate(calls[:-1]) if c.result is not result]
    assert not wrong, f"call {wrong[0][0]} of {len(calls)} returned {wrong[0][1].describe()}, expected .{result.name.lower()}"


@then("the app answered .processing or .completed to every processing call")
def never_failed(world: World) -> None:
    """No call ended in .failure, an invalid answer or an exception: nothing went wrong for the app."""
    calls = observe.calls(world.trace)
    assert calls, "the system made no processing call"
    bad = [(i + 1, c) for i, c in enumerate(calls) if c.result not in (ProcessingResult.PROCESSING, ProcessingResult.COMPLETED)]
    assert not bad, f"call {bad[0][0]} of {len(calls)} ended with {bad[0][1].describe()}"


@then(p("the app answered {result:Result} to each of the last {count:d} processing calls"))
def answered_last(world: World, result: ProcessingResult, count: int) -> None:
    """The most recent `count` calls all returned this result."""
    calls = observe.calls(world.trace)
    assert len(calls) >= count, f"only {len(calls)} processing call(s)"
    got = [c.describe() for c in calls[-count:]]
    assert all(c.result is result for c in calls[-count:]), f"the last {count} calls returned {got}"


@then("no processing call created more upload jobs than the jobLimit")
def bounded_creation(world: World) -> None:
    """Per processing call, the app's creations that took effect (committed) number at most jobLimit."""
    limit = world.library.job_limit()
    calls = observe.calls(world.trace)
    assert calls, "the trace shows no processing call"
    created = [e.seq for e in observe.committed(world.trace) if e.call in observe.CREATES]
    per_call = [sum(1 for seq in created if c.start_seq < seq <= (c.end_seq or seq)) for c in calls]
    assert max(per_call) <= limit, f"a processing call created {max(per_call)} jobs; jobLimit is {limit}"


def _limit_refusals(world: World) -> list[int]:
    """Trace positions of the app's commits refused with limitExceeded."""
    code = int(PhotoKitErrorCode.LIMIT_EXCEEDED)
    return [i for i, e in enumerate(world.trace.events)
            if e.actor == "app" and e.call == "commit_changes" and e.error and e.error.get("code") == code]


@then("the system refused a change block of the app with limitExceeded")
def refused_with_limit(world: World) -> None:
    """The trace holds a commit of the app's change block that failed with limitExceeded."""
    assert _limit_refusals(world), "no change block of the app failed with limitExceeded"


@then("every processing call in which the system refused the app's change block with limitExceeded was answered .processing")
def refused_then_processing(world: World) -> None:
    """PRO-10, where it applies: the calls holding a limitExceeded refusal ended with `.processing`. An app that
    never ran into the limit (it keeps its room from the jobLimit) makes the rule not applicable."""
    refusals = _limit_refusals(world)
    if not refusals:
        not_applicable("the app never ran into the jobLimit (no change block was refused with limitExceeded)")
    for call in observe.calls(world.trace):
        end = call.end_seq if call.end_seq is not None else len(world.trace.events)
        if any(call.start_seq <= i + 1 <= end for i in refusals) and not call.killed:
            assert call.result is ProcessingResult.PROCESSING, \
                f"a call whose change block was refused with limitExceeded was answered {call.describe()}"


@then("the app did not ask for changes since the expired token again")
def token_discarded(world: World) -> None:
    """After fetchPersistentChanges failed with persistentChangeTokenExpired, that token was never used again."""
    code = int(PhotoKitErrorCode.PERSISTENT_CHANGE_TOKEN_EXPIRED)
    events = observe.app_events(world.trace, "fetch_persistent_changes")
    expired = next((i for i, e in enumerate(events) if e.error and e.error.get("code") == code), None)
    assert expired is not None, "the app never met an expired change token"
    token = events[expired].args.get("since")
    again = [e for e in events[expired + 1:] if e.args.get("since") == token]
    assert not again, f"the app asked for changes since the expired token {token} again (event {again[0].seq})"


@then(p("the call in which the app met an expired change token was answered {result:Result}"))
def expired_answer(world: World, result: ProcessingResult) -> None:
    """PRO-11: the processing call during which fetchPersistentChanges failed with persistentChangeTokenExpired."""
    code = int(PhotoKitErrorCode.PERSISTENT_CHANGE_TOKEN_EXPIRED)
    hits = [e.seq for e in observe.app_events(world.trace, "fetch_persistent_changes") if e.error and e.error.get("code") == code]
    if not hits:
        not_applicable("the app never asked for changes since a token the pruned history no longer covers")
    call = next(c for c in observe.calls(world.trace) if c.start_seq < hits[0] <= (c.end_seq or hits[0]))
    assert call.result is result, f"the call that met the expired token was answered {call.describe()}"


@then(p("the call in which the system refused a change block of the app with an unexpected error was answered {result:Result}"))
def refused_unexpected_answer(world: World, result: ProcessingResult) -> None:
    """PRO-12, where it applies: a call holding a change block refused with another error than limitExceeded."""
    limit = int(PhotoKitErrorCode.LIMIT_EXCEEDED)
    refused = [e.seq for e in observe.app_events(world.trace, "commit_changes") if e.error and e.error.get("code") not in (None, limit)]
    if not refused:
        not_applicable("no change block of the app was refused with an error other than limitExceeded")
    call = next(c for c in observe.calls(world.trace) if c.start_seq < refused[0] <= (c.end_seq or refused[0]))
    assert call.result is result, f"the call whose change block was refused was answered {call.describe()}"


@given(p("the system will refuse the app's next change block with {error:Error}"))
def refuse_next_block(world: World, error: str) -> None:
    """The SYSTEM refuses the next change block holding a change with this PhotoKit error (Environment control)."""
    code = ERROR_CODES.get(error)
    assert code is not None, f"{error} is not a PhotoKit error code"
    world.require("refuse-next-change-block")
    world.env.refuse_next_change_block(int(code))


# ------------------------------------------------------------------------------------ fetch results and uploads
@then(p("fetching jobs to {action:Action} gives {count:d} jobs readable by index"))
def fetch_by_index(world: World, action: Action, count: int) -> None:
    """The fetch result has a count and yields each job by its index, like PHFetchResult."""
    result = world.library.fetch_jobs(action)
    assert len(result) == count, f"the fetch result counts {len(result)} jobs, expected {count}"
    by_index = [result[i].local_identifier for i in range(len(result))]
    assert len(set(by_index)) == count and set(by_index) <= set(world.jobs.values()), f"jobs by index: {by_index}"


@then(p('the last upload of "{alias}" went to "{url}"'))
def last_upload_to(world: World, alias: str, url: str) -> None:
    """The server saw the last attempt for this photo at the job's destination URL."""
    rid = world.resource(alias).resource_id
    attempts = [req for r, req in world.env.upload_attempts() if r == rid]
    assert attempts, f"the server never saw an upload of {alias}"
    assert attempts[-1].url == url, f"the last upload of {alias} went to {attempts[-1].url}"


@then(p('the last upload of "{alias}" went to the app\'s upload endpoint'))
def last_upload_to_endpoint(world: World, alias: str) -> None:
    """The URL of the last attempt lies under the account's upload URL (the app may add a path, e.g. the file name)."""
    rid = world.resource(alias).resource_id
    attempts = [req for r, req in world.env.upload_attempts() if r == rid]
    assert attempts, f"the server never saw an upload of {alias}"
    base = world.account.upload_url.rstrip("/")
    got = attempts[-1].url
    assert got == base or got.startswith(base + "/") or got.startswith(base + "?"), f"the last upload of {alias} went to {got}, outside {base}"


@then("the extension's processJobs ran to its answer")
def process_jobs_finished(world: World) -> None:
    """27: the SYSTEM drove the harness extension's async processJobs through its suspensions to its answer."""
    call = last_call_of(world)
    assert call.method == "processJobs", f"the system called {call.method}(), not processJobs()"
    assert call.finished and call.result is not None, f"processJobs ended with {call.describe()}"


def last_call_of(world: World) -> observe.ObservedCall:
    calls = observe.calls(world.trace)
    assert calls, "the system made no processing call"
    return calls[-1]
