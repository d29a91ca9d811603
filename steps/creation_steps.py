"""Steps specific to the creation feature; shared wording lives in setup_steps, job_steps and app_steps.

The @system steps play the app against the SYSTEM contract (placeholders, the deprecated 26.1 creator,
change requests used after their block ended). The @app steps read the trace of what the APP asked.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from parse import with_pattern
from pytest_bdd import given, parsers, then, when

from bru_conformance.contracts import perform_changes
from bru_conformance.protocol import JobState, PhotoKitErrorCode, TraceEvent
from bru_conformance.scenario import observe
from bru_conformance.scenario.trace import APP_TO_SYSTEM, SYSTEM_TO_APP
from bru_conformance.scenario.world import World, not_applicable

from .job_steps import DEFAULT_URL, _create_in_block, _created_for, _find, destination, drive_to, live_jobs_of
from .vocabulary import TYPES, p

_CREATES = ("create_job", "creation_request_for_job", "creation_request_for_download_job")
_CHANGES = (*_CREATES, "change_request_for", "acknowledge", "retry", "cancel")
_MUTATIONS = ("acknowledge", "retry", "cancel")


@with_pattern("|".join(_MUTATIONS))
def _mutation(text: str) -> str:
    return text


def _p(pattern: str) -> Any:
    """`p` plus the change-request mutations of this module (acknowledge, retry, cancel)."""
    return parsers.parse(pattern, extra_types={**TYPES, "Mutation": _mutation})


# ------------------------------------------------------------------------------------ acting (@system)
@given(p('download-only job "{alias}" is {state:State}'))
def download_job_in_state(world: World, alias: str, state: JobState) -> None:
    """A download-only job (26.4+) for the photo, driven to the state through the Environment contract."""
    _create_in_block(world, [alias], download_only=True)
    drive_to(world, alias, state, failure="an iCloud download failure")


@when("the app creates one upload job more than the jobLimit in one change block")
def create_over_limit(world: World) -> None:
    """jobLimit + 1 creations (jobLimit read from the system) in a single change block."""
    count = world.library.job_limit() + 1
    world.attempt(lambda: _create_in_block(world, [f"over-{i}" for i in range(1, count + 1)]))


def _create_reading_placeholder(world: World, alias: str, download_only: bool) -> None:
    resource = world.resource(alias)

    def block() -> None:
        if download_only:
            request = world.library.creation_request_for_download_job(resource)
        else:
            request = world.library.creation_request_for_job(destination(world), resource)
        placeholder = request.placeholder
        assert placeholder, "placeholderForCreatedAssetResourceUploadJob was nil inside the change block"
        world.jobs[alias] = placeholder

    perform_changes(world.library, block)


@when(p('the app creates an upload job for "{alias}" and reads its placeholder inside the change block'))
def create_reading_placeholder(world: World, alias: str) -> None:
    """creationRequestForJob (26.4+); the placeholder is read before the block commits and kept as the job's name."""
    world.attempt(lambda: _create_reading_placeholder(world, alias, download_only=False))


@when(p('the app creates a download-only job for "{alias}" and reads its placeholder inside the change block'))
def create_download_reading_placeholder(world: World, alias: str) -> None:
    """creationRequestForDownloadJob (26.4+); the placeholder is read before the block commits."""
    world.attempt(lambda: _create_reading_placeholder(world, alias, download_only=True))


@when(p('the app creates an upload job for "{alias}" with the deprecated createJob'))
def create_with_create_job(world: World, alias: str) -> None:
    """The 26.1 creator, which returns nothing, in whatever profile the scenario runs."""
    resource = world.resource(alias)

    def create() -> None:
        perform_changes(world.library, lambda: world.library.create_job(destination(world, url=DEFAULT_URL), resource))
        world.jobs[alias] = _created_for(world, alias)

    world.attempt(create)


@when("the app creates a download-only job outside a change block")
def create_download_outside(world: World) -> None:
    """creationRequestForDownloadJob with no change block open, for a photo named "outside"."""
    resource = world.resource("outside")
    world.attempt(lambda: world.library.creation_request_for_download_job(resource))


@when(_p('the app calls {mutation:Mutation}() on a change request for job "{alias}" kept from an ended change block'))
def mutate_with_stale_request(world: World, mutation: str, alias: str) -> None:
    """Obtain the job's change request in one block, commit it empty, then use the request afterwards."""
    holder: dict[str, Any] = {}
    perform_changes(world.library, lambda: holder.setdefault("r", world.library.change_request_for(world.job(alias))))
    request = holder["r"]
    assert request is not None, f"no change request for job {alias}"
    call = {"acknowledge": request.acknowledge, "retry": lambda: request.retry(None), "cancel": request.cancel}[mutation]
    world.attempt(call)


