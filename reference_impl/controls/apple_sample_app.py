"""Positive control: a photo-backup APP that follows the article's sample flow (digest section 5).

Written only from the specification digest (section 5, "Sample code in the article, described in prose",
and the rules of section 3) and the role contracts; it shares no code with the reference APP. It keeps
the sample's choices where the digest gives advice rather than a rule:

* host app: read-write authorisation, enable only on `.authorized`, errors caught and reported (5.2);
  signing out disables the extension (ACT-16);
* one processing call: (a) retry failed jobs, acknowledging the permanent ones (bad server response,
  authentication required) and retrying the others with a nil destination (5.4); (b) acknowledge
  finished jobs, recording the server id header against the resource first (5.5, ACK-05/06);
  (c) from 26.5 cancel queued jobs whose resource the app has already uploaded (5.6); (d) one change
  block per unprocessed resource, a POST with Authorization and an original-filename header (5.7),
  never reading `jobLimit`: `limitExceeded` ends the call with `.processing` (5.3);
* a termination flag the processing method checks, answering `.processing` when set (5.9);
* a `succeeded` job is trusted as uploaded when the server sent no id header, as the sample does;
  a job that fails once more after its single retry is recorded as failed.

Bookkeeping (CRE-11) lives in `SampleStore`, held by the app object (the App Group container): the
resources seen, the persistent change token, the jobs in flight and the outcomes. Extension objects
hold only the termination flag, so a killed or terminated process loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bru_conformance.contracts import AppAccount, ChangeRequest, PhotoLibrary
from bru_conformance.profiles import Profile
from bru_conformance.protocol import (
    Action,
    AssetResource,
    AuthorizationStatus,
    JobState,
    JobType,
    PhotoKitError,
    PhotoKitErrorCode,
    ProcessingResult,
    Request,
    UploadJob,
    URLErrorCode,
)

from . import register

#: The failures the sample treats as permanent: acknowledged, never retried (5.4, RET-07).
_PERMANENT = frozenset({URLErrorCode.BAD_SERVER_RESPONSE, URLErrorCode.USER_AUTHENTICATION_REQUIRED})


class _Cancelled(Exception):
    """The termination flag was seen inside a change block: the block is abandoned uncommitted."""


@dataclass
class SampleStore:
    """The app's own tracking (App Group storage shared by host app and extension, CRE-11)."""

    token: int | None = None  # persistent change token; None: enumerate the library
    resources: dict[str, AssetResource] = field(default_factory=dict)  # every resource ever seen
    unprocessed: list[str] = field(default_factory=list)  # resource ids waiting for a job
    in_flight: set[str] = field(default_factory=set)  # resource ids with a live job
    job_resource: dict[str, str] = field(default_factory=dict)  # job local id -> resource id (26.4 placeholder)
    unconfirmed: set[str] = field(default_factory=set)  # job ids whose creating block never returned
    uploaded: dict[str, str] = field(default_factory=dict)  # resource id -> server id or "confirmed"
    failed: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)  # what the sample prints

    def handled(self, rid: str) -> bool:
        return rid in self.uploaded or rid in self.failed or rid in self.in_flight or rid in self.unprocessed

    def forget_job(self, job_id: str) -> str | None:
        self.unconfirmed.discard(job_id)
        rid = self.job_resource.pop(job_id, None)
        if rid is not None and rid not in self.job_resource.values():
            self.in_flight.discard(rid)
        return rid


