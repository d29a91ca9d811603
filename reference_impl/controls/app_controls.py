"""Positive controls of the APP role: variants of the reference APP that follow a policy the digest allows.

Each class overrides one behaviour of `reference_impl.app.ReferenceApp`, says in its docstring what differs
and why the digest (`rules-digest.md`) leaves the app free to do it, and stays a correct app: every MUST of
the digest still holds and no photo is lost under normal conditions. `allowed_by` paraphrases the digest;
`departs_from` names the SHOULD rules a control leaves on purpose (warnings there are expected).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from bru_conformance.contracts import perform_changes
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
    UploadJobOptions,
    URLErrorCode,
)

from ..app import _JOB, ReferenceApp, ReferenceExtension, _Stopped
from . import register

A = "app"


class _LibraryView:
    """A thin view of the app's `PhotoLibrary` that changes one answer or one call; the rest passes through."""

    def __init__(self, library: Any) -> None:
        self._library = library

    def __getattr__(self, name: str) -> Any:
        return getattr(self._library, name)


class _Flag:
    """Stands in for the extension where only its termination flag is read (a snapshot of it)."""

    def __init__(self, terminating: bool) -> None:
        self.terminating = terminating


def _permanent(app: ReferenceApp, job: UploadJob) -> bool:
    error = job.error if app._has(_JOB + "error") else None
    return error is not None and error.is_permanent


# ------------------------------------------------------------------------------------- ledger policy
@register("no_requeue_after_spent_retry", A,
          "RET-01: on the app side only 'retry a failed, unacknowledged, never-retried job'; ACK-02 asks that the "
          "failure be acknowledged; nothing asks for a new job once the one retry is spent (re-queueing is good practice)",
          "a job whose one retry failed too is acknowledged and its photo reported failed, not queued for a new job")
class NoRequeueAfterSpentRetry(ReferenceApp):
    """Differs: the reference re-queues the photo of a retry-spent failed job for a fresh job (up to
    `max_attempts`); this app gives up on it at once and surfaces it in `failed_resources`. Still acknowledged
    (ACK-02), never retried twice (RET-01), never recorded as uploaded without confirmation."""

    _acknowledging = False

    def _acknowledge_finished(self) -> bool:
        # jobs still in the retry set are skipped there (AMB-04): a failed job here has spent its retry
        self._acknowledging = True
        try:
            return super()._acknowledge_finished()
        finally:
            self._acknowledging = False

    def _record(self, resource: AssetResource, confirmation: str | None, job: UploadJob) -> None:
        if self._acknowledging and not confirmation and job.state is JobState.FAILED:
            rid = resource.resource_id
            self.store.attempts[rid] = self.store.attempts.get(rid, 0) + 1
            self.store.failed.add(rid)
            return
        super()._record(resource, confirmation, job)


@register("acknowledges_rejected_without_reporting", A,
          "ACK-02: failures must be acknowledged like successes, nothing more; RET-07 only says acknowledge permanent "
          "failures instead of retrying; no rule requires surfacing them to the user",
          "a job failed with badServerResponse (HTTP 400) is acknowledged and not recorded as uploaded, "
          "but not reported as failed either")
class AcknowledgesRejectedWithoutReporting(ReferenceApp):
    """Differs: the reference adds a photo the server rejected (badServerResponse) to `failed_resources`; this
    app just acknowledges the job and leaves the photo out of both lists (e.g. it logs it server-side). It is
    not retried, not re-queued and not counted as uploaded."""

    def _record(self, resource: AssetResource, confirmation: str | None, job: UploadJob) -> None:
        error = job.error if self._has(_JOB + "error") else None
        if not confirmation and error is not None and error.code is URLErrorCode.BAD_SERVER_RESPONSE:
            return
        super()._record(resource, confirmation, job)


@register("leaves_foreign_jobs_out_of_ledger", A,
          "ACK-02/ACK-08: every finished job found in the acknowledge set must be acknowledged; STA-13 asks only to "
          "handle a nil change request; nothing asks an app to adopt the outcome of a job it never created",
          "finished jobs the app did not create are acknowledged but not written into its ledger")
