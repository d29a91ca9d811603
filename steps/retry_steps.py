"""Steps specific to the retry feature; shared wording lives in setup_steps, job_steps and app_steps."""

from __future__ import annotations

from pytest_bdd import then, when

from bru_conformance.protocol import PhotoKitErrorCode
from bru_conformance.scenario import observe
from bru_conformance.scenario.world import World, not_applicable

from .vocabulary import p


@when(p('the app retries job "{alias}" in a change block it then abandons'))
def retry_then_abort(world: World, alias: str) -> None:
    """Stage retry(destination: nil) on the job's change request, then abort the block instead of committing."""
    def run() -> None:
        world.library.begin_changes()
        try:
            request = world.library.change_request_for(world.job(alias))
            assert request is not None, f"init(for:) returned nil for job {alias}"
            request.retry(None)
        finally:
            world.library.abort_changes()

    world.attempt(run)


@then(p('the app retried job "{alias}" with a destination carrying the new credentials'))
def retried_with_fresh_destination(world: World, alias: str) -> None:
    """The app's retry of this job passed a destination (not nil) whose Authorization holds the refreshed token."""
    job_id = world.job(alias)
    retries = [e for e in observe.app_events(world.trace, "retry") if e.args.get("job") == job_id]
    assert retries, f"the app never retried job {alias}"
    destination = retries[-1].args.get("destination")
    assert destination is not None, f"the app retried job {alias} with a nil destination (the original request)"
    auth = (destination.get("headers") or {}).get("Authorization")
    assert auth == f"Bearer {world.token}", f"the app retried job {alias} with Authorization {auth!r}"


@then("after a retry was refused with limitExceeded the app acknowledged a job before retrying again")
def acknowledged_before_retrying_again(world: World) -> None:
    """In the trace: a change block holding a retry failed with limitExceeded; an acknowledge precedes the next retry."""
    refused_at = None
    staged_retry = False
    events = observe.app_events(world.trace)
    for i, e in enumerate(events):
        if e.call == "begin_changes":
            staged_retry = False
        elif e.call == "retry" and e.error is None:
            staged_retry = True
        elif (e.call == "commit_changes" and staged_retry and e.error is not None
              and e.error.get("code") == int(PhotoKitErrorCode.LIMIT_EXCEEDED)):
            refused_at = i
            break
    if refused_at is None:
        not_applicable("no change block of the app holding a retry was refused with limitExceeded")
    later = [e.call for e in events[refused_at + 1:] if e.call in ("retry", "acknowledge")]
    assert "retry" in later, "the app never retried again after the refusal"
    assert later.index("retry") > 0 and "acknowledge" in later[:later.index("retry")], \
        "the app retried again before it acknowledged any job"


@then("the system refused none of the app's retries with limitExceeded")
def no_retry_refused(world: World) -> None:
    """RET-05 under the article's reading of AMB-02: no change block of the app holding a retry failed with
    limitExceeded (an app that acknowledges finished jobs first always has the room its retry needs)."""
    code = int(PhotoKitErrorCode.LIMIT_EXCEEDED)
    staged = False
    for e in observe.app_events(world.trace):
        if e.call == "begin_changes" and e.error is None:
            staged = False
        elif e.call == "retry" and e.error is None:
            staged = True
        elif e.call == "commit_changes" and staged and e.error and e.error.get("code") == code:
            raise AssertionError(f"a change block of the app holding a retry was refused with limitExceeded (event {e.seq})")
