"""Steps specific to the versions feature; shared wording lives in setup_steps, job_steps and app_steps.

`When the app calls <api>` makes one call of the SYSTEM contract by its Apple name, so an availability
outline can run the same call in every profile: inside a profile it succeeds, outside it fails with an
API-unavailable error. The calls act on the jobs the scenario's Givens name ("done" succeeded, "broken"
failed, "queued" registered) and create jobs for a photo "extra".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from parse import with_pattern
from pytest_bdd import parsers, then, when

from bru_conformance.contracts import perform_changes
from bru_conformance.protocol import Action, BruError, UploadJobOptions
from bru_conformance.scenario.world import World

from .job_steps import _find, _mutate, destination
from .vocabulary import TYPES


def _init_for(world: World) -> None:
    def block() -> None:
        if world.library.change_request_for(world.job("done")) is None:
            raise BruError("PHAssetResourceUploadJobChangeRequest(for:) returned nil for a live job")

    perform_changes(world.library, block)


def _placeholder(world: World) -> None:
    perform_changes(world.library, lambda: world.library.change_request_for(world.job("queued")).placeholder)


#: Apple's name of a call -> the same call made through the SYSTEM contract.
API_CALLS: dict[str, Callable[[World], Any]] = {
    "jobLimit": lambda w: w.library.job_limit(),
    "fetchJobs(.acknowledge)": lambda w: w.library.fetch_jobs(Action.ACKNOWLEDGE),
    "fetchJobs(.retry)": lambda w: w.library.fetch_jobs(Action.RETRY),
    "fetchJobs(.process)": lambda w: w.library.fetch_jobs(Action.PROCESS),
    "uploadJobExtensionEnabled": lambda w: w.library.upload_job_extension_enabled(),
    "setUploadJobExtensionEnabled(true)": lambda w: w.library.set_upload_job_extension_enabled(True),
    "createJob(destination:resource:)": lambda w: perform_changes(
        w.library, lambda: w.library.create_job(destination(w), w.resource("extra"))),
    "creationRequestForJob(destination:resource:)": lambda w: perform_changes(
        w.library, lambda: w.library.creation_request_for_job(destination(w), w.resource("extra"))),
    "creationRequestForDownloadJob(resource:)": lambda w: perform_changes(
        w.library, lambda: w.library.creation_request_for_download_job(w.resource("extra"))),
    "placeholderForCreatedAssetResourceUploadJob": _placeholder,
    "init(for:)": _init_for,
    "acknowledge()": lambda w: _mutate(w, "done", lambda r: r.acknowledge()),
    "retry(destination:)": lambda w: _mutate(w, "broken", lambda r: r.retry(None)),
    "cancel()": lambda w: _mutate(w, "queued", lambda r: r.cancel()),
    "resource": lambda w: _find(w, "done").resource,
    "type": lambda w: _find(w, "done").type,
    "responseHeaderFields": lambda w: _find(w, "done").response_header_fields,
    "error": lambda w: _find(w, "broken").error,
    "enableUploadJobExtension(with:)": lambda w: w.library.enable_upload_job_extension(None),
    "disableUploadJobExtension()": lambda w: w.library.disable_upload_job_extension(),
    "uploadJobExtensionOptions": lambda w: w.library.upload_job_extension_options(),
    "setUploadJobExtensionOptions(_:)": lambda w: w.library.set_upload_job_extension_options(UploadJobOptions()),
    "assetResource(forUploadJob:)": lambda w: w.library.asset_resource_for_upload_job(w.job("done")),
}

@with_pattern("|".join(sorted((n.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.") for n in API_CALLS),
                              key=len, reverse=True)))
def _api(text: str) -> str:
    return text


def _p(pattern: str) -> Any:
    """The vocabulary's types plus this module's API names."""
    return parsers.parse(pattern, extra_types={**TYPES, "Api": _api})


# ------------------------------------------------------------------------------------ acting (@system)
@when(_p("the app calls {api:Api}"))
def app_calls(world: World, api: str) -> None:
    """One SYSTEM call by its Apple name (see API_CALLS); its error, if any, is kept for the Then steps."""
    world.attempt(lambda: API_CALLS[api](world))


@when("the user switches on Developer Mode")
def switch_on_developer_mode(world: World) -> None:
    """Settings > Developer > Photos > Resource Upload Test Mode, which exists from 27.0."""
    world.attempt(lambda: world.env.set_developer_mode(True))
    if world.error is None:
        world.marks["developer mode"] = world.env.now()


# ------------------------------------------------------------------------------------ checking (@system)
@then(_p('the resource of job "{alias}" matches its assetResource(forUploadJob:) lookup'))
def resource_matches_lookup(world: World, alias: str) -> None:
    """The deprecated `resource` property and its 27 replacement name the same, non-nil resource."""
    old = _find(world, alias).resource
    new = world.library.asset_resource_for_upload_job(world.job(alias))
    assert old is not None and new is not None, f"resource is {old}, assetResource(forUploadJob:) is {new}"
    assert old.resource_id == new.resource_id == world.resource(alias).resource_id, \
        f"resource is {old.resource_id}, assetResource(forUploadJob:) is {new.resource_id}"
