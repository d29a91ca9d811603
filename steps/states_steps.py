"""Steps specific to the states feature; shared wording lives in setup_steps, job_steps and app_steps.

The @system steps read jobs the way an app would (fetches, the job's fields, the 27 resource lookup,
the failable change-request initialiser). One @app step makes a job vanish between the app's fetch
and its change-request lookup, the situation the failable initialiser exists for (STA-13): the harness
acknowledges it in a change block of its own, as another process of the app could.
"""

from __future__ import annotations

from typing import Any

from parse import with_pattern
from pytest_bdd import given, parsers, then, when

from bru_conformance.contracts import perform_changes
from bru_conformance.protocol import Action
from bru_conformance.scenario.world import World

from .job_steps import _fetch, _find
from .vocabulary import CREDENTIALS, TYPES, p


@with_pattern("|".join(CREDENTIALS))
def _credentials(text: str) -> str:
    return CREDENTIALS[text]


def _p(pattern: str) -> Any:
    """`p` plus the credentials the harness plays with (original = token-1, new = token-refreshed)."""
    return parsers.parse(pattern, extra_types={**TYPES, "Credentials": _credentials})


def _live(world: World, alias: str) -> Any:
    job = _find(world, alias)
    assert job is not None, f"job {alias} no longer exists"
    return job


# ------------------------------------------------------------------------------------ acting (@system)
@when(p("the app fetches jobs to {action:Action}"))
def fetch_by_action(world: World, action: Action) -> None:
    """fetchJobs(action:options:) with nil options, keeping an error (e.g. an action the profile lacks)."""
    world.attempt(lambda: world.library.fetch_jobs(action))


@when(p("the app applies {action:Action} to every job fetched for it"))
def apply_to_fetched(world: World, action: Action) -> None:
    """One change block: acknowledge, retry (keeping the destination) or, for process, cancel each fetched job."""
    def run() -> None:
        jobs = world.library.fetch_jobs(action)
        assert jobs, f"fetchJobs(.{action.name.lower()}) returned no job to apply the action to"

        def block() -> None:
            for job in jobs:
                request = world.library.change_request_for(job.local_identifier)
                assert request is not None, f"no change request for the fetched job {world.alias_of(job.local_identifier)}"
                if action is Action.ACKNOWLEDGE:
                    request.acknowledge()
                elif action is Action.RETRY:
                    request.retry(None)
                else:
                    request.cancel()

        perform_changes(world.library, block)

    world.attempt(run)


@when(p('the app reads the resource property of job "{alias}"'))
def read_resource_property(world: World, alias: str) -> None:
    """Reads the deprecated `resource` of the job (unavailable on macOS), keeping an error."""
    world.attempt(lambda: _live(world, alias).resource)


# ------------------------------------------------------------------------------------ arranging (@app)
@given(p('job "{alias}" will be acknowledged behind the app\'s back right after the app first fetches it'))
def acknowledged_behind_back(world: World, alias: str) -> None:
    """A race the failable initialiser exists for (STA-13): the first time a fetch of the app returns the job,
    the harness (another process of the same app, say) acknowledges it in a change block of its own before
    the fetch result reaches the app. The app then holds a job that is gone: its change request is nil."""
    library = world.library
    original = library.fetch_jobs
    job_id = world.job(alias)

    def fetch(action: Any) -> Any:
        jobs = original(action)
        if world.trace.actor == "app" and any(j.local_identifier == job_id for j in jobs):
            del library.fetch_jobs  # one shot: later fetches reach the library again
            world.trace.acting_as("harness", lambda: _acknowledge(world, job_id))
        return jobs

    library.fetch_jobs = fetch


def _acknowledge(world: World, job_id: str) -> None:
    def block() -> None:
        request = world.library.change_request_for(job_id)
        assert request is not None, f"the harness could not acknowledge job {job_id}"
        request.acknowledge()

    perform_changes(world.library, block)


