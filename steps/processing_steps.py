"""Steps specific to the processing feature; shared wording lives in setup_steps, job_steps and app_steps."""

from __future__ import annotations

from itertools import pairwise

from pytest_bdd import given, then

from bru_conformance.protocol import Action, PhotoKitErrorCode, ProcessingResult
from bru_conformance.trace import APP_TO_SYSTEM, SYSTEM_TO_APP
from bru_conformance.world import World
from steps.job_steps import _create_in_block
from steps.vocabulary import p

_CREATES = ("create_job", "creation_request_for_job", "creation_request_for_download_job")


def _harness_only(world: World, what: str) -> None:
    assert world.role == "system", f"{what} describes the harness extension of @system scenarios"


def _name(result: ProcessingResult | None) -> str:
    return "nothing (killed)" if result is None else "." + result.name.lower()


# ------------------------------------------------------------------------------------ the harness extension
@given(p("the extension answers every processing call with {result:Result}"))
def harness_answers(world: World, result: ProcessingResult) -> None:
    """The harness extension of a @system scenario returns this result from every call."""
    _harness_only(world, "the extension's answer")
    world.harness_result = result


@given(p("the extension works for {amount:d} {unit:Unit} in every processing call"))
def harness_works(world: World, amount: int, unit: int) -> None:
    """The harness extension keeps calling the library until this much virtual time has passed in a call."""
    _harness_only(world, "the extension's work")
    world.harness_work_seconds = float(amount * unit)


@given("the system has made its first processing call")
def first_call_made(world: World) -> None:
    """Let virtual time pass (at most 1 hour) until the system has called the extension once."""
    for _ in range(3600):
        if world.env.processing_calls():
            return
        world.env.advance(1)
    raise AssertionError("the system made no processing call within 1 hour")


@given("every slot under the jobLimit is held by a job for a photo the user has since deleted")
def limit_filled_by_orphans(world: World) -> None:
    """Register jobLimit jobs (for photos deleted right after) that the app's own bookkeeping does not know."""
    aliases = [f"orphan-{i}" for i in range(1, world.library.job_limit() + 1)]
    _create_in_block(world, aliases)
    for alias in aliases:
        world.env.delete_asset(world.resource(alias).asset_id)


# ------------------------------------------------------------------------------------ processing calls
@then(p("the system made {count:d} processing call(s)"))
def made_calls(world: World, count: int) -> None:
    """Counts every processing call so far, scheduled or made by a step."""
    calls = world.env.processing_calls()
    assert len(calls) == count, f"the system made {len(calls)} processing call(s), expected {count}"


@then(p("the system made at least {count:d} processing calls"))
def made_at_least(world: World, count: int) -> None:
    """A lower bound on the processing calls so far."""
    calls = world.env.processing_calls()
    assert len(calls) >= count, f"the system made {len(calls)} processing call(s), expected at least {count}"


@then("the gaps between the processing calls grow")
def gaps_grow(world: World) -> None:
    """At least three calls, each following the previous one after a longer pause than the one before."""
    starts = [c.started for c in world.env.processing_calls()]
    assert len(starts) >= 3, f"only {len(starts)} processing call(s) to compare"
    gaps = [round(b - a, 3) for a, b in pairwise(starts)]
    assert all(later > earlier for earlier, later in pairwise(gaps)), f"gaps between calls: {gaps} s"


@then("no processing call was killed")
def none_killed(world: World) -> None:
    """Every processing call so far returned a result."""
    calls = world.env.processing_calls()
    assert calls, "the system made no processing call"
    killed = [c for c in calls if c.killed or c.result is None]
    assert not killed, f"{len(killed)} processing call(s) were killed, the first at t={killed[0].started:.1f} s"


@then(p("the app answered {result:Result} to every processing call before the last"))
def answered_before_last(world: World, result: ProcessingResult) -> None:
    """Every call except the most recent one returned this result."""
    calls = world.env.processing_calls()
    assert len(calls) >= 2, f"only {len(calls)} processing call(s)"
    wrong = [(i + 1, c) for i, c in enumerate(calls[:-1]) if c.result is not result]
    assert not wrong, f"call {wrong[0][0]} of {len(calls)} returned {_name(wrong[0][1].result)}, expected {_name(result)}"


@then(p("the app answered {result:Result} to each of the last {count:d} processing calls"))
def answered_last(world: World, result: ProcessingResult, count: int) -> None:
    """The most recent `count` calls all returned this result."""
    calls = world.env.processing_calls()
    assert len(calls) >= count, f"only {len(calls)} processing call(s)"
    got = [_name(c.result) for c in calls[-count:]]
    assert all(c.result is result for c in calls[-count:]), f"the last {count} calls returned {got}"


@then("no processing call created more upload jobs than the jobLimit")
def bounded_creation(world: World) -> None:
    """Per processing call (from the trace), the app asked for at most jobLimit new jobs."""
    limit = world.library.job_limit()
    per_call: list[int] = []
    for event in world.trace.events:
        if event.direction == SYSTEM_TO_APP and event.call == "process:start":
            per_call.append(0)
        elif per_call and event.direction == APP_TO_SYSTEM and event.call in _CREATES:
            per_call[-1] += 1
    assert per_call, "the trace shows no processing call"
    assert max(per_call) <= limit, f"a processing call asked for {max(per_call)} jobs; jobLimit is {limit}"


@then("one processing call went through retrying, acknowledging and creating jobs")
def one_call_all_phases(world: World) -> None:
    """Some single processing call (from the trace) asked to retry, to acknowledge and to create jobs."""
    phases: list[set[str]] = []
    for event in world.trace.events:
        if event.direction == SYSTEM_TO_APP and event.call == "process:start":
            phases.append(set())
        elif phases and event.direction == APP_TO_SYSTEM and event.error is None:
            if event.call in ("retry", "acknowledge"):
                phases[-1].add(event.call)
            elif event.call in _CREATES:
                phases[-1].add("create")
    assert any(p >= {"retry", "acknowledge", "create"} for p in phases), f"phases per call: {[sorted(p) for p in phases]}"


@then("the system refused a change block of the app with limitExceeded")
def refused_with_limit(world: World) -> None:
    """The trace holds a commit of the app's change block that failed with limitExceeded."""
    code = int(PhotoKitErrorCode.LIMIT_EXCEEDED)
    refused = [e for e in world.trace.calls("commit_changes", APP_TO_SYSTEM) if e.error and e.error.get("code") == code]
    assert refused, "no change block of the app failed with limitExceeded"


@then("the app did not ask for changes since the expired token again")
def token_discarded(world: World) -> None:
    """After fetchPersistentChanges failed with persistentChangeTokenExpired, that token was never used again."""
    code = int(PhotoKitErrorCode.PERSISTENT_CHANGE_TOKEN_EXPIRED)
    events = world.trace.calls("fetch_persistent_changes", APP_TO_SYSTEM)
    expired = next((i for i, e in enumerate(events) if e.error and e.error.get("code") == code), None)
    assert expired is not None, "the app never met an expired change token"
    token = events[expired].args.get("since")
    again = [e for e in events[expired + 1:] if e.args.get("since") == token]
    assert not again, f"the app asked for changes since the expired token {token} again (event {again[0].seq})"


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
