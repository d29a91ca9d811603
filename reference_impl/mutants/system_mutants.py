"""Non-conformant variants of the reference SYSTEM, each overriding one behaviour (see the package doc)."""

from __future__ import annotations

from bru_conformance.protocol import (
    Action,
    AuthorizationStatus,
    JobState,
    JobType,
    PhotoKitError,
    PhotoKitErrorCode,
    ProcessingResult,
    Request,
    UploadJobOptions,
    URLError,
    URLErrorCode,
)

from ..jobs import IN_FLIGHT, TERMINAL, Event, apply
from ..queue import ChangeBlock, JobQueue
from ..scheduler import CallPolicy
from ..system import _API, _CR, _JOB, RefChangeRequest, ReferenceSystem
from ..transport import AttemptResult, SimulatedServer
from . import register

S = "system"


class _QueueSystem(ReferenceSystem):
    """Base of the mutants whose bug lives in the job queue: `QUEUE` replaces the reference `JobQueue`."""

    QUEUE: type[JobQueue] = JobQueue

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.queue = self.QUEUE(self.queue.job_limit, self.queue.retry_checks_limit)


class _PolicySystem(ReferenceSystem):
    """Base of the mutants whose bug lives in the call policy."""

    POLICY: type[CallPolicy] = CallPolicy

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.policy = self.POLICY(self.timings)


class _ServerSystem(ReferenceSystem):
    """Base of the mutants whose bug lives in the transfer (the simulated server side of the system)."""

    SERVER: type[SimulatedServer] = SimulatedServer

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.server = self.SERVER()
        self.transport = self.server


# ------------------------------------------------------------------------------------- limits
class _OffByOneQueue(JobQueue):
    def _validate(self, block: ChangeBlock) -> None:
        creations = sum(1 for op in block.ops if op.kind == "create")
        freed = sum(1 for op in block.ops if op.kind in ("acknowledge", "cancel"))
        if creations and self.unacknowledged() - freed + creations >= self.job_limit:  # `>=` where `>` is meant
            raise PhotoKitError(PhotoKitErrorCode.LIMIT_EXCEEDED, "jobLimit reached")
        super()._validate(block)


@register("limit_off_by_one", S, ("CRE-07", "LIM-01"), "the limit check uses >= : the last slot under jobLimit is never usable")
class LimitOffByOne(_QueueSystem):
    QUEUE = _OffByOneQueue


class _PartialQueue(JobQueue):
    def commit(self, block: ChangeBlock):  # type: ignore[no-untyped-def]
        freed = sum(1 for op in block.ops if op.kind in ("acknowledge", "cancel"))
        room = self.job_limit - self.unacknowledged() + freed
        kept, creations = [], 0
        for op in block.ops:
            if op.kind == "create":
                creations += 1
                if creations > room:
                    continue  # applies the creations that fit and drops the rest silently
            kept.append(op)
        block.ops[:] = kept
        return super().commit(block)


@register("block_not_all_or_nothing", S, ("CRE-07", "ERR-01", "LIM-02"), "a block past the limit applies the jobs that fit instead of failing whole")
class BlockNotAllOrNothing(_QueueSystem):
    QUEUE = _PartialQueue


class _WrongErrorQueue(JobQueue):
    def _validate(self, block: ChangeBlock) -> None:
        try:
            super()._validate(block)
        except PhotoKitError as err:
            if err.code is PhotoKitErrorCode.LIMIT_EXCEEDED:
                raise PhotoKitError(PhotoKitErrorCode.CHANGE_NOT_SUPPORTED, str(err)) from None
            raise


@register("limit_wrong_error", S, ("ERR-01", "LIM-02"), "going past the limit fails with changeNotSupported instead of limitExceeded")
class LimitWrongError(_QueueSystem):
    QUEUE = _WrongErrorQueue


class _TerminalNotCountedQueue(JobQueue):
    def unacknowledged(self) -> int:
        return sum(1 for j in self.jobs.values() if j.counted and j.state in IN_FLIGHT)


@register("finished_jobs_not_counted", S, ("LIM-01", "ACK-04"), "succeeded and failed jobs hold no slot: new jobs fit without acknowledging")
class FinishedJobsNotCounted(_QueueSystem):
    QUEUE = _TerminalNotCountedQueue


class _SucceededNotCountedQueue(JobQueue):
    profile_new = False

    def unacknowledged(self) -> int:
        skip = JobState.SUCCEEDED if self.profile_new else None
        return sum(1 for j in self.jobs.values() if j.counted and j.state is not skip)


@register("new_header_wording_limit", S, ("VER-06",), "from 26.5 the limit counts only jobs not yet succeeded (header wording read as a change)")
class NewHeaderWordingLimit(_QueueSystem):
    QUEUE = _SucceededNotCountedQueue

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.queue.profile_new = self.profile.version >= (26, 5)  # type: ignore[attr-defined]