# ------------------------------------------------------------------------------------ checking
@then(p('the response header names of job "{alias}" are all lower-case'))
def header_names_lowercase(world: World, alias: str) -> None:
    """Every key of responseHeaderFields is lower-case (26.4+)."""
    headers = _live(world, alias).response_header_fields
    assert headers, f"job {alias} has no response headers"
    upper = sorted(k for k in headers if k != k.lower())
    assert not upper, f"responseHeaderFields of {alias} has names that are not lower-case: {upper}"


@then(p('job "{alias}" has an error in NSURLErrorDomain'))
def error_in_url_domain(world: World, alias: str) -> None:
    """The job's error exists and is a URL error, whatever its code."""
    error = _live(world, alias).error
    assert error is not None, f"job {alias} has no error"
    assert error.domain == "NSURLErrorDomain", f"job {alias} has an error in {error.domain}"


@then(p('job "{alias}" is to be sent to "{url}"'))
def destination_url(world: World, alias: str, url: str) -> None:
    """The job's destination URL as the system reports it."""
    got = _live(world, alias).destination.url
    assert got == url, f"job {alias} is to be sent to {got}, expected {url}"


@then(_p('the destination of job "{alias}" carries the {token:Credentials} credentials'))
def destination_credentials(world: World, alias: str, token: str) -> None:
    """The Authorization header of the job's destination request holds that bearer token."""
    got = _live(world, alias).destination.header("Authorization")
    assert got == f"Bearer {token}", f"the destination of job {alias} carries {got!r}"


@then(p('looking up the resource of job "{alias}" gives the photo "{name}"'))
def lookup_gives_photo(world: World, alias: str, name: str) -> None:
    """PHAssetResource.assetResource(forUploadJob:) (27) names the photo's resource."""
    got = world.library.asset_resource_for_upload_job(world.job(alias))
    expected = world.resource(name).resource_id
    assert got is not None and got.resource_id == expected, f"the lookup for job {alias} gave {got}, expected {expected}"


@then(p('looking up the resource of job "{alias}" gives nil'))
def lookup_gives_nil(world: World, alias: str) -> None:
    """PHAssetResource.assetResource(forUploadJob:) (27) answers nil."""
    got = world.library.asset_resource_for_upload_job(world.job(alias))
    assert got is None, f"the lookup for job {alias} gave {got}, expected nil"


@then(p('the resource property of job "{alias}" names the photo "{name}"'))
def resource_property_names(world: World, alias: str, name: str) -> None:
    """The deprecated `resource` of the fetched job is the photo's resource."""
    got = _live(world, alias).resource
    expected = world.resource(name).resource_id
    assert got is not None and got.resource_id == expected, f"job {alias}'s resource is {got}, expected {expected}"


@then(p("every job fetched to {action:Action} has its own local identifier"))
def identifiers_unique(world: World, action: Action) -> None:
    """At least two jobs fetched; each has a non-empty local identifier no other fetched job has."""
    ids = [j.local_identifier for j in world.library.fetch_jobs(action)]
    assert len(ids) >= 2, f"fetchJobs(.{action.name.lower()}) returned {len(ids)} job(s); need two to compare"
    assert all(ids), f"a fetched job has an empty local identifier: {ids}"
    assert len(set(ids)) == len(ids), f"fetched jobs share local identifiers: {ids}"
    assert set(ids) == set(_fetch(world, action)), "a second fetch returned other identifiers"


def _lookup(world: World, alias: str) -> Any:
    holder: dict[str, Any] = {}
    perform_changes(world.library, lambda: holder.setdefault("r", world.library.change_request_for(world.job(alias))))
    return holder["r"]


@then(p('asking for a change request for job "{alias}" gives nil'))
def change_request_nil(world: World, alias: str) -> None:
    """init(for:) inside a change block answers nil (rather than throwing)."""
    got = _lookup(world, alias)
    assert got is None, f"a change request was returned for job {alias}"


@then(p('asking for a change request for job "{alias}" gives a change request'))
def change_request_given(world: World, alias: str) -> None:
    """init(for:) inside a change block answers a change request."""
    assert _lookup(world, alias) is not None, f"init(for:) returned nil for the live job {alias}"