# ------------------------------------------------------------------------------------ checking (@system)
@then(p('the placeholder identifies the new job for "{alias}"'))
def placeholder_names_job(world: World, alias: str) -> None:
    """The identifier read inside the block is the live job the system now holds for that photo."""
    placeholder = world.job(alias)
    holders = live_jobs_of(world, alias)
    assert holders == [placeholder], f"the live job(s) for {alias}: {holders}; the placeholder said {placeholder}"


@then(p('no job exists for "{alias}"'))
def no_job_for(world: World, alias: str) -> None:
    """Neither the photo's resource nor a placeholder read for it names a live job."""
    found = live_jobs_of(world, alias)
    assert not found, f"job {found[0]} exists for {alias}"
    if alias in world.jobs:
        assert _find(world, alias) is None, f"the placeholder of {alias} names a live job"


# ------------------------------------------------------------------------------------ the APP's trace
@then("the app made every job change inside a change block")
def changes_inside_blocks(world: World) -> None:
    """Every create, change-request lookup, acknowledge, retry and cancel of the app lies between begin and commit/abort."""
    open_block = False
    seen = 0
    for e in observe.app_events(world.trace):
        if e.call == "begin_changes":
            open_block = True
        elif e.call in ("commit_changes", "abort_changes"):
            open_block = False
        elif e.call in _CHANGES:
            seen += 1
            assert open_block, f"the app called {e.call} outside a change block (event {e.seq})"
    assert seen, "the app changed no job at all"


@then("the app created jobs only while the system was calling its extension")
def created_in_calls(world: World) -> None:
    """Every creation of the app lies between a processing call's start and its end."""
    in_call = False
    created = 0
    for e in world.trace.events:
        if e.call in observe.STARTS:
            in_call = True
        elif e.direction == SYSTEM_TO_APP and e.call in observe.PROCESS:
            in_call = False
        elif e.direction == APP_TO_SYSTEM and e.actor == "app" and e.call in observe.CREATES:
            created += 1
            assert in_call, f"the app called {e.call} outside a processing call (event {e.seq})"
    assert created, "the app created no job at all"


def _resource_of(e: TraceEvent) -> str:
    return str((e.args.get("resource") or {}).get("resource_id"))


@then("the app created exactly one upload job for each resource")
def one_job_per_photo(world: World) -> None:
    """Committed creations of the app name every resource of the scenario once and none twice."""
    counts = Counter(_resource_of(e) for e in observe.committed(world.trace) if e.call in observe.CREATES)
    twice = sorted(rid for rid, n in counts.items() if n > 1)
    assert not twice, f"the app created more than one job for {twice}"
    missing = sorted(a for a, r in world.resources.items() if r.resource_id not in counts)
    assert not missing, f"the app created no job for {missing}"


@then("the app created as many upload jobs as the jobLimit allows")
def filled_to_limit(world: World) -> None:
    """The committed creations of the app so far number exactly jobLimit (read from the system)."""
    limit = world.library.job_limit()
    got = len([e for e in observe.committed(world.trace) if e.call in observe.CREATES])
    assert got == limit, f"the app created {got} job(s); jobLimit is {limit}"


@then("the app asked the library for the changes since its saved token")
def asked_for_changes(world: World) -> None:
    """fetchPersistentChanges(since:) was called by the app and answered at least once."""
    assert observe.app_events(world.trace, "fetch_persistent_changes", accepted=True), "the app never fetched persistent changes"


@then("the system refused no change block of the app")
def nothing_refused(world: World) -> None:
    """No commit of the app's change blocks failed."""
    refused = [e for e in observe.app_events(world.trace, "commit_changes") if e.error]
    assert not refused, f"the system refused {len(refused)} change block(s), the first with {refused[0].error}"


@then("after its change block was refused with limitExceeded the app acknowledged jobs before creating jobs again")
def acknowledged_after_refusal(world: World) -> None:
    """CRE-09, where it applies: after the first limitExceeded refusal, an acknowledgement of the app comes before
    its next committed creation. An app that never ran into the limit makes the rule not applicable."""
    code = int(PhotoKitErrorCode.LIMIT_EXCEEDED)
    events = observe.app_events(world.trace)
    refused = next((i for i, e in enumerate(events) if e.call == "commit_changes" and e.error
                    and e.error.get("code") == code), None)
    if refused is None:
        not_applicable("the app never ran into the jobLimit (no change block was refused with limitExceeded)")
    later = {e.seq for e in observe.committed(world.trace) if e.call in observe.CREATES}
    created = next((i for i in range(refused + 1, len(events)) if events[i].seq in later), None)
    assert created is not None, "the app created no job after the refusal"
    acks = [e for e in events[refused + 1:created] if e.call == "acknowledge" and e.error is None]
    assert acks, "the app created jobs again without acknowledging any job first"