class AppleSampleExtension:
    """One process of the upload extension, shaped like the article's sample class."""

    def __init__(self, app: AppleSampleApp) -> None:
        self._app = app
        self._library = app.library
        self._profile = app.profile
        self._store = app.store
        self._cancelled = False  # the sample's atomic Boolean

    # ------------------------------------------------------------------ the two protocols
    def process(self) -> ProcessingResult:
        return self._process_jobs()

    def notify_termination(self) -> None:
        self._terminate()

    async def process_jobs(self) -> ProcessingResult:
        return self._process_jobs()

    async def will_terminate(self) -> None:
        self._terminate()

    def _terminate(self) -> None:
        self._cancelled = True  # release; nothing else to clean up: the store is always consistent

    # ------------------------------------------------------------------ processing (5.3)
    def _process_jobs(self) -> ProcessingResult:
        if self._cancelled:
            return ProcessingResult.PROCESSING
        try:
            for step in (self._resolve_unconfirmed, self._retry_failed_jobs, self._acknowledge_finished_jobs,
                         self._cancel_redundant_jobs, self._create_upload_jobs):
                self._check()  # TER-03: the flag is checked between steps, and before every change block
                step()
        except _Cancelled:
            return ProcessingResult.PROCESSING
        except PhotoKitError as error:
            if error.code is PhotoKitErrorCode.LIMIT_EXCEEDED:
                return ProcessingResult.PROCESSING
            if error.code is PhotoKitErrorCode.PERSISTENT_CHANGE_TOKEN_EXPIRED:
                self._store.token = None  # PRO-11: re-sync from the whole library next time
                return ProcessingResult.PROCESSING
            self._store.errors.append(str(error))
            return ProcessingResult.FAILURE
        except Exception as error:  # PRO-12
            self._store.errors.append(repr(error))
            return ProcessingResult.FAILURE
        if self._cancelled:
            return ProcessingResult.PROCESSING
        store = self._store
        return ProcessingResult.PROCESSING if store.unprocessed or store.in_flight else ProcessingResult.COMPLETED

    def _check(self) -> None:
        if self._cancelled:
            raise _Cancelled

    def _perform(self, block: Callable[[], None]) -> None:
        """`performChanges`: a change block that is left uncommitted once termination is flagged."""
        self._check()
        self._library.begin_changes()
        try:
            block()
            self._check()
        except BaseException:
            self._library.abort_changes()
            raise
        self._library.commit_changes()

    def _has(self, api: str) -> bool:
        return self._profile.has(api)

    # ------------------------------------------------------------------ kill safety (TER-07)
    def _resolve_unconfirmed(self) -> None:
        """A creation whose block never returned (the process died): keep it only if the job exists."""
        store = self._store
        for job_id in sorted(store.unconfirmed):
            self._check()
            exists = False
            self._library.begin_changes()
            try:
                exists = self._library.change_request_for(job_id) is not None
            finally:
                self._library.abort_changes()
            if exists:
                store.unconfirmed.discard(job_id)
            else:
                rid = store.forget_job(job_id)
                if rid is not None and not store.handled(rid):
                    store.unprocessed.append(rid)

    # ------------------------------------------------------------------ (a) retry (5.4)
    def _retry_failed_jobs(self) -> None:
        jobs = self._library.fetch_jobs(Action.RETRY)
        for index in range(len(jobs)):  # PRO-18: a fetch result is walked by index
            self._check()
            job = jobs[index]
            error = job.error if self._has("PHAssetResourceUploadJob.error") else None
            if error is not None and error.code in _PERMANENT:
                self._record_failure(job)
                self._perform(lambda job=job: self._acknowledge(job.local_identifier))
                self._store.forget_job(job.local_identifier)
                continue
            self._perform(lambda job=job: self._retry(job.local_identifier))

    def _acknowledge(self, job_id: str) -> None:
        request = self._library.change_request_for(job_id)
        if request is None:
            return
        request.acknowledge()

    def _retry(self, job_id: str) -> None:
        request = self._library.change_request_for(job_id)
        if request is None:
            return
        request.retry(None)  # keep the original destination

    # ------------------------------------------------------------------ (b) acknowledge (5.5)
    def _acknowledge_finished_jobs(self) -> None:
        jobs = self._library.fetch_jobs(Action.ACKNOWLEDGE)
        for index in range(len(jobs)):
            self._check()
            job = jobs[index]
            if job.state is JobState.SUCCEEDED:
                self._record_success(job)
            else:
                self._record_failure(job)
            self._perform(lambda job=job: self._acknowledge(job.local_identifier))
            self._store.forget_job(job.local_identifier)

    def _resource_id(self, job: UploadJob) -> str | None:
        rid = self._store.job_resource.get(job.local_identifier)
        if rid is not None:
            return rid
        resource = self._lookup(job)
        return None if resource is None else resource.resource_id

    def _lookup(self, job: UploadJob) -> AssetResource | None:
        if self._has("assetResourceForUploadJob"):
            return self._library.asset_resource_for_upload_job(job.local_identifier)
        if self._has("PHAssetResourceUploadJob.resource"):
            return job.resource
        return None

    def _is_download_only(self, job: UploadJob) -> bool:
        return self._has("PHAssetResourceUploadJob.type") and job.type is JobType.DOWNLOAD_ONLY

    def _record_success(self, job: UploadJob) -> None:
        """ACK-05/06: the outcome and the server's id are in the store before the acknowledgement."""
        if self._is_download_only(job):
            return
        rid = self._resource_id(job)
        if rid is None:
            return
        confirmation = "confirmed"  # the sample trusts `succeeded` when the server sent no id
        if self._has("PHAssetResourceUploadJob.responseHeaderFields"):
            headers = job.response_header_fields or {}
            confirmation = headers.get(self._app.account.server_id_header.lower(), confirmation)
        self._store.uploaded[rid] = confirmation
        self._store.failed.discard(rid)
        self._store.in_flight.discard(rid)

    def _record_failure(self, job: UploadJob) -> None:
        if self._is_download_only(job):
            return
        rid = self._resource_id(job)
        if rid is None or rid in self._store.uploaded:
            return
        self._store.failed.add(rid)
        self._store.in_flight.discard(rid)

    # ------------------------------------------------------------------ (c) cancel (5.6)
    def _cancel_redundant_jobs(self) -> None:
        if not (self._has("Action.process") and self._has("cancel")):
            return
        jobs = self._library.fetch_jobs(Action.PROCESS)
        for index in range(len(jobs)):
            self._check()
            job = jobs[index]
            resource = self._lookup(job)
            if resource is None or resource.resource_id not in self._store.uploaded:
                continue
            self._perform(lambda job=job: self._cancel(job.local_identifier))
            self._store.forget_job(job.local_identifier)

    def _cancel(self, job_id: str) -> None:
        request = self._library.change_request_for(job_id)
        if request is None:
            return
        request.cancel()

    # ------------------------------------------------------------------ (d) create (5.7)
    def _create_upload_jobs(self) -> None:
        self._sync_library()
        store = self._store
        if not store.unprocessed:
            return
        for rid in list(store.unprocessed):
            self._check()
            resource = store.resources[rid]
            if self._has("creationRequestForJob"):
                self._create_with_placeholder(resource)
            else:  # 26.1: no identifier; the job is known by its resource once it finishes
                self._perform(lambda resource=resource: self._library.create_job(self._destination(resource), resource))
                store.in_flight.add(rid)
                store.unprocessed.remove(rid)

    def _create_with_placeholder(self, resource: AssetResource) -> None:
        store = self._store
        rid = resource.resource_id
        made: list[str] = []

        def block() -> None:
            request: ChangeRequest = self._library.creation_request_for_job(self._destination(resource), resource)
            placeholder = request.placeholder
            if placeholder is not None:  # known before the block completes (CRE-06): noted before the commit
                made.append(placeholder)
                store.job_resource[placeholder] = rid
                store.unconfirmed.add(placeholder)
                store.in_flight.add(rid)
                store.unprocessed.remove(rid)

        try:
            self._perform(block)
        except Exception:
            for job_id in made:  # the block failed or was abandoned: nothing was created (AMB-07)
                store.forget_job(job_id)
                store.unprocessed.insert(0, rid)
            raise
        # an ExtensionKilled passes through untouched: the next call settles the unconfirmed job
        for job_id in made:
            store.unconfirmed.discard(job_id)
        if not made:
            store.in_flight.add(rid)
            store.unprocessed.remove(rid)

    def _destination(self, resource: AssetResource) -> Request:
        account = self._app.account
        return Request.make(account.upload_url, "POST", {
            "Authorization": f"Bearer {account.token()}",
            account.filename_header: resource.filename,
        })

    # ------------------------------------------------------------------ bookkeeping (CRE-11)
    def _sync_library(self) -> None:
        """New resources since the saved token; the whole library when there is none."""
        store = self._store
        library = self._library
        if store.token is None:
            token = library.current_change_token()
            assets = library.fetch_assets()
            present = {r.resource_id for a in assets for r in a.resources}
            fresh = [r for a in assets for r in a.resources]
            gone: set[str] = set()
        else:
            changes = library.fetch_persistent_changes(store.token)
            token = changes.token
            touched = set(changes.inserted) | set(changes.updated)
            assets = [a for a in library.fetch_assets() if a.asset_id in touched] if touched else []
            fresh = [r for a in assets for r in a.resources]
            present = None
            deleted = set(changes.deleted) - {a.asset_id for a in assets}
            gone = {rid for rid, r in store.resources.items() if r.asset_id in deleted}
        # no PhotoKit call below: the store moves in one step
        for resource in fresh:
            store.resources[resource.resource_id] = resource
            if not store.handled(resource.resource_id):
                store.unprocessed.append(resource.resource_id)
        if present is not None:
            gone = {rid for rid in store.unprocessed if rid not in present}
        store.unprocessed = [rid for rid in store.unprocessed if rid not in gone]
        store.in_flight -= gone - set(store.job_resource.values())
        store.token = token