class LeavesForeignJobsOutOfLedger(ReferenceApp):
    """Differs: the reference looks up the resource of any finished job and records its outcome (and adopts
    a foreign failed job it retries). This app treats a job it has no record of as someone else's: it still
    fetches and acknowledges it (ACK-02, ACK-08), but its ledger holds only its own jobs' outcomes; the photo,
    if it is in the library, is backed up by the app's own job. Cancelling redundant jobs is unchanged."""

    _any_job = False

    def _resource_of(self, job: UploadJob) -> AssetResource | None:
        resource = super()._resource_of(job)
        if resource is None or self._any_job:
            return resource
        known = self.store.in_flight.get(resource.resource_id, "-")
        # own: in flight under this job's id, or under an unknown id (26.1 createJob returns none)
        return resource if known == job.local_identifier or known is None else None

    def _cancel_redundant(self) -> bool:
        self._any_job = True
        try:
            return super()._cancel_redundant()
        finally:
            self._any_job = False


@register("trusts_succeeded_state", A,
          "ACK-05: confirm the outcome with the server *or local tracking* before acknowledging; digest section 5 "
          "item 5: Apple's sample reads the server-id header only when headers are present",
          "a succeeded job counts as uploaded even without the server-id header (the header is used when present)")
class TrustsSucceededState(ReferenceApp):
    """Differs: from 26.4 the reference counts an upload only when the server's id header is present; this
    app reads the header (ACK-06) and keeps its value when there is one, but also accepts the job's
    `succeeded` state, the system's own record that the upload went through, as confirmation."""

    def _server_confirmation(self, job: UploadJob) -> str | None:
        header = super()._server_confirmation(job)
        if header:
            return header
        return "succeeded" if job.state is JobState.SUCCEEDED else None


# ------------------------------------------------------------------------------------- creating
@register("creates_under_limited_access", A,
          "CON-02 governs enabling only; the SYSTEM refuses creations without full access (CON-01, AMB-13) and PRO-12 "
          "says to answer .failure for an error other than limitExceeded / expired token",
          "the extension does not check authorization before creating jobs; under limited access the creation block "
          "fails with a PhotoKit error and the call answers .failure")
class CreatesUnderLimitedAccess(ReferenceApp):
    """Differs: the reference creates jobs only after reading `authorization_status()`; this extension opens
    the creation block whenever photos are queued and lets PhotoKit refuse it (accessUserDenied under limited
    access), answering `.failure` as PRO-12 says. The library itself is still read only with full access, so
    a limited view never drops queued photos or advances the change token past unseen assets."""

    def _sync_library(self) -> None:
        if self.library.authorization_status() is AuthorizationStatus.AUTHORIZED:
            super()._sync_library()

    def run_pass(self, ext: ReferenceExtension) -> ProcessingResult:
        self._ext = ext
        try:
            self._reconcile()
            if ext.terminating:
                return ProcessingResult.PROCESSING
            self._retry_failed()
            if ext.terminating:
                return ProcessingResult.PROCESSING
            self._acknowledge_finished()
            self._cancel_redundant()
            if ext.terminating:
                return ProcessingResult.PROCESSING
            self._sync_library()
            self._create_jobs(ext)  # no authorization check here: PhotoKit refuses if access is not full
        except PhotoKitError as err:
            if err.code is PhotoKitErrorCode.LIMIT_EXCEEDED:
                return ProcessingResult.PROCESSING
            if err.code is PhotoKitErrorCode.PERSISTENT_CHANGE_TOKEN_EXPIRED:
                self.store.token = None
                return ProcessingResult.PROCESSING
            return ProcessingResult.FAILURE
        if ext.terminating:
            return ProcessingResult.PROCESSING
        work_left = bool(self.store.in_flight or self.store.creating or self.store.pending)
        return ProcessingResult.PROCESSING if work_left else ProcessingResult.COMPLETED


class _OneCreationPerBlock(ReferenceApp):
    """Shared by the controls that create each job in its own change block (digest section 5 item 7)."""

    def _create_one(self, resource: AssetResource) -> bool:
        """One creation in its own block; False if the termination notice came while the block was open."""
        rid = resource.resource_id
        use_request = self._has("creationRequestForJob")

        def block() -> None:
            if use_request:
                request = self.library.creation_request_for_job(self.destination(resource), resource)
                self.store.creating[rid] = request.placeholder  # intent written before the commit (TER-07)
            else:
                self.library.create_job(self.destination(resource), resource)
                self.store.creating[rid] = None
            if self._stopping():
                raise _Stopped  # TER-03, as the reference: a block the notice reached is dropped

        try:
            perform_changes(self.library, block)
        except (PhotoKitError, _Stopped) as err:
            self.store.creating.pop(rid, None)
            if isinstance(err, _Stopped):
                return False
            raise
        self.store.in_flight[rid] = self.store.creating.pop(rid)
        self.store.pending.pop(rid, None)
        return True


