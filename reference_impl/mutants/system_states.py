"""Mutants of the SYSTEM: job state transitions (acknowledge, cancel, retry), the fetch sets and the fields
a job shows (see the package doc)."""

from __future__ import annotations

from bru_conformance.protocol import (
    Action,
    JobState,
    JobType,
    Request,
    URLError,
    URLErrorCode,
)

from ..jobs import IN_FLIGHT, TERMINAL, Event, apply
from ..queue import ChangeBlock, JobQueue
from ..system import RefChangeRequest, ReferenceSystem
from ..transport import AttemptResult, SimulatedServer
from ..variants import QueueSystem, ServerSystem
from . import register

S = "system"


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
class AcknowledgeInFlight(QueueSystem):
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
class CancelFinishedJob(QueueSystem):
    QUEUE = _CancelAnyQueue


class _RetryTwiceQueue(JobQueue):
    def _validate(self, block: ChangeBlock) -> None:
        for op in block.ops:
            job = self.live(op.local_identifier)
            if op.kind == "retry" and job is not None:
                job.retried = False  # the retried flag is reset on every failure
        super()._validate(block)


@register("retry_twice", S, ("RET-01",), "a job that was already retried can be retried again")
class RetryTwice(QueueSystem):
    QUEUE = _RetryTwiceQueue


class _RetryDropsHeadersQueue(JobQueue):
    def commit(self, block: ChangeBlock):  # type: ignore[no-untyped-def]
        for op in block.ops:
            if op.kind == "retry" and op.destination is None and (job := self.live(op.local_identifier)):
                op.destination = Request(url=job.destination.url, method=job.destination.method)  # headers lost
        return super().commit(block)


@register("retry_drops_headers", S, ("RET-02",), "a retry without a destination reuses the URL but loses the original headers")
class RetryDropsHeaders(QueueSystem):
    QUEUE = _RetryDropsHeadersQueue


class _RetryIgnoresDestinationQueue(JobQueue):
    def commit(self, block: ChangeBlock):  # type: ignore[no-untyped-def]
        for op in block.ops:
            if op.kind == "retry":
                op.destination = None  # the new destination is ignored
        return super().commit(block)


@register("retry_ignores_new_destination", S, ("RET-02",), "a retry with a new destination keeps sending to the old one")
class RetryIgnoresNewDestination(QueueSystem):
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
class RetryKeepsError(QueueSystem):
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
class RetryNewIdentifier(QueueSystem):
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
class RetrySetIncludesRetried(QueueSystem):
    QUEUE = _RetrySetQueue


class _AckSetQueue(_FetchQueue):
    PICK = {Action.ACKNOWLEDGE: lambda j: j.state is JobState.SUCCEEDED}


@register("acknowledge_set_misses_failed", S, ("STA-04", "STA-03"), "fetch(.acknowledge) returns only succeeded jobs, not failed ones")
class AcknowledgeSetMissesFailed(QueueSystem):
    QUEUE = _AckSetQueue


class _AckSetInFlightQueue(_FetchQueue):
    PICK = {Action.ACKNOWLEDGE: lambda j: True}


@register("acknowledge_set_includes_in_flight", S, ("STA-03", "STA-04"), "fetch(.acknowledge) returns every job, in flight or not")
class AcknowledgeSetIncludesInFlight(QueueSystem):
    QUEUE = _AckSetInFlightQueue


class _ProcessSetQueue(_FetchQueue):
    PICK = {Action.PROCESS: lambda j: j.state is JobState.REGISTERED}


@register("process_set_misses_pending", S, ("STA-06",), "fetch(.process) returns registered jobs only, not pending ones")
class ProcessSetMissesPending(QueueSystem):
    QUEUE = _ProcessSetQueue


# ------------------------------------------------------------------------------------- job fields
class _CaseServer(SimulatedServer):
    def attempt(self, destination, resource) -> AttemptResult:  # type: ignore[no-untyped-def]
        result = super().attempt(destination, resource)
        if result.headers:
            result = AttemptResult(result.succeeded, {k.title(): v for k, v in result.headers.items()}, result.error)
        return result


@register("headers_not_lowercased", S, ("STA-07",), "response header names keep the server's capitalisation")
class HeadersNotLowercased(ServerSystem):
    SERVER = _CaseServer


class _DomainServer(SimulatedServer):
    def attempt(self, destination, resource) -> AttemptResult:  # type: ignore[no-untyped-def]
        result = super().attempt(destination, resource)
        if result.error is not None:
            result = AttemptResult(False, result.headers, URLError(result.error.code, domain="HTTPStatusDomain"))
        return result


@register("error_wrong_domain", S, ("ERR-03", "STA-08"), "a failed job's error is in a private domain, not NSURLErrorDomain")
class ErrorWrongDomain(ServerSystem):
    SERVER = _DomainServer


class _ICloudServer(SimulatedServer):
    def attempt(self, destination, resource) -> AttemptResult:  # type: ignore[no-untyped-def]
        if resource.icloud_only:
            self.attempts.append((resource.resource_id, destination))
            return AttemptResult(False, None, URLError(URLErrorCode.RESOURCE_UNAVAILABLE))
        return super().attempt(destination, resource)


@register("no_icloud_fetch", S, ("CRE-14",), "an upload job of a resource that is only in iCloud fails instead of fetching it first")
class NoICloudFetch(ServerSystem):
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
class AcknowledgedStillReadable(QueueSystem):
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
class IdentifierReused(QueueSystem):
    QUEUE = _ReuseIdQueue


@register("start_skips_pending", S, ("STA-01",), "a started job stays registered until it finishes: pending is never shown")
class StartSkipsPending(ReferenceSystem):
    def start_uploads(self, local_identifier: str | None = None) -> None:
        for job in list(self.queue.jobs.values()):
            if job.state is JobState.REGISTERED and local_identifier in (None, job.local_identifier):
                self._push(self._now + self.timings.upload_seconds, job.local_identifier)
