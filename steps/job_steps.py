"""Steps that play the app against the SYSTEM: creating, fetching, retrying, acknowledging, cancelling.

Jobs get scenario names (aliases). `Given job "a" is failed` creates a job for a photo "a" and drives
only that job to the state, through the Environment contract, so givens compose in any order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_bdd import given, then, when

from bru_conformance.contracts import perform_changes
from bru_conformance.protocol import (
    Action,
    APIUnavailableError,
    JobState,
    JobType,
    OutcomeKind,
    Request,
    UploadOutcome,
    URLErrorCode,
)
from bru_conformance.scenario.world import World

from .vocabulary import CREDENTIALS, OUTCOMES, matches, p

DEFAULT_URL = "https://backup.example.com/upload"


def destination(world: World, token: str | None = None, url: str | None = None) -> Request:
    """The upload request for a job: the scenario's URL, else the harness's HTTP server's, else DEFAULT_URL."""
    return Request.make(url or world.upload_url or DEFAULT_URL, "POST", {"Authorization": f"Bearer {token or world.token}"})


def _create_in_block(world: World, aliases: list[str], url: str | None = None, download_only: bool = False) -> None:
    """One change block creating a job per alias (26.4+ creation request, else the 26.1 createJob)."""
    placeholders: dict[str, str | None] = {}
    world.ensure_photos(aliases)

    def block() -> None:
        for alias in aliases:
            resource = world.resource(alias)
            if download_only:
                placeholders[alias] = world.library.creation_request_for_download_job(resource).placeholder
            elif world.profile.has("creationRequestForJob"):
                placeholders[alias] = world.library.creation_request_for_job(destination(world, url=url), resource).placeholder
            else:
                world.library.create_job(destination(world, url=url), resource)
                placeholders[alias] = None

    perform_changes(world.library, block)
    for alias in aliases:
        world.jobs[alias] = placeholders[alias] or _created_for(world, alias)


def _created_for(world: World, alias: str) -> str:
    """26.1 `createJob` returns nothing: ask the SYSTEM's store which job holds that resource (the test-only
    `job_for_resource`: no public API names a new job before 26.4's placeholders)."""
    world.note("job identifiers of jobs made with 26.1's createJob come from the test-only job_for_resource view")
    found = world.env.job_for_resource(world.resource(alias).resource_id)
    assert found, f"no job was created for {alias}"
    return found


def _mutate(world: World, alias: str, change: Callable[[Any], None]) -> None:
    def block() -> None:
        request = world.library.change_request_for(world.job(alias))
        assert request is not None, f"PhotoKitAssetResourceUploadJobChangeRequest(for: {alias}) returned nil"
        change(request)

    perform_changes(world.library, block)


def _finish(world: World, alias: str, outcome: UploadOutcome) -> None:
    world.env.script_uploads([outcome], world.resource(alias).resource_id)
    world.env.settle(world.job(alias))


# ------------------------------------------------------------------------------------ arranging
def drive_to(world: World, alias: str, state: JobState, failure: str = "a timeout") -> None:
    """Move one freshly created job to `state` through the Environment contract (the one way every
    arranging step does it): start it, finish it with success or `failure`, or cancel it."""
    if state is JobState.PENDING:
        world.env.start_uploads(world.job(alias))
    elif state is JobState.SUCCEEDED:
        _finish(world, alias, OUTCOMES["success"])
    elif state is JobState.FAILED:
        _finish(world, alias, OUTCOMES[failure])
    elif state is JobState.CANCELLED:
        _mutate(world, alias, lambda r: r.cancel())


@given(p('job "{alias}" is {state:State}'))
def job_in_state(world: World, alias: str, state: JobState) -> None:
    _create_in_block(world, [alias])
    drive_to(world, alias, state)


@given(p('job "{alias}" failed with {outcome:Outcome}'))
def job_failed_with(world: World, alias: str, outcome: UploadOutcome) -> None:
    _create_in_block(world, [alias])
    _finish(world, alias, outcome)


@given(p('job "{alias}" succeeded with response header "{name}" set to "{value}"'))
def job_succeeded_with_header(world: World, alias: str, name: str, value: str) -> None:
    _create_in_block(world, [alias])
    _finish(world, alias, UploadOutcome.success(201, {name: value}))