@register("creates_until_limit_exceeded", A,
          "digest section 5 items 3 and 7: Apple's sample creates one job per change block and maps limitExceeded to "
          ".processing (PRO-10); LIM-05 forbids assuming a jobLimit value, and this app assumes none",
          "never reads jobLimit: creates one job per change block until a block fails with limitExceeded, "
          "then answers .processing")
class CreatesUntilLimitExceeded(_OneCreationPerBlock):
    """Differs: the reference reads `jobLimit` and fills the free slots in one block; this app never reads the
    limit and lets PhotoKit tell it when the queue is full: it creates jobs one block at a time until a block
    fails with limitExceeded (nothing of that block is applied, AMB-07), then answers `.processing`. It never
    relies on any particular value of the limit."""

    def _create_jobs(self, ext: ReferenceExtension) -> bool:
        did = False
        for resource in list(self.store.pending.values()):
            if ext.terminating:
                break
            did |= self._create_one(resource)  # limitExceeded propagates: run_pass answers .processing (PRO-10)
        return did


@register("one_block_per_change", A,
          "digest section 5 items 5 and 7: Apple's sample acknowledges each job and creates each job in its own "
          "change block; CRE-01/CRE-02 only ask that every change happen inside a change block",
          "every creation and every acknowledgement in its own change block")
class OneBlockPerChange(_OneCreationPerBlock):
    """Differs: the reference acknowledges all finished jobs in one block and creates the whole batch in one
    block; this app commits one block per job. The outcome of each job is recorded right before its own
    acknowledgement (ACK-05, TER-07), and the termination flag is checked between blocks."""

    def _acknowledge_finished(self) -> bool:
        jobs = self.library.fetch_jobs(Action.ACKNOWLEDGE)
        retryable = {j.local_identifier for j in self.library.fetch_jobs(Action.RETRY)}
        did = False
        for job in jobs:
            if self._stopping():
                break
            if job.local_identifier in retryable:
                continue  # AMB-04: left to the retry pass
            resource = self._resource_of(job)
            is_download = self._has(_JOB + "type") and job.type is JobType.DOWNLOAD_ONLY
            if resource is not None and not is_download:
                self._record(resource, self._server_confirmation(job), job)
            acknowledge = lambda: self._change(job, lambda cr: cr.acknowledge())  # noqa: B023 - called at once
            did |= bool(self._ending([(job, self._placed(resource))], acknowledge))
        return did

    def _create_jobs(self, ext: ReferenceExtension) -> bool:
        free = self.library.job_limit() - len(self.store.in_flight) - len(self.store.creating)
        did = False
        for resource in list(self.store.pending.values())[:max(free, 0)]:
            if ext.terminating:
                break
            did |= self._create_one(resource)
        return did


@register("caps_at_twenty", A,
          "AMB-11: third-party apps cap their own queue at min(jobLimit, 20); CRE-12 (fill the queue up to the limit) "
          "is a SHOULD; LIM-05 is kept: jobLimit is still read at run time",
          "fills the queue only up to min(jobLimit, 20)", departs_from=("CRE-12",))
class CapsAtTwenty(ReferenceApp):
    """Differs: the reference fills every free slot under `jobLimit`; this app reads `jobLimit` and fills the
    queue up to min(jobLimit, 20), as real apps do. It departs from CRE-12 (SHOULD) when jobLimit > 20."""

    CAP = 20

    def _create_jobs(self, ext: ReferenceExtension) -> bool:
        library, cap = self.library, self.CAP

        class _Capped(_LibraryView):
            def job_limit(self) -> int:
                return min(library.job_limit(), cap)

        self.library = _Capped(library)  # type: ignore[assignment]
        try:
            return super()._create_jobs(ext)
        finally:
            self.library = library


@register("newest_first", A,
          "AMB-15: no order is documented for creating or running jobs and tests must not assume FIFO; CRE-12 and "
          "CRE-04 say nothing about which queued photo goes first",
          "creates jobs for the most recently queued photos first")
class NewestFirst(ReferenceApp):
    """Differs: the reference creates jobs in the order it queued the photos; this app backs up the most
    recently queued photos first (a common choice: the newest pictures matter most). Which photos are backed
    up, and how often, is unchanged."""

    def _create_jobs(self, ext: ReferenceExtension) -> bool:
        self.store.pending = OrderedDict(reversed(self.store.pending.items()))
        try:
            return super()._create_jobs(ext)
        finally:
            self.store.pending = OrderedDict(reversed(self.store.pending.items()))