class _AckKeepsSlotQueue(JobQueue):
    def unacknowledged(self) -> int:
        return super().unacknowledged() + self.ghosts

    ghosts = 0

    def _forget_acknowledged(self) -> None:
        self.ghosts += sum(1 for j in self.jobs.values() if j.acknowledged and j.state in TERMINAL)
        super()._forget_acknowledged()


@register("acknowledge_keeps_slot", S, ("ACK-03", "LIM-03"), "acknowledging forgets the job but never gives its slot back")
class AcknowledgeKeepsSlot(_QueueSystem):
    QUEUE = _AckKeepsSlotQueue


class _CancelCountedQueue(JobQueue):
    def unacknowledged(self) -> int:
        return super().unacknowledged() + self.cancelled

    cancelled = 0

    def _forget_acknowledged(self) -> None:
        self.cancelled += sum(1 for j in self.jobs.values() if j.state is JobState.CANCELLED)
        super()._forget_acknowledged()


@register("cancelled_still_counted", S, ("CAN-02", "LIM-04"), "a cancelled job keeps holding its slot under the jobLimit")
class CancelledStillCounted(_QueueSystem):
    QUEUE = _CancelCountedQueue


class _RetryFreeQueue(JobQueue):
    def unacknowledged(self) -> int:
        return sum(1 for j in self.jobs.values() if j.counted and not (j.retried and j.state in IN_FLIGHT))


@register("retried_job_takes_no_slot", S, ("RET-03",), "a retried job in flight is not counted under the jobLimit")
class RetriedJobTakesNoSlot(_QueueSystem):
    QUEUE = _RetryFreeQueue


class _RetryGhostQueue(JobQueue):
    ghosts = 0

    def unacknowledged(self) -> int:
        return super().unacknowledged() + self.ghosts

    def _forget_acknowledged(self) -> None:
        self.ghosts += sum(1 for j in self.jobs.values() if j.acknowledged and j.retried and j.state is JobState.SUCCEEDED)
        super()._forget_acknowledged()


@register("retried_success_keeps_slot", S, ("RET-04",), "a retried job that succeeds keeps its slot even after it is acknowledged")
class RetriedSuccessKeepsSlot(_QueueSystem):
    QUEUE = _RetryGhostQueue


# ------------------------------------------------------------------------------------- transitions
class _AckAnyQueue(JobQueue):
    def _validate(self, block: ChangeBlock) -> None:
        for op in list(block.ops):
            job = self.live(op.local_identifier)
            if op.kind == "acknowledge" and job is not None and job.state in IN_FLIGHT:
                job.acknowledged = True  # the state check is skipped for in-flight jobs
                block.ops.remove(op)
        super()._validate(block)


@register("acknowledge_in_flight", S, ("ACK-01", "CRE-08"), "a registered or pending job can be acknowledged")
class AcknowledgeInFlight(_QueueSystem):
    QUEUE = _AckAnyQueue


class _CancelAnyQueue(JobQueue):
    def _validate(self, block: ChangeBlock) -> None:
        for op in list(block.ops):
            job = self.live(op.local_identifier)
            if op.kind == "cancel" and job is not None and job.state in TERMINAL:
                job.state, job.acknowledged = JobState.CANCELLED, True
                block.ops.remove(op)
        super()._validate(block)


@register("cancel_finished_job", S, ("CAN-01",), "a succeeded or failed job can still be cancelled")
class CancelFinishedJob(_QueueSystem):
    QUEUE = _CancelAnyQueue


class _RetryTwiceQueue(JobQueue):
    def _validate(self, block: ChangeBlock) -> None:
        for op in block.ops:
            job = self.live(op.local_identifier)
            if op.kind == "retry" and job is not None:
                job.retried = False  # the retried flag is reset on every failure
        super()._validate(block)


@register("retry_twice", S, ("RET-01",), "a job that was already retried can be retried again")
class RetryTwice(_QueueSystem):
    QUEUE = _RetryTwiceQueue


class _RetryDropsHeadersQueue(JobQueue):
    def commit(self, block: ChangeBlock):  # type: ignore[no-untyped-def]
        for op in block.ops:
            if op.kind == "retry" and op.destination is None and (job := self.live(op.local_identifier)):
                op.destination = Request(url=job.destination.url, method=job.destination.method)  # headers lost
        return super().commit(block)


@register("retry_drops_headers", S, ("RET-02",), "a retry without a destination reuses the URL but loses the original headers")
class RetryDropsHeaders(_QueueSystem):
    QUEUE = _RetryDropsHeadersQueue


