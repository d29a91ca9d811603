"""Positive controls of the SYSTEM role: variants of the reference that differ only where the digest allows.

Each class changes one choice the reference makes on a point Apple leaves open (an AMB-nn item, a value
the digest calls undocumented, or a FIELD observation the reference adopted as its default). The suite
must rate every one of them conformant; a failure here is a check that demands the reference's choice.
"""

from __future__ import annotations

import heapq
from dataclasses import replace

from bru_conformance.assumptions import Assumptions
from bru_conformance.protocol import (
    Action,
    AuthorizationStatus,
    ChangeRequestOutsideBlockError,
    JobState,
    JobType,
    Network,
    PhotoKitError,
    PhotoKitErrorCode,
    PreconditionFailure,
    Request,
    URLError,
    URLErrorCode,
)

from ..jobs import IN_FLIGHT, TERMINAL, Event, Job, apply, can_apply
from ..mutants.system_mutants import _PolicySystem, _QueueSystem, _ServerSystem
from ..queue import ChangeBlock, JobQueue, StagedOp
from ..scheduler import CallPolicy, Timings
from ..system import _CR, RefChangeRequest, ReferenceSystem
from ..transport import AttemptResult, SimulatedServer
from . import register

S = "system"


class _TimedSystem(ReferenceSystem):
    """Base of the controls that only pick other delays: `TIMINGS` overrides fields of the reference `Timings`."""

    TIMINGS: dict[str, object] = {}

    def __init__(self, profile, assumptions=None, timings=None, transport=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(profile, assumptions, timings or replace(Timings(), **self.TIMINGS), transport)  # type: ignore[arg-type]


class _ReadingSystem(ReferenceSystem):
    """Base of the controls that always use another reading of an open point, whatever the run selected."""

    READINGS: dict[str, str] = {}

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.assumptions = Assumptions({**self.assumptions.non_default(), **self.READINGS})


# ------------------------------------------------------------------------------------------ timing (AMB-17/18)
@register("first_call_after_30s", S, "AMB-17: the moment of the first call after enabling is unspecified; the ~1 s is a field default (PRO-02)",
          "the first processing call comes 30 s after enabling (and after conditions return)")
class FirstCallAfter30s(_TimedSystem):
    """Enabling (and regained conditions) bring a call after 30 s instead of 1 s. Apple gives no delay."""

    TIMINGS = {"enable_delay": 30.0}


@register("recall_after_15min", S, "AMB-17: the delay before the next call after .processing is unspecified; 5 min / 1 s are field values (PRO-05)",
          "after .processing with no new jobs the next call comes after 15 min; after the new jobs drain, after 60 s")
class RecallAfter15min(_TimedSystem):
    """Other re-call delays after `.processing`; PRO-05 only promises that another call comes."""

    TIMINGS = {"idle_processing_delay": 900.0, "after_jobs_delay": 60.0}


@register("backoff_240_480_960", S,
          "AMB-17 / PRO-07: after .failure the system may retry later; the 6/11 min backoff is a field value; PRO-14 only "
          "says backoff exists",
          "backoff after a failed or killed call of 240, 480, 960 s")
class Backoff240(_TimedSystem):
    """A shorter, doubling backoff."""

    TIMINGS = {"backoff": (240.0, 480.0, 960.0)}


@register("backoff_900_1800_3600", S, "AMB-17 / PRO-07: retry timing after .failure is unspecified; field values are only defaults",
          "backoff after a failed or killed call of 900, 1800, 3600 s")
class Backoff900(_TimedSystem):
    """A longer, doubling backoff."""

    TIMINGS = {"backoff": (900.0, 1800.0, 3600.0)}


@register("runtime_limit_30s", S, "AMB-18 / LIM-06: a per-call runtime limit exists but its value is undocumented (~60 s is field)",
          "each processing call is killed after 30 s")
class RuntimeLimit30s(_TimedSystem):
    """Half the field runtime limit."""

    TIMINGS = {"runtime_limit": 30.0}


@register("runtime_limit_180s", S, "AMB-18 / LIM-06: runtime limit value undocumented; the 60 s is a field measurement",
          "each processing call is killed after 180 s")
class RuntimeLimit180s(_TimedSystem):
    """Three times the field runtime limit."""

    TIMINGS = {"runtime_limit": 180.0}


@register("library_change_call_after_10min", S,
          "AMB-17 / PRO-04: after .completed the system monitors the library; how soon a change brings a call is "
          "unspecified (~3 s field)",
          "while monitoring, a library change brings a call after 10 min")
class LibraryChangeCallAfter10min(_TimedSystem):
    """A lazy monitor: a change is picked up 10 min later."""

    TIMINGS = {"change_delay": 600.0}


@register("slow_uploads", S, "AMB-01: the 0.1-5 s settle times are a FIELD note; PRO-02 lets the system schedule transfers by its own conditions",
          "an upload starts 30 s after registration and takes 5 min")
class SlowUploads(_TimedSystem):
    """Uploads start later and last longer than the field figures."""

    TIMINGS = {"start_delay": 30.0, "upload_seconds": 300.0}


class _GracefulLimitSystem(ReferenceSystem):
    def _enforce_limits(self) -> None:
        limit = self.policy.runtime_limit
        if limit is not None and self._notice_at is None and self._now - self._call_started > limit:
            self.diagnostics.append(f"runtime limit {limit} s reached: termination notice")
            self._deliver_notice()  # the reference's grace check kills the extension if it keeps going
            return
        super()._enforce_limits()

    def spend(self, seconds: float) -> None:
        """Stop at the limit to give the notice, so that the rest of the work meets the grace-period kill."""
        limit = self.policy.runtime_limit
        if self._in_call and limit is not None and self._notice_at is None:
            first = self._call_started + limit + self.timings.call_cost - self._now
            if 0 < first < seconds:
                super().spend(first)
                seconds -= first
        super().spend(seconds)


@register("runtime_limit_with_notice", S,
          "AMB-18/AMB-19: the kill without callback is FIELD; the host may notify mid-call before a graceful suspension "
          "(TER-01/02/04)",
          "at the runtime limit the extension first gets notifyTermination/willTerminate, and is killed only if it keeps working past the grace")
class RuntimeLimitWithNotice(_GracefulLimitSystem):
    """Enforces the runtime limit as a graceful suspension: notice first, hard kill only after the grace period."""


# ------------------------------------------------------------------------------------------ call policy
class _FinishBringsCallPolicy(CallPolicy):
    def on_job_finished(self, now: float) -> None:
        if self.monitoring:
            self.monitoring = False
            self._at(now + self.t.change_delay)


@register("finished_jobs_bring_call", S,
          "AMB-17: 'a job finishing alone does not trigger a call' is a FIELD observation; PRO-02: calls come when work "
          "is available",
          "a job reaching succeeded/failed brings a processing call even in monitoring mode (after .completed)")
class FinishedJobsBringCall(_PolicySystem):
    """A finished job is work for the extension (acknowledge it), so monitoring mode wakes the extension."""

    POLICY = _FinishBringsCallPolicy

    def _step_job(self, local_identifier: str, expected: JobState) -> None:
        job = self.queue.live(local_identifier)
        was = job.state if job is not None else None
        super()._step_job(local_identifier, expected)
        if job is not None and was in IN_FLIGHT and job.state in TERMINAL:
            self.policy.on_job_finished(self._now)  # type: ignore[attr-defined]


@register("stops_after_downgrade", S, "AMB-13: whether processing continues after a downgrade to limited/denied is open (a flag; 'continues' is FIELD)",
          "after access is downgraded the extension is no longer called until full access returns")
class StopsAfterDowngrade(_ReadingSystem):
    """Always the `stops` reading of AMB-13."""

    READINGS = {"AMB-13": "stops"}


# ------------------------------------------------------------------------------------------ jobs during calls (AMB-20)
class _EagerPolicy(CallPolicy):
    def on_call_ended(self, now, result, created_jobs, in_flight) -> None:  # type: ignore[no-untyped-def]
        super().on_call_ended(now, result, created_jobs, in_flight)
        if created_jobs and not in_flight and self.next_call_at is not None:  # they already finished during the call
            self.next_call_at = now + self.t.after_jobs_delay


@register("jobs_start_during_call", S,
          "AMB-20: when jobs created in a call start is undocumented ('after the call returns' is FIELD); PRO-01: uploads "
          "run in the background",
          "uploads progress while the extension runs: jobs created inside a call start at once")
class JobsStartDuringCall(_PolicySystem):
    """Transfers run on the system's clock even while a processing call is in progress."""

    POLICY = _EagerPolicy

    def _schedule_start(self, local_identifier: str) -> None:
        if self._in_call:
            self._deferred_starts.append(local_identifier)  # still counted as "jobs created in this call"
        self._push(self._now + self.timings.start_delay, local_identifier)

    def _run_due(self) -> None:
        while self._due and self._due[0][0] <= self._now and self._work_allowed():
            _, _, job_id, expected = heapq.heappop(self._due)
            self._step_job(job_id, expected)

    def _tick(self) -> None:
        super()._tick()
        if self._in_call:
            self._run_due()

    def spend(self, seconds: float) -> None:
        super().spend(seconds)
        if self._in_call:
            self._run_due()


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
        self._finish(job)

    def _finish(self, job: Job) -> None:
        """The reference's end of a transfer, from `registered`."""
        if job.type is JobType.UPLOAD and not self._under_base(job.destination):
            apply(job, Event.FAIL, error=URLError(URLErrorCode.BAD_URL))
        elif job.type is JobType.DOWNLOAD_ONLY:
            error = self.server.download(job.resource)
            apply(job, Event.SUCCEED) if error is None else apply(job, Event.FAIL, error=error)
        else:
            result = self.transport.attempt(job.destination, job.resource)
            if result.succeeded:
                apply(job, Event.SUCCEED, headers=result.headers)
            else:
                apply(job, Event.FAIL, error=result.error, headers=result.headers)
        if not any(j.state in IN_FLIGHT for j in self.queue.jobs.values() if not j.acknowledged):
            self.policy.on_jobs_drained(self._now)


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
class InvalidChangeOtherCode(_QueueSystem):
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
class AckMakesNoRoomInSameBlock(_QueueSystem):
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
class URLBaseRejectedAtCreation(_ReadingSystem):
    """Always the `reject-at-creation` reading of AMB-25."""

    READINGS = {"AMB-25": "reject-at-creation"}


class _NewestFirstQueue(JobQueue):
    def fetch(self, action: Action) -> list[Job]:
        return list(reversed(super().fetch(action)))


@register("fetch_newest_first", S, "AMB-15: no order is documented for fetchJobs results",
          "fetchJobs returns jobs newest first")
class FetchNewestFirst(_QueueSystem):
    """Reverse creation order."""

    QUEUE = _NewestFirstQueue


@register("job_limit_7", S, "AMB-11 / LIM-05: the jobLimit value is undocumented and read at run time",
          "jobLimit is 7")
class JobLimit7(ReferenceSystem):
    """A small limit."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.queue.job_limit = 7


@register("job_limit_200", S, "AMB-11 / LIM-05: the jobLimit value is undocumented and read at run time",
          "jobLimit is 200")
class JobLimit200(ReferenceSystem):
    """A large limit."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.queue.job_limit = 200


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
class OtherURLErrorCodes(_ServerSystem):
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


# ------------------------------------------------------------------------------------------ network
@register("cellular_waits_for_wifi", S, "ACT-23 constrains only preventsExpensiveNetworkAccess = true; PRO-02 lets scheduling depend on network conditions",
          "transfers wait for a non-expensive network even when preventsExpensiveNetworkAccess is false (processing calls still come)")
class CellularWaitsForWifi(ReferenceSystem):
    """A conservative scheduler: transfers never use cellular; calls follow the reference's conditions."""

    _for_calls = False

    def _work_allowed(self) -> bool:
        return super()._work_allowed() and (self._for_calls or self.network is not Network.CELLULAR)

    def _as_for_calls(self, method):  # type: ignore[no-untyped-def]
        self._for_calls = True
        try:
            return method()
        finally:
            self._for_calls = False

    def _calls_allowed(self) -> bool:
        return self._as_for_calls(super()._calls_allowed)  # type: ignore[no-any-return]

    def _restore_conditions(self) -> None:
        self._as_for_calls(super()._restore_conditions)


# ------------------------------------------------------------------------------------------ enable / disable
@register("disable_allowed_under_limited_access", S,
          "AMB-12 / ERR-02: refusing enable/disable writes with 3311 under limited access is a FIELD note; only 'failure "
          "throws' is Apple's",
          "disabling succeeds under limited access (enabling still needs full access, CON-01)")
class DisableAllowedUnderLimitedAccess(ReferenceSystem):
    """Turning the feature off never needs more access than the app has."""

    def _disable(self) -> None:
        if self.authorization is not AuthorizationStatus.LIMITED:
            super()._disable()
            return
        self.authorization = AuthorizationStatus.AUTHORIZED
        try:
            super()._disable()
        finally:
            self.authorization = AuthorizationStatus.LIMITED


@register("keeps_jobs_on_disable", S,
          "AMB-05: the effect of disabling on jobs is undocumented (discarding is FIELD); ACT-15 still holds: nothing "
          "uploads while disabled",
          "disabling keeps unacknowledged jobs (still fetchable) but pauses their transfers until the feature is enabled again")
class KeepsJobsOnDisable(ReferenceSystem):
    """Jobs survive a disable; their uploads are frozen while no configuration exists."""

    def _disable(self) -> None:
        jobs, due = dict(self.queue.jobs), list(self._due)
        super()._disable()
        self.queue.jobs.update(jobs)
        self._due[:] = due

    def _work_allowed(self) -> bool:
        return self.config is not None and super()._work_allowed()


@register("disable_twice_errors", S,
          "AMB-26: enabling twice / disabling when disabled is undocumented (idempotent success is the model's "
          "assumption); ACT-11: failures throw",
          "disabling when no configuration exists throws PHPhotosError identifierNotFound")
class DisableTwiceErrors(ReferenceSystem):
    """There is no configuration to delete, and the system says so."""

    def _disable(self) -> None:
        if self.config is None and not self.simulator:
            raise PhotoKitError(PhotoKitErrorCode.IDENTIFIER_NOT_FOUND, "no upload configuration for this app")
        super()._disable()


@register("enable_errors_internal", S, "AMB-12 / ERR-06: which error codes accompany a refused enable/disable/options write is undocumented (3311 is FIELD)",
          "every refused enable/disable/options write throws PHPhotosError internalError (-1)")
class EnableErrorsInternal(ReferenceSystem):
    """A bare -1 for every refusal, like the field's missing-plist-key case."""

    def _refuse_write(self) -> None:
        try:
            super()._refuse_write()
        except PhotoKitError as err:
            raise PhotoKitError(PhotoKitErrorCode.INTERNAL_ERROR, err.message) from None

    def _disable(self) -> None:
        try:
            super()._disable()
        except PhotoKitError as err:
            raise PhotoKitError(PhotoKitErrorCode.INTERNAL_ERROR, err.message) from None