@register("host_app_seeds_first_jobs", A,
          "AMB-10: any process of the enabling app may create jobs once the configuration exists; ACT-03 only asks that "
          "enabling come first; CRE-03 (create in the extension) is a SHOULD",
          "right after enabling, the host app creates the first batch of jobs itself; the extension does the rest",
          departs_from=("CRE-03",))
class HostAppSeedsFirstJobs(ReferenceApp):
    """Differs: the reference host app only enables; this one, once the enable is verified, enumerates the
    library and creates the first batch of jobs itself (through the same shared store, with the same intents),
    so the backup starts without waiting for the first processing call. Departs from CRE-03 (SHOULD)."""

    def turn_on_backup(self) -> bool:
        if not super().turn_on_backup():
            return False
        try:
            self._sync_library()
            self._create_jobs(ReferenceExtension(self))
        except PhotoKitError:
            pass  # whatever was not created stays queued; the extension's first call picks it up
        return True


# ------------------------------------------------------------------------------------- retrying
@register("retries_with_nil_destination", A,
          "digest section 5 item 4: Apple's sample retries with a nil destination (keep the original); RET-02: nil "
          "re-uses the original request; RET-07 asks only to retry transient failures",
          "retries transient failures with destination nil instead of a freshly built destination")
class RetriesWithNilDestination(ReferenceApp):
    """Differs: the reference retries with a freshly built destination (current credentials); this app keeps
    the job's original request, as Apple's sample does. Should the old credentials be refused on the retry
    (401), the retry-spent job is acknowledged and its photo re-queued for a new job with fresh credentials."""

    _retrying = False

    def _retry_failed(self) -> bool:
        self._retrying = True
        try:
            return super()._retry_failed()
        finally:
            self._retrying = False

    def destination(self, resource: AssetResource | None = None) -> Request:
        # inside the retry pass the destination is only used for retry(destination:): pass nil there
        return None if self._retrying else super().destination(resource)  # type: ignore[return-value]


@register("acknowledges_before_retrying", A,
          "RET-05: acknowledge finished jobs to free capacity before retrying; PRO-09's retry-acknowledge-create order "
          "is only 'typical' and the digest's note says neither order is a requirement on its own",
          "each call acknowledges, then retries, then creates")
class AcknowledgesBeforeRetrying(ReferenceApp):
    """Differs: the reference retries, then acknowledges, then creates (PRO-09's typical order); this app
    acknowledges first (RET-05), then retries, then creates. A failed job that still has its retry is left to
    the retry pass (AMB-04), so nothing is handled twice."""

    def _retry_failed(self) -> bool:
        acknowledged = ReferenceApp._acknowledge_finished(self)
        if self._stopping():
            return acknowledged
        return super()._retry_failed() or acknowledged

    def _acknowledge_finished(self) -> bool:
        return False  # done at the start of the call, before retrying


@register("acknowledges_permanent_with_finished", A,
          "RET-07: do not retry permanent failures, acknowledge them; ACK-02/ACK-08: acknowledge what the acknowledge "
          "set holds; nothing says in which pass or block a permanent failure is acknowledged",
          "permanent failures are skipped by the retry pass and acknowledged in the acknowledge block with the rest")
class AcknowledgesPermanentWithFinished(ReferenceApp):
    """Differs: the reference acknowledges a permanent failure (badServerResponse, authentication required) in
    its retry pass, one block per job; this app's retry pass only looks at transient failures, and its
    acknowledge pass (which records every outcome before acknowledging) takes the permanent ones with the
    successes, in its single acknowledge block. Same outcomes, same ledger."""

    def _transient_only(self) -> _LibraryView:
        app, library = self, self.library

        class _Transient(_LibraryView):
            def fetch_jobs(self, action: Action) -> list[UploadJob]:
                jobs = library.fetch_jobs(action)
                return [j for j in jobs if not _permanent(app, j)] if action is Action.RETRY else jobs

        return _Transient(library)

    def _retry_failed(self) -> bool:
        library = self.library
        self.library = self._transient_only()  # type: ignore[assignment]
        try:
            return super()._retry_failed()
        finally:
            self.library = library

    def _acknowledge_finished(self) -> bool:
        library = self.library
        self.library = self._transient_only()  # type: ignore[assignment]
        try:
            return super()._acknowledge_finished()
        finally:
            self.library = library


