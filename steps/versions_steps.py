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

from bru_conformance.contracts import BackupApp, UploadExtension, perform_changes
from bru_conformance.protocol import Action, BruError, ProcessingResult, UploadJobOptions
from bru_conformance.world import World
from steps.job_steps import _find, _mutate, destination
from steps.vocabulary import TYPES


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

ENTRY_POINTS = ("process()", "processJobs()")


@with_pattern("|".join(sorted((n.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.") for n in API_CALLS),
                              key=len, reverse=True)))
def _api(text: str) -> str:
    return text


@with_pattern(r"process\(\)|processJobs\(\)")
def _entry(text: str) -> str:
    return text


def _p(pattern: str) -> Any:
    """The vocabulary's types plus this module's API names and extension entry points."""
    return parsers.parse(pattern, extra_types={**TYPES, "Api": _api, "Entry": _entry})


# ------------------------------------------------------------------------------------ acting (@system)
@when(_p("the app calls {api:Api}"))
def app_calls(world: World, api: str) -> None:
    """One SYSTEM call by its Apple name (see API_CALLS); its error, if any, is kept for the Then steps."""
    world.attempt(lambda: API_CALLS[api](world))


@when("the user switches on Developer Mode")
def switch_on_developer_mode(world: World) -> None:
    """Settings > Developer > Photos > Resource Upload Test Mode, which exists from 27.0."""
    world.attempt(lambda: world.env.set_developer_mode(True))


# ------------------------------------------------------------------------------------ checking (@system)
class _ProbeExtension:
    """Forwards the system's calls to the harness extension, noting which entry point was used."""

    def __init__(self, inner: UploadExtension, seen: list[str]) -> None:
        self._inner, self._seen = inner, seen

    def process(self) -> ProcessingResult:
        self._seen.append("process()")
        return self._inner.process()

    def notify_termination(self) -> None:
        self._seen.append("notifyTermination()")
        self._inner.notify_termination()

    async def process_jobs(self) -> ProcessingResult:
        self._seen.append("processJobs()")
        return await self._inner.process_jobs()

    async def will_terminate(self) -> None:
        self._seen.append("willTerminate()")
        await self._inner.will_terminate()


class _ProbeApp:
    """The scenario's app with its extension processes wrapped in `_ProbeExtension`."""

    def __init__(self, inner: BackupApp, seen: list[str]) -> None:
        self._inner, self._seen = inner, seen

    def turn_on_backup(self) -> bool:
        return self._inner.turn_on_backup()

    def sign_out(self) -> None:
        self._inner.sign_out()

    def make_extension(self) -> _ProbeExtension:
        return _ProbeExtension(self._inner.make_extension(), self._seen)

    def uploaded_resources(self) -> dict[str, str]:
        return self._inner.uploaded_resources()

    def failed_resources(self) -> set[str]:
        return self._inner.failed_resources()


@then(_p("the system calls the extension's {entry:Entry} within {amount:d} {unit:Unit}"))
def called_through(world: World, entry: str, amount: int, unit: int) -> None:
    """Let time pass watching the extension: a call comes, and every call uses this protocol's entry point."""
    seen: list[str] = []
    world.env.attach_app(_ProbeApp(world.app, seen))
    try:
        world.env.advance(amount * unit)
    finally:
        world.env.attach_app(world.app)
    calls = [s for s in seen if s in ENTRY_POINTS]
    assert calls, f"no processing call within {amount * unit} s"
    assert set(calls) == {entry}, f"the system called {sorted(set(calls))}, expected only {entry}"


@then(_p('the resource of job "{alias}" matches its assetResource(forUploadJob:) lookup'))
def resource_matches_lookup(world: World, alias: str) -> None:
    """The deprecated `resource` property and its 27 replacement name the same, non-nil resource."""
    old = _find(world, alias).resource
    new = world.library.asset_resource_for_upload_job(world.job(alias))
    assert old is not None and new is not None, f"resource is {old}, assetResource(forUploadJob:) is {new}"
    assert old.resource_id == new.resource_id == world.resource(alias).resource_id, \
        f"resource is {old.resource_id}, assetResource(forUploadJob:) is {new.resource_id}"