@register(
    "apple_sample_flow", "app",
    allowed_by="digest §5 (sample code: 5.2 enabling, 5.3 top-level flow, 5.4 retry with nil destination and "
               "permanent badServerResponse/userAuthenticationRequired, 5.5 acknowledge with server-id header, "
               "5.6 cancel redundant, 5.7 one change block per resource without reading jobLimit, "
               "5.9 termination flag); PRO-09 typical order retry, acknowledge, create; PRO-10; PRO-11; TER-08",
    description="An independent APP written from the digest that follows Apple's sample flow: retry before "
                "acknowledge, nil-destination retries, limitExceeded as the only back-pressure, succeeded trusted "
                "without a server id, one retry per photo then failed.",
)
class AppleSampleApp:
    """Host app + extension factory; the app object's attributes are the App Group storage."""

    def __init__(self, library: PhotoLibrary, profile: Profile, account: AppAccount) -> None:
        self.library = library
        self.profile = profile
        self.account = account
        self.store = SampleStore()

    # ------------------------------------------------------------------ host app (5.2)
    def turn_on_backup(self) -> bool:
        status = self.library.request_authorization()
        if status is not AuthorizationStatus.AUTHORIZED:
            return False
        try:
            if self.profile.has("enableUploadJobExtension"):
                self.library.enable_upload_job_extension(None)
            else:
                self.library.set_upload_job_extension_enabled(True)
        except Exception as error:
            self.store.errors.append(f"enabling failed: {error}")
            return False
        return True

    def sign_out(self) -> None:
        try:
            if self.profile.has("disableUploadJobExtension"):
                self.library.disable_upload_job_extension()
            else:
                self.library.set_upload_job_extension_enabled(False)
        except Exception as error:
            self.store.errors.append(f"disabling failed: {error}")
            return
        store = self.store  # disabling discards the queued jobs (AMB-05): their resources wait again
        for rid in sorted(store.in_flight):
            if rid not in store.uploaded and rid not in store.failed:
                store.unprocessed.append(rid)
        store.in_flight.clear()
        store.job_resource.clear()
        store.unconfirmed.clear()

    def make_extension(self) -> AppleSampleExtension:
        return AppleSampleExtension(self)

    # ------------------------------------------------------------------ ledger
    def uploaded_resources(self) -> dict[str, str]:
        return dict(self.store.uploaded)

    def failed_resources(self) -> set[str]:
        return set(self.store.failed)
