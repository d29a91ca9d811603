"""Positive controls of the SYSTEM: the job life cycle, change requests and job fields (see `system_timing`'s doc for what every SYSTEM control is)."""

from __future__ import annotations

from bru_conformance.protocol import (
    Action,
    ChangeRequestOutsideBlockError,
    JobState,
    PhotoKitError,
    PhotoKitErrorCode,
    PreconditionFailure,
    Request,
    URLError,
    URLErrorCode,
)

from ..jobs import Event, Job, can_apply
from ..queue import ChangeBlock, JobQueue, StagedOp
from ..system import _CR, RefChangeRequest, ReferenceSystem
from ..transport import AttemptResult, SimulatedServer
from ..variants import QueueSystem, ReadingSystem, ServerSystem
from . import register

S = "system"


# ------------------------------------------------------------------------------------------ job life cycle
@register("pending_skipped", S, "AMB-01: pending is optional, a job may jump from registered to a terminal state",
          "scheduled transfers go registered -> succeeded/failed without ever showing pending")
class PendingSkipped(ReferenceSystem):
    """The system's own transfers never expose `pending` (the environment's explicit start lever still does)."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._sending: set[str] = set()

    def _step_job(self, local_identifier: str, expected: JobState) -> None:
        job = self.queue.live(local_identifier)
        if job is None or job.state is not JobState.REGISTERED or expected is not JobState.REGISTERED:
            super()._step_job(local_identifier, expected)
            return
        if local_identifier not in self._sending:
            self._sending.add(local_identifier)
            self._push(self._now + self.timings.upload_seconds, local_identifier)
            return
        self._sending.discard(local_identifier)
        self._finish(job)  # the reference's end of a transfer, straight from `registered`


@register("uploads_finish_out_of_order", S, "AMB-15: uploads may complete in any order; no execution order is documented",
          "every other job's transfer takes three times as long, so later jobs often finish first")
class UploadsFinishOutOfOrder(ReferenceSystem):
    """Transfer time depends on the job: odd-numbered jobs take 3x the reference upload time."""

    def _push(self, when: float, local_identifier: str, expected: JobState = JobState.REGISTERED) -> None:
        job = self.queue.live(local_identifier)
        if expected is JobState.PENDING and job is not None and job.created_seq % 2:
            when += 2 * self.timings.upload_seconds
        super()._push(when, local_identifier, expected)


# ------------------------------------------------------------------------------------------ change requests (AMB-09)
class _CheckedRequest(RefChangeRequest):
    def _stage(self, kind: str, api: str, destination: Request | None = None) -> None:
        system = self._system
        system._enter(_CR + api)
        if system._block is not self._block:
            raise ChangeRequestOutsideBlockError(f"{api}() on a change request whose change block has ended")
        job = system.queue.live(self._id)
        again = any(op.local_identifier == self._id and op.kind == kind for op in self._block.ops)
        if job is None or again or not can_apply(job, Event(kind)):
            state = "gone" if job is None else job.state.name.lower()
            raise PreconditionFailure(f"{api}() is not allowed for job {self._id} ({state})")
        self._block.ops.append(StagedOp(kind, self._id, destination=destination))


@register("invalid_change_raises", S,
          "AMB-09: the outcome of acknowledging an in-flight job, retrying a non-retryable one or cancelling a finished "
          "one is undocumented (implementation-defined)",
          "an invalid acknowledge/retry/cancel raises a precondition failure at the change-request call; the block applies nothing")
class InvalidChangeRaises(ReferenceSystem):
    """Invalid mutations are refused at once as an exception (like PhotoKit's other precondition checks)."""

    def change_request_for(self, local_identifier: str) -> RefChangeRequest | None:
        request = super().change_request_for(local_identifier)
        if request is not None:
            request.__class__ = _CheckedRequest
        return request

    def creation_request_for_job(self, destination, resource) -> RefChangeRequest:  # type: ignore[no-untyped-def]
        request = super().creation_request_for_job(destination, resource)
        request.__class__ = _CheckedRequest
        return request

    def creation_request_for_download_job(self, resource) -> RefChangeRequest:  # type: ignore[no-untyped-def]
        request = super().creation_request_for_download_job(resource)
        request.__class__ = _CheckedRequest
        return request


class _OtherCodeQueue(JobQueue):
    def _validate(self, block: ChangeBlock) -> None:
        try:
            super()._validate(block)
        except PhotoKitError as err:
            if err.code is PhotoKitErrorCode.CHANGE_NOT_SUPPORTED:
                raise PhotoKitError(PhotoKitErrorCode.INTERNAL_ERROR, err.message) from None
            raise


@register("invalid_change_other_code", S, "AMB-09: invalid mutations are implementation-defined; changeNotSupported is only the model's choice",
          "an invalid acknowledge/retry/cancel fails the commit with PHPhotosError internalError (-1); nothing is applied")
class InvalidChangeOtherCode(QueueSystem):
    """Same all-or-nothing refusal at commit, another PhotoKit code."""

    QUEUE = _OtherCodeQueue


class _NoSameBlockRoomQueue(JobQueue):
    def _validate(self, block: ChangeBlock) -> None:
        super()._validate(block)
        creations = sum(1 for op in block.ops if op.kind == "create")
        if creations and self.unacknowledged() + creations > self.job_limit:
            raise PhotoKitError(PhotoKitErrorCode.LIMIT_EXCEEDED,
                                f"{creations} new job(s) would exceed jobLimit {self.job_limit}: room is counted before the block")


@register("ack_makes_no_room_in_same_block", S,
          "AMB-06/AMB-07, ACK-03/04, CRE-08: acknowledging frees a slot, but nothing says the slot is usable by creations "
          "in the same change block",
          "the limit is checked against the unacknowledged count before the block: acknowledgements/cancels in a block make room only for later blocks")
class AckMakesNoRoomInSameBlock(QueueSystem):
    """Creations must fit under the jobLimit as it stood when the block began."""

    QUEUE = _NoSameBlockRoomQueue


@register("retry_checks_limit", S, "AMB-02 / RET-03: the article says a retry counts toward the in-flight limit and throws limitExceeded at the limit",
          "a retry while the unacknowledged count is at jobLimit fails the block with limitExceeded, whatever the AMB-02 switch")
class RetryChecksLimit(ReferenceSystem):
    """The article's reading of AMB-02, fixed."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.queue.retry_checks_limit = True


@register("url_base_rejected_at_creation", S,
          "AMB-25: 'network access validation' is undefined; rejecting an out-of-base destination at creation is the "
          "digest's named alternative",
          "a job whose destination lies outside BackgroundUploadURLBase fails its change block (changeNotSupported) instead of failing later")
class URLBaseRejectedAtCreation(ReadingSystem):
    """Always the `reject-at-creation` reading of AMB-25."""

    READINGS = {"AMB-25": "reject-at-creation"}


class _NewestFirstQueue(JobQueue):
    def fetch(self, action: Action) -> list[Job]:
        return list(reversed(super().fetch(action)))


@register("fetch_newest_first", S, "AMB-15: no order is documented for fetchJobs results",
          "fetchJobs returns jobs newest first")
class FetchNewestFirst(QueueSystem):
    """Reverse creation order."""

    QUEUE = _NewestFirstQueue


class _FixedJobLimit(ReferenceSystem):
    """Another jobLimit than the reference's: `JOB_LIMIT`."""

    JOB_LIMIT = 50

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.queue.job_limit = self.JOB_LIMIT


@register("job_limit_7", S, "AMB-11 / LIM-05: the jobLimit value is undocumented and read at run time",
          "jobLimit is 7")
class JobLimit7(_FixedJobLimit):
    """A small limit."""

    JOB_LIMIT = 7


@register("job_limit_200", S, "AMB-11 / LIM-05: the jobLimit value is undocumented and read at run time",
          "jobLimit is 200")
class JobLimit200(_FixedJobLimit):
    """A large limit."""

    JOB_LIMIT = 200


@register("failed_block_without_configuration", S,
          "AMB-10: creating without a configuration fails; the exception (crash) form is a FIELD note from the Simulator",
          "creating jobs with no enabled configuration fails the change block with PHPhotosError identifierNotFound")
class FailedBlockWithoutConfiguration(ReferenceSystem):
    """No configuration: the commit fails with a PhotoKit error and applies nothing."""

    def commit_changes(self) -> None:
        block = self._block
        if block is not None and self.config is None and any(op.kind == "create" for op in block.ops):
            self._block = None
            self._tick()
            raise PhotoKitError(PhotoKitErrorCode.IDENTIFIER_NOT_FOUND, "no upload configuration for this app")
        super().commit_changes()


# ------------------------------------------------------------------------------------------ job fields
_REMAP = {
    URLErrorCode.USER_AUTHENTICATION_REQUIRED: URLErrorCode.BAD_SERVER_RESPONSE,
    URLErrorCode.TIMED_OUT: URLErrorCode.NETWORK_CONNECTION_LOST,
    URLErrorCode.NETWORK_CONNECTION_LOST: URLErrorCode.NOT_CONNECTED_TO_INTERNET,
    URLErrorCode.RESOURCE_UNAVAILABLE: URLErrorCode.CANNOT_CONNECT_TO_HOST,
}


class _CoarseErrorServer(SimulatedServer):
    def attempt(self, destination, resource) -> AttemptResult:  # type: ignore[no-untyped-def]
        result = super().attempt(destination, resource)
        if result.error is not None and result.error.code in _REMAP:
            result = AttemptResult(False, result.headers, URLError(_REMAP[result.error.code]))
        return result

    def download(self, resource) -> URLError | None:  # type: ignore[no-untyped-def]
        error = super().download(resource)
        return URLError(_REMAP.get(error.code, error.code)) if error is not None else None


@register("other_url_error_codes", S,
          "STA-08/09, ERR-03, AMB-23, AMB-30: the job's error is sanitised, may differ from the real cause; only a "
          "standard NSURLErrorDomain code is promised",
          "401 -> badServerResponse, timeout -> networkConnectionLost, lost connection -> notConnectedToInternet, iCloud failure -> cannotConnectToHost")
class OtherURLErrorCodes(ServerSystem):
    """Another sanitisation of failures, still NSURLErrorDomain codes."""

    SERVER = _CoarseErrorServer


@register("resource_nil_when_terminal", S, "AMB-22 / STA-11: the resource lookup may be nil for terminal jobs (FIELD: nil for succeeded and retry-spent jobs)",
          "resource and assetResource(forUploadJob:) are nil for succeeded jobs and for failed jobs that were already retried")
class ResourceNilWhenTerminal(ReferenceSystem):
    """The system releases the resource link once a job can no longer be sent again."""

    @staticmethod
    def _released(job: Job | None) -> bool:
        return job is not None and (job.state is JobState.SUCCEEDED or (job.state is JobState.FAILED and job.retried))

    def _snapshot(self, job: Job):  # type: ignore[no-untyped-def]
        snap = super()._snapshot(job)
        if self._released(job):
            snap._resource = None
        return snap

    def asset_resource_for_upload_job(self, local_identifier: str):  # type: ignore[no-untyped-def]
        found = super().asset_resource_for_upload_job(local_identifier)
        return None if self._released(self.queue.live(local_identifier)) else found