class _RetryIgnoresDestinationQueue(JobQueue):
    def commit(self, block: ChangeBlock):  # type: ignore[no-untyped-def]
        for op in block.ops:
            if op.kind == "retry":
                op.destination = None  # the new destination is ignored
        return super().commit(block)


@register("retry_ignores_new_destination", S, ("RET-02",), "a retry with a new destination keeps sending to the old one")
class RetryIgnoresNewDestination(_QueueSystem):
    QUEUE = _RetryIgnoresDestinationQueue


class _RetryKeepsErrorQueue(JobQueue):
    def commit(self, block: ChangeBlock):  # type: ignore[no-untyped-def]
        errors = {op.local_identifier: j.error for op in block.ops
                  if op.kind == "retry" and (j := self.live(op.local_identifier))}
        created = super().commit(block)
        for jid, err in errors.items():
            if (job := self.live(jid)) is not None:
                job.error = err  # the old error survives the retry
        return created


@register("retry_keeps_error", S, ("STA-08",), "a retried job still shows the error of its failed attempt while in flight")
class RetryKeepsError(_QueueSystem):
    QUEUE = _RetryKeepsErrorQueue


class _RetryNewIdQueue(JobQueue):
    def commit(self, block: ChangeBlock):  # type: ignore[no-untyped-def]
        created = super().commit(block)
        for op in block.ops:
            if op.kind == "retry" and (job := self.jobs.pop(op.local_identifier, None)) is not None:
                job.local_identifier = self.new_identifier()  # the retried job comes back under a new identifier
                self.jobs[job.local_identifier] = job
        return created


@register("retry_new_identifier", S, ("RET-01",), "a retry makes a new job under a new local identifier instead of re-queuing the failed one")
class RetryNewIdentifier(_QueueSystem):
    QUEUE = _RetryNewIdQueue


# ------------------------------------------------------------------------------------- fetch sets
class _FetchQueue(JobQueue):
    PICK: dict[Action, object] = {}

    def fetch(self, action: Action):  # type: ignore[no-untyped-def]
        pick = self.PICK.get(Action(action))
        if pick is None:
            return super().fetch(action)
        return [j for j in self.jobs.values() if not j.acknowledged and pick(j)]  # type: ignore[operator]


class _RetrySetQueue(_FetchQueue):
    PICK = {Action.RETRY: lambda j: j.state is JobState.FAILED}


@register("retry_set_includes_retried", S, ("STA-05",), "fetch(.retry) also returns failed jobs that were already retried")
class RetrySetIncludesRetried(_QueueSystem):
    QUEUE = _RetrySetQueue


class _AckSetQueue(_FetchQueue):
    PICK = {Action.ACKNOWLEDGE: lambda j: j.state is JobState.SUCCEEDED}


@register("acknowledge_set_misses_failed", S, ("STA-04", "STA-03"), "fetch(.acknowledge) returns only succeeded jobs, not failed ones")
class AcknowledgeSetMissesFailed(_QueueSystem):
    QUEUE = _AckSetQueue


class _AckSetInFlightQueue(_FetchQueue):
    PICK = {Action.ACKNOWLEDGE: lambda j: True}


@register("acknowledge_set_includes_in_flight", S, ("STA-03", "STA-04"), "fetch(.acknowledge) returns every job, in flight or not")
class AcknowledgeSetIncludesInFlight(_QueueSystem):
    QUEUE = _AckSetInFlightQueue


class _ProcessSetQueue(_FetchQueue):
    PICK = {Action.PROCESS: lambda j: j.state is JobState.REGISTERED}


@register("process_set_misses_pending", S, ("STA-06",), "fetch(.process) returns registered jobs only, not pending ones")
class ProcessSetMissesPending(_QueueSystem):
    QUEUE = _ProcessSetQueue


# ------------------------------------------------------------------------------------- job fields
class _CaseServer(SimulatedServer):
    def attempt(self, destination, resource) -> AttemptResult:  # type: ignore[no-untyped-def]
        result = super().attempt(destination, resource)
        if result.headers:
            result = AttemptResult(result.succeeded, {k.title(): v for k, v in result.headers.items()}, result.error)
        return result


@register("headers_not_lowercased", S, ("STA-07",), "response header names keep the server's capitalisation")
class HeadersNotLowercased(_ServerSystem):
    SERVER = _CaseServer


class _DomainServer(SimulatedServer):
    def attempt(self, destination, resource) -> AttemptResult:  # type: ignore[no-untyped-def]
        result = super().attempt(destination, resource)
        if result.error is not None:
            result = AttemptResult(False, result.headers, URLError(result.error.code, domain="HTTPStatusDomain"))
        return result


@register("error_wrong_domain", S, ("ERR-03", "STA-08"), "a failed job's error is in a private domain, not NSURLErrorDomain")
class ErrorWrongDomain(_ServerSystem):
    SERVER = _DomainServer