# ------------------------------------------------------------------------------------- change requests
@register("aborts_empty_block", A,
          "STA-13: the change request initialiser is failable and callers must handle nil; how is not prescribed "
          "(Apple's sample returns early from the block)",
          "when no change request could be made in a block (the job is gone), the block is aborted, not committed empty")
class AbortsEmptyBlock(ReferenceApp):
    """Differs: when `init(for:)` answers nil the reference leaves the block empty and commits it; this app
    abandons a change block in which it obtained no change request at all (a block with at least one request
    commits as usual). Nothing the app meant to change is lost: a job that is gone needs nothing."""

    def run_pass(self, ext: ReferenceExtension) -> ProcessingResult:
        library = self.library

        class _AbortsEmpty(_LibraryView):
            used = False

            def begin_changes(self) -> None:
                library.begin_changes()
                self.used = False

            def change_request_for(self, local_identifier: str) -> Any:
                request = library.change_request_for(local_identifier)
                self.used |= request is not None
                return request

            def create_job(self, destination: Request, resource: AssetResource) -> None:
                self.used = True
                library.create_job(destination, resource)

            def creation_request_for_job(self, destination: Request, resource: AssetResource) -> Any:
                self.used = True
                return library.creation_request_for_job(destination, resource)

            def commit_changes(self) -> None:
                if self.used:
                    library.commit_changes()
                else:
                    library.abort_changes()

        self.library = _AbortsEmpty(library)  # type: ignore[assignment]
        try:
            return super().run_pass(ext)
        finally:
            self.library = library


@register("never_cancels", A,
          "CAN-03: cancelling a redundant job is a MAY; CAN-04 (find cancellable jobs with .process) only applies "
          "to an app that looks for jobs to cancel",
          "never cancels queued jobs, redundant or not")
class NeverCancels(ReferenceApp):
    """Differs: from 26.5 the reference cancels queued jobs for photos already on the server; this app never
    cancels (a redundant job simply uploads again, which the server can deduplicate). Every finished job is
    still acknowledged."""

    def _cancel_redundant(self) -> bool:
        return False


# ------------------------------------------------------------------------------------- termination
@register("terminates_with_failure", A,
          "TER-04 (MUST) only asks to leave the processing method promptly; answering .processing after the notice "
          "is TER-08, a SHOULD",
          "on the termination notice it stops at the next check and answers .failure", departs_from=("TER-08",))
class TerminatesWithFailure(ReferenceApp):
    """Differs: having noticed the termination, the reference answers `.processing`; this app stops at the same
    points but answers `.failure` (the system logs it and calls again later, PRO-07). Departs from TER-08."""

    def run_pass(self, ext: ReferenceExtension) -> ProcessingResult:
        result = super().run_pass(ext)
        return ProcessingResult.FAILURE if ext.terminating else result


@register("finishes_open_block_on_notice", A,
          "TER-03 (SHOULD) asks to stop in-progress work, with cancellation flags the processing method checks "
          "periodically; TER-04 (MUST) asks to leave promptly, which a single short change block does; digest "
          "section 5 item 9: Apple's sample checks its flag only in the processing method",
          "checks the termination flag only between change blocks: a creation block under way is finished and "
          "committed, then the call answers .processing", departs_from=("TER-03",))
class FinishesOpenBlockOnNotice(ReferenceApp):
    """Differs: the reference also checks the flag inside its creation block and drops the block when the
    notice comes; this app checks between blocks only, so a block it is building is committed (its intent
    is written first, TER-07) and the call returns `.processing` right after it. Finishing that block is
    in-progress work not stopped, so it departs from TER-03 (SHOULD); TER-04 (MUST, leave promptly) holds."""

    def _create_jobs(self, ext: ReferenceExtension) -> bool:
        return super()._create_jobs(_Flag(ext.terminating))  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------- host app and APIs
@register("trusts_enable_call", A,
          "ACT-13: reading uploadJobExtensionEnabled to verify an enable is a MAY; ACT-11/ACT-18: a failed enable "
          "throws, which this app handles",
          "the host app treats an enable that did not throw as done, without reading uploadJobExtensionEnabled")