def _after_one_retry(world: World, alias: str, outcome: UploadOutcome) -> None:
    """A job that failed, was retried once (keeping its destination), and whose second upload ended with `outcome`."""
    _create_in_block(world, [alias])
    _finish(world, alias, OUTCOMES["a timeout"])
    _mutate(world, alias, lambda r: r.retry(None))
    _finish(world, alias, outcome)


@given(p('job "{alias}" failed again after its one retry'))
def job_retry_spent(world: World, alias: str) -> None:
    _after_one_retry(world, alias, OUTCOMES["a timeout"])


@given(p('job "{alias}" succeeded after its one retry'))
def job_retry_recovered(world: World, alias: str) -> None:
    _after_one_retry(world, alias, OUTCOMES["success"])


@given(p("{count:d} upload jobs are {state:State}"))
def jobs_in_state(world: World, count: int, state: JobState) -> None:
    start = len(world.jobs) + 1
    aliases = [f"job-{i}" for i in range(start, start + count)]
    _create_in_block(world, aliases)
    for alias in aliases:
        drive_to(world, alias, state)


# ------------------------------------------------------------------------------------ acting
@when(p('the app creates an upload job for "{alias}"'))
def create_one(world: World, alias: str) -> None:
    world.attempt(lambda: _create_in_block(world, [alias]))


@when(p('the app creates an upload job for "{alias}" with destination "{url}"'))
def create_one_to(world: World, alias: str, url: str) -> None:
    world.attempt(lambda: _create_in_block(world, [alias], url=url))


@when(p('the app creates a download-only job for "{alias}"'))
def create_download(world: World, alias: str) -> None:
    world.attempt(lambda: _create_in_block(world, [alias], download_only=True))


@when(p("the app creates {count:d} upload jobs in one change block"))
def create_many(world: World, count: int) -> None:
    start = len(world.jobs) + 1
    world.attempt(lambda: _create_in_block(world, [f"new-{i}" for i in range(start, start + count)]))


@when(p('the app acknowledges job "{alias}"'))
def acknowledge(world: World, alias: str) -> None:
    world.attempt(lambda: _mutate(world, alias, lambda r: r.acknowledge()))


@when(p('the app retries job "{alias}" keeping its destination'))
def retry_keep(world: World, alias: str) -> None:
    world.attempt(lambda: _mutate(world, alias, lambda r: r.retry(None)))


@when(p('the app retries job "{alias}" with a new destination'))
def retry_new(world: World, alias: str) -> None:
    world.token = CREDENTIALS["new"]
    fresh = destination(world)
    world.attempt(lambda: _mutate(world, alias, lambda r: r.retry(fresh)))


@when(p('the app cancels job "{alias}"'))
def cancel(world: World, alias: str) -> None:
    world.attempt(lambda: _mutate(world, alias, lambda r: r.cancel()))


@when(p('the app acknowledges job "{done}" and creates an upload job for "{alias}" in one change block'))
def acknowledge_and_create(world: World, done: str, alias: str) -> None:
    def both() -> None:
        def block() -> None:
            request = world.library.change_request_for(world.job(done))
            assert request is not None
            request.acknowledge()
            world.library.creation_request_for_job(destination(world), world.resource(alias)) \
                if world.profile.has("creationRequestForJob") else world.library.create_job(destination(world), world.resource(alias))

        perform_changes(world.library, block)

    world.attempt(both)


@when(p('the app acknowledges job "{done}", retries job "{failed}", cancels job "{queued}" and creates {count:d} upload jobs in one change block'))
def mixed_block(world: World, done: str, failed: str, queued: str, count: int) -> None:
    """One change block holding every kind of change: the limit applies to the block as a whole (AMB-07)."""
    start = len(world.jobs) + 1
    aliases = [f"mixed-{i}" for i in range(start, start + count)]
    world.ensure_photos(aliases)

    def block() -> None:
        for alias, change in ((done, lambda r: r.acknowledge()), (failed, lambda r: r.retry(None)), (queued, lambda r: r.cancel())):
            request = world.library.change_request_for(world.job(alias))
            assert request is not None, f"no change request for job {alias}"
            change(request)
        for alias in aliases:
            world.library.creation_request_for_job(destination(world), world.resource(alias))

    world.attempt(lambda: perform_changes(world.library, block))