class _ICloudServer(SimulatedServer):
    def attempt(self, destination, resource) -> AttemptResult:  # type: ignore[no-untyped-def]
        if resource.icloud_only:
            self.attempts.append((resource.resource_id, destination))
            return AttemptResult(False, None, URLError(URLErrorCode.RESOURCE_UNAVAILABLE))
        return super().attempt(destination, resource)


@register("no_icloud_fetch", S, ("CRE-14",), "an upload job of a resource that is only in iCloud fails instead of fetching it first")
class NoICloudFetch(_ServerSystem):
    SERVER = _ICloudServer


@register("transfer_drops_destination_headers", S, ("PRO-17",), "the transfer goes to the destination URL without the request's headers")
class TransferDropsDestinationHeaders(ReferenceSystem):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        server = self.server

        class _Strip:
            def attempt(self, destination, resource):  # type: ignore[no-untyped-def]
                return server.attempt(Request(url=destination.url, method=destination.method), resource)

            def download(self, resource):  # type: ignore[no-untyped-def]
                return server.download(resource)

        self.transport = _Strip()


@register("download_only_uploads", S, ("CRE-15",), "a download-only job is sent to the server like an upload")
class DownloadOnlyUploads(ReferenceSystem):
    def _step_job(self, local_identifier: str, expected: JobState) -> None:
        job = self.queue.live(local_identifier)
        if job is not None and job.type is JobType.DOWNLOAD_ONLY and job.state is JobState.PENDING and expected is JobState.PENDING:
            result = self.transport.attempt(job.destination, job.resource)
            apply(job, Event.SUCCEED, headers=result.headers) if result.succeeded else apply(job, Event.FAIL, error=result.error)
            return
        super()._step_job(local_identifier, expected)


@register("job_type_always_upload", S, ("STA-10",), "a download-only job reports the upload type")
class JobTypeAlwaysUpload(ReferenceSystem):
    def _snapshot(self, job):  # type: ignore[no-untyped-def]
        snap = super()._snapshot(job)
        snap._type = JobType.UPLOAD
        return snap


@register("resource_after_delete", S, ("STA-11",), "assetResource(forUploadJob:) still answers after the asset was deleted")
class ResourceAfterDelete(ReferenceSystem):
    def asset_resource_for_upload_job(self, local_identifier: str):  # type: ignore[no-untyped-def]
        self._enter("PHAssetResource.assetResource(forUploadJob:)")
        job = self.queue.live(local_identifier)
        return None if job is None else job.resource


class _KeepAckedQueue(JobQueue):
    def _forget_acknowledged(self) -> None:
        pass  # acknowledged jobs stay readable

    def live(self, local_identifier: str):  # type: ignore[no-untyped-def]
        job = self.jobs.get(local_identifier)
        return job if job is not None and job.state is not JobState.CANCELLED else None


@register("acknowledged_still_readable", S, ("STA-12",), "an acknowledged job can still be looked up through PhotoKit")
class AcknowledgedStillReadable(_QueueSystem):
    QUEUE = _KeepAckedQueue


@register("change_request_never_nil", S, ("STA-13",), "asking for a gone job's change request returns a request instead of nil")
class ChangeRequestNeverNil(ReferenceSystem):
    def change_request_for(self, local_identifier: str):  # type: ignore[no-untyped-def]
        block = self._open_block("init(for:)")
        return RefChangeRequest(self, block, local_identifier, created=False)


@register("placeholder_nil", S, ("CRE-06",), "a creation request's placeholder is nil")
class PlaceholderNil(ReferenceSystem):
    def creation_request_for_job(self, destination, resource):  # type: ignore[no-untyped-def]
        request = super().creation_request_for_job(destination, resource)
        request._created = False
        return request


class _ReuseIdQueue(JobQueue):
    def new_identifier(self) -> str:
        return f"job-{len(self.jobs) + 1:06d}"  # identifiers reused once jobs are forgotten


@register("identifier_reused", S, ("STA-14",), "local identifiers are reused after jobs are acknowledged")
class IdentifierReused(_QueueSystem):
    QUEUE = _ReuseIdQueue


@register("start_skips_pending", S, ("STA-01",), "a started job stays registered until it finishes: pending is never shown")
class StartSkipsPending(ReferenceSystem):
    def start_uploads(self, local_identifier: str | None = None) -> None:
        for job in list(self.queue.jobs.values()):
            if job.state is JobState.REGISTERED and local_identifier in (None, job.local_identifier):
                self._push(self._now + self.timings.upload_seconds, job.local_identifier)


# ------------------------------------------------------------------------------------- change blocks
@register("nested_block_allowed", S, ("ERR-05",), "opening a change block inside another one is silently accepted")
class NestedBlockAllowed(ReferenceSystem):
    def begin_changes(self) -> None:
        if self._block is None:
            self._block = ChangeBlock()