class TrustsEnableCall(ReferenceApp):
    """Differs: the reference reads `uploadJobExtensionEnabled` after enabling (ACT-13, a MAY); this app relies
    on the enable call throwing when it fails (ACT-11, ACT-18)."""

    def enable_and_verify(self) -> bool:
        try:
            if self.profile.has("enableUploadJobExtension"):
                self.library.enable_upload_job_extension(None)
            else:
                self.library.set_upload_job_extension_enabled(True)
        except PhotoKitError:
            return False
        return True


@register("enables_with_options_object", A,
          "ACT-17: enableUploadJobExtension(with:) takes options or nil (nil = defaults); ACT-21/ACT-22: a freshly "
          "made options object holds the defaults",
          "on 27 the host app enables with an explicit default options object instead of nil")
class EnablesWithOptionsObject(ReferenceApp):
    """Differs: on 27 the reference enables with `nil` options; this app passes a fresh
    `PHAssetResourceUploadJobOptions()` (all defaults), e.g. so its settings screen owns the object."""

    def enable_and_verify(self) -> bool:
        if not self.profile.has("enableUploadJobExtension"):
            return super().enable_and_verify()
        try:
            self.library.enable_upload_job_extension(UploadJobOptions())
        except PhotoKitError:
            return False
        return self.library.upload_job_extension_enabled()


@register("uses_deprecated_resource_property", A,
          "STA-11/VER-04/VER-05: job.resource is deprecated in 27 but stays available on iOS (formally closed at 27.2); "
          "assetResource(forUploadJob:) is its replacement, used where resource does not exist (macOS)",
          "finds a job's resource through job.resource wherever it exists, the 27 lookup only on macOS")
class UsesDeprecatedResourceProperty(ReferenceApp):
    """Differs: on 27 the reference asks `PHAssetResource.assetResource(forUploadJob:)`; this app keeps using
    the deprecated `job.resource` on iOS (code written for 26.x) and the new lookup only where `resource`
    does not exist (macOS/Catalyst). Both may be nil for a deleted photo (AMB-22)."""

    def _resource_of(self, job: UploadJob) -> AssetResource | None:
        for rid, jid in self.store.in_flight.items():
            if jid == job.local_identifier:
                return self.store.resources.get(rid)
        if self._has(_JOB + "resource"):
            return job.resource
        if self._has("assetResourceForUploadJob"):
            return self.library.asset_resource_for_upload_job(job.local_identifier)
        return None


class _Suspension:
    """One suspension point of a coroutine (what awaiting an async PhotoKit call amounts to on virtual time)."""

    def __await__(self):  # type: ignore[no-untyped-def]
        yield None


class _AwaitingExtension(ReferenceExtension):
    async def process_jobs(self) -> ProcessingResult:
        await _Suspension()  # e.g. awaiting the App Group store before starting
        if self.terminating:
            return ProcessingResult.PROCESSING
        result = self.app.run_pass(self)
        await _Suspension()  # e.g. awaiting a log flush before answering
        return result


@register("awaits_in_process_jobs", A,
          "PRO-13: processJobs() is async and need not do asynchronous work, so it may; digest section 5 items 4, 5 and 7: "
          "Apple's sample awaits its change blocks",
          "on 27 the extension's processJobs() suspends (awaits) before and after its pass")
class AwaitsInProcessJobs(ReferenceApp):
    """Differs: the reference's `processJobs()` never suspends; this extension awaits before starting its pass
    and before answering, as an app awaiting async storage or PhotoKit calls would. The 26.x `process()` is
    unchanged."""

    def make_extension(self) -> ReferenceExtension:
        return _AwaitingExtension(self)


@register("cancels_queued_on_sign_out", A,
          "ACT-14/ACT-16: disable on sign-out; CAN-03: cancel is for jobs that are no longer wanted, the redundant case "
          "being an example; CAN-01: only registered/pending jobs are cancelled; CAN-04: found with the process set",
          "on sign-out (26.5+) the host app first cancels the account's queued jobs, then disables")
class CancelsQueuedOnSignOut(ReferenceApp):
    """Differs: the reference only disables on sign-out (which also discards the jobs, AMB-05 field reading);
    this app first cancels every queued job (the `.process` set) so that nothing more goes to the old account
    even where disabling would keep jobs, then disables as ACT-16 asks."""

    def sign_out(self) -> None:
        if self._has("Action.process"):
            for job in self.library.fetch_jobs(Action.PROCESS):
                try:
                    self._change(job, lambda cr: cr.cancel())
                except PhotoKitError:
                    pass  # finished meanwhile (CAN-01): disabling deals with it
        super().sign_out()