@when("the app creates an upload job outside a change block")
def create_outside(world: World) -> None:
    resource = world.resource("outside")
    if world.profile.has("creationRequestForJob"):
        world.attempt(lambda: world.library.creation_request_for_job(destination(world), resource))
    else:
        world.attempt(lambda: world.library.create_job(destination(world), resource))


@when(p('the app acknowledges job "{alias}" outside a change block'))
def acknowledge_outside(world: World, alias: str) -> None:
    world.attempt(lambda: world.library.change_request_for(world.job(alias)))


@when("the app opens a change block inside another")
def nested_block(world: World) -> None:
    def nested() -> None:
        world.library.begin_changes()
        try:
            world.library.begin_changes()
        finally:
            world.library.abort_changes()

    world.attempt(nested)


@when(p('the upload of job "{alias}" ends with {outcome:Outcome}'))
def upload_ends(world: World, alias: str, outcome: UploadOutcome) -> None:
    _finish(world, alias, outcome)


@when(p('the upload of job "{alias}" ends with HTTP {status:d} and response header "{name}" set to "{value}"'))
def upload_ends_with_header(world: World, alias: str, status: int, name: str, value: str) -> None:
    _finish(world, alias, UploadOutcome.http(status, {name: value}))


@when(p('the system starts the upload of job "{alias}"'))
def starts_upload(world: World, alias: str) -> None:
    world.env.start_uploads(world.job(alias))


# ------------------------------------------------------------------------------------ checking
@then("it succeeds")
def it_succeeds(world: World) -> None:
    assert world.error is None, f"expected success, got {world.error!r}"


@then(p("it fails with {error:Error}"))
def it_fails(world: World, error: str) -> None:
    assert world.error is not None, f"expected {error}, but the call succeeded"
    assert matches(world.error, error), f"expected {error}, got {world.error!r}"


@then("the system refuses the change")
def change_refused(world: World) -> None:
    """The change was refused in some form the digest allows where the outcome is undocumented (AMB-09, AMB-10):
    an error from the change block, or an exception from the call. Whether anything was applied is checked by
    the steps that follow (the job's state, no job for the photo)."""
    assert world.error is not None, "the system accepted the change"
    assert not isinstance(world.error, APIUnavailableError), f"the call does not exist in this profile: {world.error}"


def _fetch(world: World, action: Action) -> dict[str, Any]:
    return {j.local_identifier: j for j in world.library.fetch_jobs(action)}


def _find(world: World, alias: str) -> Any:
    """The job as a public fetch shows it; before 26.5 a registered or pending job is in no fetch set, and
    only then the test-only `job_snapshot` view is read (the run's notes say so)."""
    job_id = world.job(alias)
    public = (Action.ACKNOWLEDGE, Action.RETRY) + ((Action.PROCESS,) if world.profile.has("Action.process") else ())
    for action in public:
        job = _fetch(world, action).get(job_id)
        if job is not None:
            return job
    if world.profile.has("Action.process"):
        return None  # from 26.5 every live job is in a public set: absent there means gone
    world.note("before 26.5 in-flight jobs are in no public fetch: their state comes from the test-only job_snapshot view")
    return world.env.job_snapshot(job_id)


def live_jobs_of(world: World, alias: str) -> list[str]:
    """Identifiers of the live jobs for this photo: from the public fetches where they show every live job
    (26.5+: the process set holds the in-flight ones), else from the test-only `job_for_resource` view."""
    rid = world.resource(alias).resource_id
    if world.profile.has("Action.process"):
        found = []
        for action in (Action.ACKNOWLEDGE, Action.RETRY, Action.PROCESS):
            for job in world.library.fetch_jobs(action):
                if job.local_identifier not in found and _resource_id(world, job) == rid:
                    found.append(job.local_identifier)
        return found
    world.note("before 26.5 in-flight jobs are in no public fetch: which jobs a photo has comes from the test-only job_for_resource view")
    holder = world.env.job_for_resource(rid)
    return [holder] if holder else []


def _resource_id(world: World, job: Any) -> str | None:
    if world.profile.has("PHAssetResource.assetResource(forUploadJob:)"):
        resource = world.library.asset_resource_for_upload_job(job.local_identifier)
    else:
        resource = job.resource
    return None if resource is None else resource.resource_id


@then(p('job "{alias}" is {state:State}'))
def job_is(world: World, alias: str, state: JobState) -> None:
    job = _find(world, alias)
    assert job is not None, f"job {alias} no longer exists"
    assert job.state is state, f"job {alias} is {job.state.name.lower()}, expected {state.name.lower()}"