@register("change_request_outside_block", S, ("CRE-01", "CRE-02"), "change requests made outside a change block are accepted and dropped")
class ChangeRequestOutsideBlock(ReferenceSystem):
    def _open_block(self, api: str) -> ChangeBlock:
        self._enter(_CR + api)
        return self._block if self._block is not None else ChangeBlock()


@register("retry_applied_before_commit", S, ("RET-08",), "a retry takes effect the moment it is requested, even if the block is abandoned")
class RetryAppliedBeforeCommit(ReferenceSystem):
    def change_request_for(self, local_identifier: str):  # type: ignore[no-untyped-def]
        request = super().change_request_for(local_identifier)
        if request is None:
            return None
        system = self

        class _Eager(type(request)):  # type: ignore[misc]
            def retry(self, destination):  # type: ignore[no-untyped-def]
                job = system.queue.live(local_identifier)
                if job is not None and job.retryable:
                    apply(job, Event.RETRY, destination=destination)
                    system._schedule_start(local_identifier)

        request.__class__ = _Eager
        return request


@register("create_without_enable", S, ("ACT-03",), "jobs can be created before the feature is enabled")
class CreateWithoutEnable(ReferenceSystem):
    def commit_changes(self) -> None:
        if self.config is None and self._block is not None and any(op.kind == "create" for op in self._block.ops):
            self.config = _Ghost()
            try:
                super().commit_changes()
            finally:
                if isinstance(self.config, _Ghost):
                    self.config = None
            return
        super().commit_changes()


class _Ghost:
    options = UploadJobOptions()


@register("token_never_expires", S, ("ERR-04",), "a change token older than the history gives an empty change set, not persistentChangeTokenExpired")
class TokenNeverExpires(ReferenceSystem):
    def expire_change_history(self) -> None:
        pass


# ------------------------------------------------------------------------------------- enabling, consent
@register("enable_with_limited_access", S, ("CON-01", "CON-04"), "enabling succeeds with limited photo library access")
class EnableWithLimitedAccess(ReferenceSystem):
    def _refuse_write(self) -> None:
        if self.authorization is not AuthorizationStatus.LIMITED:
            super()._refuse_write()


@register("limited_sees_everything", S, ("CON-04",), "under limited access the library shows every photo, not only the picked ones")
class LimitedSeesEverything(ReferenceSystem):
    def fetch_assets(self):  # type: ignore[no-untyped-def]
        if self.authorization is AuthorizationStatus.LIMITED:
            return self.photos.visible(False)
        return super().fetch_assets()


@register("library_open_before_consent", S, ("CON-05", "CON-03"), "the library's photos are readable before the user answered, and restricted can be granted")
class LibraryOpenBeforeConsent(ReferenceSystem):
    def fetch_assets(self):  # type: ignore[no-untyped-def]
        return self.photos.visible(False)

    def request_authorization(self) -> AuthorizationStatus:
        if self.authorization is AuthorizationStatus.RESTRICTED:
            self.authorization = self.user_answer
        return super().request_authorization()


@register("enabled_flag_ignores_access", S, ("ACT-12",), "uploadJobExtensionEnabled stays true after access was downgraded")
class EnabledFlagIgnoresAccess(ReferenceSystem):
    def _active(self) -> bool:
        return self.config is not None and self.install.extension_registered


@register("options_without_enable", S, ("ACT-19",), "uploadJobExtensionOptions answers default options when the feature is not enabled")
class OptionsWithoutEnable(ReferenceSystem):
    def upload_job_extension_options(self):  # type: ignore[no-untyped-def]
        options = super().upload_job_extension_options()
        if options is None and self.authorization is AuthorizationStatus.AUTHORIZED:
            return UploadJobOptions()
        return options


@register("options_without_authorization", S, ("CON-06",), "a caller without authorisation can read and set the options")
class OptionsWithoutAuthorization(ReferenceSystem):
    def upload_job_extension_options(self):  # type: ignore[no-untyped-def]
        self._enter(_API + "uploadJobExtensionOptions")
        return None if self.config is None else self.config.options

    def set_upload_job_extension_options(self, options: UploadJobOptions) -> None:
        saved = self.authorization
        self.authorization = AuthorizationStatus.AUTHORIZED
        try:
            super().set_upload_job_extension_options(options)
        finally:
            self.authorization = saved


@register("set_options_creates_configuration", S, ("ACT-20",), "setting options without a configuration silently creates one")
class SetOptionsCreatesConfiguration(ReferenceSystem):
    def set_upload_job_extension_options(self, options: UploadJobOptions) -> None:
        self._enter(_API + "setUploadJobExtensionOptions")
        if self.authorization is not AuthorizationStatus.AUTHORIZED:
            self._refuse_write()
        from ..system import Configuration

        if self.config is None:
            self.config = Configuration(options)
        self.config.options = options


@register("enable_ignores_options", S, ("ACT-17",), "enableUploadJobExtension(with:) creates the configuration with default options")
class EnableIgnoresOptions(ReferenceSystem):
    def enable_upload_job_extension(self, options: UploadJobOptions | None) -> None:
        super().enable_upload_job_extension(None)


@register("set_options_merges", S, ("ACT-21",), "setting options merges them into the old ones: a fresh default never clears a set flag")
class SetOptionsMerges(ReferenceSystem):
    def set_upload_job_extension_options(self, options: UploadJobOptions) -> None:
        old = self.config.options if self.config is not None else UploadJobOptions()
        merged = UploadJobOptions(old.prevents_expensive_network_access or options.prevents_expensive_network_access)
        super().set_upload_job_extension_options(merged)


@register("prevents_expensive_default_true", S, ("ACT-22",), "preventsExpensiveNetworkAccess defaults to true")
class PreventsExpensiveDefaultTrue(ReferenceSystem):
    def _enable(self, options: UploadJobOptions | None) -> None:
        fresh = self.config is None
        super()._enable(options)
        if fresh and self.config is not None and options in (None, UploadJobOptions()):
            self.config.options = UploadJobOptions(prevents_expensive_network_access=True)


@register("expensive_network_ignored", S, ("ACT-23", "NET-10"), "preventsExpensiveNetworkAccess is ignored: uploads run on cellular")
class ExpensiveNetworkIgnored(ReferenceSystem):
    def _work_allowed(self) -> bool:
        return self.network is not self.network.NONE and self.power_ok


@register("reenable_keeps_old_options", S, ("ACT-24",), "enabling an enabled app again keeps the old options instead of replacing them")
class ReenableKeepsOldOptions(ReferenceSystem):
    def _enable(self, options: UploadJobOptions | None) -> None:
        super()._enable(None if self.config is not None else options)


@register("enable_without_extension", S, ("ACT-04",), "enabling succeeds without a registered upload extension")
class EnableWithoutExtension(ReferenceSystem):
    def _enable(self, options: UploadJobOptions | None) -> None:
        registered = self.install.extension_registered
        self.install.extension_registered = True
        try:
            super()._enable(options)
        finally:
            self.install.extension_registered = registered


@register("enable_without_url_base", S, ("ACT-06",), "enabling succeeds without BackgroundUploadURLBase")
class EnableWithoutURLBase(ReferenceSystem):
    def _enable(self, options: UploadJobOptions | None) -> None:
        base = self.install.url_base
        self.install.url_base = base or "https://anything.example/"
        try:
            super()._enable(options)
        finally:
            self.install.url_base = base


@register("available_in_simulator", S, ("ACT-09",), "the feature works in the iOS Simulator")
class AvailableInSimulator(ReferenceSystem):
    def set_simulator(self, on: bool) -> None:
        self.simulator = False


@register("failed_enable_silent", S, ("ACT-11", "ERR-02"), "a refused setUploadJobExtensionEnabled returns quietly instead of throwing")
class FailedEnableSilent(ReferenceSystem):
    def set_upload_job_extension_enabled(self, enabled: bool) -> None:
        try:
            super().set_upload_job_extension_enabled(enabled)
        except PhotoKitError:
            pass


@register("failed_enable27_silent", S, ("ACT-18",), "a refused enable/disableUploadJobExtension returns quietly instead of throwing",
          profiles=("ios-27.0",))
class FailedEnable27Silent(ReferenceSystem):
    def enable_upload_job_extension(self, options: UploadJobOptions | None) -> None:
        try:
            super().enable_upload_job_extension(options)
        except PhotoKitError:
            pass

    def disable_upload_job_extension(self) -> None:
        try:
            super().disable_upload_job_extension()
        except PhotoKitError:
            pass


# ------------------------------------------------------------------------------------- scheduling
@register("calls_before_enable", S, ("ACT-01",), "the extension is called as soon as the app is installed, before enabling")
class CallsBeforeEnable(ReferenceSystem):
    def attach_app(self, app) -> None:  # type: ignore[no-untyped-def]
        super().attach_app(app)
        self.policy._at(self._now + self.timings.enable_delay)

    def _calls_allowed(self) -> bool:
        return self._app is not None and self._work_allowed()


@register("calls_continue_after_disable", S, ("ACT-10",), "disabling leaves the scheduled processing calls in place")
class CallsContinueAfterDisable(ReferenceSystem):
    def _disable(self) -> None:
        planned = self.policy.next_call_at
        super()._disable()
        self.policy.next_call_at = planned

    def _calls_allowed(self) -> bool:
        return self._app is not None and self._work_allowed()