@then(p('job "{alias}" no longer exists'))
def job_gone(world: World, alias: str) -> None:
    job_id = world.job(alias)
    for action in (Action.ACKNOWLEDGE, Action.RETRY) + ((Action.PROCESS,) if world.profile.has("Action.process") else ()):
        assert job_id not in _fetch(world, action), f"job {alias} is still fetched for {action.name.lower()}"
    holder: dict[str, Any] = {}
    perform_changes(world.library, lambda: holder.setdefault("r", world.library.change_request_for(job_id)))
    assert holder["r"] is None, f"a change request for the acknowledged job {alias} was returned"


@then(p("fetching jobs to {action:Action} returns {names:Names}"))
def fetch_returns(world: World, action: Action, names: list[str]) -> None:
    got = {world.alias_of(j) for j in _fetch(world, action)}
    assert got == set(names), f"fetchJobs(.{action.name.lower()}) returned {sorted(got) or 'no job'}, expected {sorted(names) or 'no job'}"


@then(p("exactly {count:d} more upload jobs fit under the jobLimit"))
def capacity(world: World, count: int) -> None:
    extra = [f"probe-{i}" for i in range(count + 1)]
    try:
        _create_in_block(world, extra)
    except Exception as exc:
        assert matches(exc, "limitExceeded"), f"creating {count + 1} jobs failed with {exc!r}, not limitExceeded"
    else:
        raise AssertionError(f"{count + 1} more jobs were accepted; expected room for {count}")
    if count:
        _create_in_block(world, extra[:count])


@then("the jobLimit is a positive number read from the system")
def limit_positive(world: World) -> None:
    limit = world.library.job_limit()
    assert isinstance(limit, int) and limit > 0, f"jobLimit is {limit!r}"


@then(p('job "{alias}" has the error {code:URLError}'))
def job_error(world: World, alias: str, code: URLErrorCode) -> None:
    job = _find(world, alias)
    assert job.error is not None and job.error.code is code, f"job {alias} error is {job.error}, expected {code.name}"
    assert job.error.domain == "NSURLErrorDomain"


@then(p('job "{alias}" has no error'))
def job_no_error(world: World, alias: str) -> None:
    assert _find(world, alias).error is None


@then(p('job "{alias}" has response header "{name}" set to "{value}"'))
def job_header(world: World, alias: str, name: str, value: str) -> None:
    headers = _find(world, alias).response_header_fields
    assert headers is not None and headers.get(name) == value, f"responseHeaderFields are {headers}"


@then(p('job "{alias}" has no response headers'))
def job_no_headers(world: World, alias: str) -> None:
    headers = _find(world, alias).response_header_fields
    assert headers is None, f"responseHeaderFields are {headers}, expected nil"


@then(p('job "{alias}" is a download-only job'))
def job_download_only(world: World, alias: str) -> None:
    assert _find(world, alias).type is JobType.DOWNLOAD_ONLY


@then(p('job "{alias}" is an upload job'))
def job_upload_type(world: World, alias: str) -> None:
    assert _find(world, alias).type is JobType.UPLOAD


@then(p('the last upload of "{alias}" was sent with the original credentials'))
def sent_original(world: World, alias: str) -> None:
    _assert_last_token(world, alias, CREDENTIALS["original"])


@then(p('the last upload of "{alias}" was sent with the new credentials'))
def sent_new(world: World, alias: str) -> None:
    _assert_last_token(world, alias, CREDENTIALS["new"])


def _assert_last_token(world: World, alias: str, token: str) -> None:
    rid = world.resource(alias).resource_id
    attempts = [req for r, req in world.env.upload_attempts() if r == rid]
    assert attempts, f"the server never saw an upload of {alias}"
    assert attempts[-1].header("Authorization") == f"Bearer {token}", f"sent with {attempts[-1].header('Authorization')}"


@then(p('the server received "{alias}" {count:d} time(s)'))
def server_received(world: World, alias: str, count: int) -> None:
    got = world.env.server_received().get(world.resource(alias).resource_id, 0)
    assert got == count, f"the server stored {alias} {got} time(s), expected {count}"


__all__ = ["DEFAULT_URL", "OutcomeKind", "destination"]