@register("uploads_continue_after_disable", S, ("ACT-15",), "disabling keeps the queued uploads running")
class UploadsContinueAfterDisable(ReferenceSystem):
    def _disable(self) -> None:
        jobs, due = dict(self.queue.jobs), list(self._due)
        super()._disable()
        self.queue.jobs.update(jobs)
        self._due[:] = due

    def _next_event(self) -> tuple[float, str] | None:
        if self.config is None and self._due and self._work_allowed():
            return (self._due[0][0], "job")  # the queue goes on uploading without a configuration
        return super()._next_event()


@register("uploads_only_during_calls", S, ("PRO-01",), "uploads progress only while the extension is running")
class UploadsOnlyDuringCalls(ReferenceSystem):
    def _work_allowed(self) -> bool:
        return super()._work_allowed() and self._extension is not None and self._in_call


@register("calls_without_network", S, ("PRO-02",), "the extension is called without network or power")
class CallsWithoutNetwork(ReferenceSystem):
    def _calls_allowed(self) -> bool:
        saved = self.network, self.power_ok
        self.network, self.power_ok = self.network.WIFI, True
        try:
            return super()._calls_allowed()
        finally:
            self.network, self.power_ok = saved


@register("no_call_after_library_change", S, ("PRO-04",), "after .completed a library change brings no new processing call")
class NoCallAfterLibraryChange(ReferenceSystem):
    def add_assets(self, assets) -> None:  # type: ignore[no-untyped-def]
        for asset in assets:
            self.photos.add(asset)


class _NoRecallPolicy(CallPolicy):
    def on_call_ended(self, now, result, created_jobs, in_flight) -> None:  # type: ignore[no-untyped-def]
        super().on_call_ended(now, result, created_jobs, in_flight)
        if result is ProcessingResult.PROCESSING:
            self.next_call_at, self.waiting_for_jobs = None, False


@register("processing_not_called_again", S, ("PRO-05",), ".processing does not bring another processing call")
class ProcessingNotCalledAgain(_PolicySystem):
    POLICY = _NoRecallPolicy


class _NoBackoffPolicy(CallPolicy):
    def on_call_ended(self, now, result, created_jobs, in_flight) -> None:  # type: ignore[no-untyped-def]
        super().on_call_ended(now, result, created_jobs, in_flight)
        if result not in (ProcessingResult.COMPLETED, ProcessingResult.PROCESSING):
            self.failures = 0
            self.next_call_at = now + self.t.after_jobs_delay  # retries at once, no backoff


@register("no_backoff", S, ("PRO-14",), "after a failed or killed call the extension is called again at once")
class NoBackoff(_PolicySystem):
    POLICY = _NoBackoffPolicy


class _NoLimitPolicy(CallPolicy):
    @property
    def runtime_limit(self) -> float | None:
        return None


@register("no_runtime_limit", S, ("LIM-06", "PRO-14"), "processing calls run without a runtime limit")
class NoRuntimeLimit(_PolicySystem):
    POLICY = _NoLimitPolicy


class _DevLimitPolicy(CallPolicy):
    @property
    def runtime_limit(self) -> float | None:
        return self.t.runtime_limit


@register("developer_mode_keeps_limit", S, ("PRO-19",), "Developer Mode keeps the runtime limit", profiles=("ios-27.0",))
class DeveloperModeKeepsLimit(_PolicySystem):
    POLICY = _DevLimitPolicy


@register("developer_mode_changes_uploads", S, ("PRO-21",), "in Developer Mode uploads ignore network conditions")
class DeveloperModeChangesUploads(ReferenceSystem):
    def _work_allowed(self) -> bool:
        return self.policy.developer_mode or super()._work_allowed()


class _NoCallAfterKillPolicy(CallPolicy):
    def on_call_ended(self, now, result, created_jobs, in_flight) -> None:  # type: ignore[no-untyped-def]
        super().on_call_ended(now, result, created_jobs, in_flight)
        if result is None:
            self.next_call_at = None  # a killed extension is never called again


@register("no_call_after_kill", S, ("TER-05", "TER-06"), "after the extension was ended the system never calls it again")
class NoCallAfterKill(_PolicySystem):
    POLICY = _NoCallAfterKillPolicy

    def run_processing_call(self):  # type: ignore[no-untyped-def]
        call = super().run_processing_call()
        if call.terminated:
            self.policy.next_call_at = None
        return call


@register("no_notify_termination", S, ("TER-01",), "on 26.x the extension is ended without notifyTermination", profiles=("ios-26.4",))
class NoNotifyTermination(ReferenceSystem):
    def _deliver_notice(self) -> None:
        if self.profile.async_extension:
            super()._deliver_notice()
        else:
            self._terminated_in_call, self._notice_at = True, self._now


@register("no_will_terminate", S, ("TER-02",), "on 27 the extension is ended without willTerminate")
class NoWillTerminate(ReferenceSystem):
    def _deliver_notice(self) -> None:
        if not self.profile.async_extension:
            super()._deliver_notice()
        else:
            self._terminated_in_call, self._notice_at = True, self._now


@register("termination_kills_uploads", S, ("TER-04",), "ending the extension also tears down its uploads in flight")
class TerminationKillsUploads(ReferenceSystem):
    def _deliver_notice(self) -> None:
        super()._deliver_notice()
        for job in list(self.queue.jobs.values()):
            if job.state is JobState.PENDING and not job.acknowledged:
                apply(job, Event.FAIL, error=URLError(URLErrorCode.NETWORK_CONNECTION_LOST))


# ------------------------------------------------------------------------------------- API versions
@register("cancel_before_26_4", S, ("VER-02",), "cancel() works on 26.1")
class CancelBefore264(ReferenceSystem):
    def _enter(self, api: str) -> None:
        if api == _CR + "cancel":
            self._tick()
            return
        super()._enter(api)


@register("process_action_before_26_5", S, ("VER-03",), "Action.process works on 26.4", profiles=("ios-26.4",))
class ProcessActionBefore265(ReferenceSystem):
    def fetch_jobs(self, action: Action):  # type: ignore[no-untyped-def]
        if Action(action) is Action.PROCESS:
            self._enter(_JOB + "fetchJobs")
            return [self._snapshot(j) for j in self.queue.fetch(Action.PROCESS)]
        return super().fetch_jobs(action)


@register("enable_api_before_27", S, ("VER-04",), "enableUploadJobExtension and the options work before 27")
class EnableApiBefore27(ReferenceSystem):
    def _enter(self, api: str) -> None:
        if api in (_API + "enableUploadJobExtension", _API + "disableUploadJobExtension", _API + "uploadJobExtensionOptions",
                   _API + "setUploadJobExtensionOptions"):
            self._tick()
            return
        super()._enter(api)


@register("set_enabled_removed_in_27", S, ("VER-01",), "the 26.1 setUploadJobExtensionEnabled is gone on 27")
class SetEnabledRemovedIn27(ReferenceSystem):
    def set_upload_job_extension_enabled(self, enabled: bool) -> None:
        if self.profile.version >= (27, 0):
            from bru_conformance.protocol import APIUnavailableError

            raise APIUnavailableError(_API + "setUploadJobExtensionEnabled", self.profile.name)
        super().set_upload_job_extension_enabled(enabled)


@register("create_job_removed_in_26_4", S, ("CRE-13",), "the deprecated createJob is refused from 26.4 on")
class CreateJobRemovedIn264(ReferenceSystem):
    def create_job(self, destination, resource) -> None:  # type: ignore[no-untyped-def]
        if self.profile.has("creationRequestForJob"):
            from bru_conformance.protocol import APIUnavailableError

            raise APIUnavailableError(_CR + "createJob", self.profile.name)
        super().create_job(destination, resource)


@register("job_limit_unset", S, ("LIM-05",), "jobLimit reads 0 (an unset value) instead of the limit in force")
class JobLimitUnset(ReferenceSystem):
    def job_limit(self) -> int:
        super().job_limit()
        return 0


@register("observer_without_full_access", S, ("CON-07",), "a persistent-changes observer registers under limited or denied access",
          profiles=("ios-27.0",))
class ObserverWithoutFullAccess(ReferenceSystem):
    def register_persistent_changes_observer(self) -> None:
        self._enter(_API + "registerPersistentChangesObserver")
        self.observers += 1


@register("failed_job_retried_by_system", S, ("STA-02",), "the system quietly retries a failed transfer on its own after ten minutes")
class FailedJobRetriedBySystem(ReferenceSystem):
    def _step_job(self, local_identifier: str, expected: JobState) -> None:
        super()._step_job(local_identifier, expected)
        job = self.queue.live(local_identifier)
        if job is not None and job.state is JobState.FAILED and expected is JobState.PENDING:
            job.state, job.error = JobState.REGISTERED, None
            self._push(self._now + 600.0, local_identifier)


@register("download_only_auto_acknowledged", S, ("CRE-16",), "a finished download-only job is dropped at once instead of waiting to be acknowledged")
class DownloadOnlyAutoAcknowledged(ReferenceSystem):
    def _step_job(self, local_identifier: str, expected: JobState) -> None:
        super()._step_job(local_identifier, expected)
        job = self.queue.live(local_identifier)
        if job is not None and job.type is JobType.DOWNLOAD_ONLY and job.state is JobState.SUCCEEDED:
            job.acknowledged = True
            self.queue._forget_acknowledged()
