"""Mutants of the SYSTEM: creation at and past the jobLimit, and the slots jobs hold (see the package doc)."""

from __future__ import annotations

from bru_conformance.protocol import (
    JobState,
    PhotoKitError,
    PhotoKitErrorCode,
)

from ..jobs import IN_FLIGHT, TERMINAL
from ..queue import ChangeBlock, JobQueue
from ..variants import QueueSystem
from . import register

S = "system"


# ------------------------------------------------------------------------------------- limits
class _OffByOneQueue(JobQueue):
    def _validate(self, block: ChangeBlock) -> None:
        creations = sum(1 for op in block.ops if op.kind == "create")
        freed = sum(1 for op in block.ops if op.kind in ("acknowledge", "cancel"))
        if creations and self.unacknowledged() - freed + creations >= self.job_limit:  # `>=` where `>` is meant
            raise PhotoKitError(PhotoKitErrorCode.LIMIT_EXCEEDED, "jobLimit reached")
        super()._validate(block)


@register("limit_off_by_one", S, ("CRE-07", "LIM-01"), "the limit check uses >= : the last slot under jobLimit is never usable")
class LimitOffByOne(QueueSystem):
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
class BlockNotAllOrNothing(QueueSystem):
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
class LimitWrongError(QueueSystem):
    QUEUE = _WrongErrorQueue


class _TerminalNotCountedQueue(JobQueue):
    def unacknowledged(self) -> int:
        return sum(1 for j in self.jobs.values() if j.counted and j.state in IN_FLIGHT)


@register("finished_jobs_not_counted", S, ("LIM-01", "ACK-04"), "succeeded and failed jobs hold no slot: new jobs fit without acknowledging")
class FinishedJobsNotCounted(QueueSystem):
    QUEUE = _TerminalNotCountedQueue


class _SucceededNotCountedQueue(JobQueue):
    profile_new = False

    def unacknowledged(self) -> int:
        skip = JobState.SUCCEEDED if self.profile_new else None
        return sum(1 for j in self.jobs.values() if j.counted and j.state is not skip)


@register("new_header_wording_limit", S, ("VER-06",), "from 26.5 the limit counts only jobs not yet succeeded (header wording read as a change)")
class NewHeaderWordingLimit(QueueSystem):
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
class AcknowledgeKeepsSlot(QueueSystem):
    QUEUE = _AckKeepsSlotQueue


class _CancelCountedQueue(JobQueue):
    def unacknowledged(self) -> int:
        return super().unacknowledged() + self.cancelled

    cancelled = 0

    def _forget_acknowledged(self) -> None:
        self.cancelled += sum(1 for j in self.jobs.values() if j.state is JobState.CANCELLED)
        super()._forget_acknowledged()


@register("cancelled_still_counted", S, ("CAN-02", "LIM-04"), "a cancelled job keeps holding its slot under the jobLimit")
class CancelledStillCounted(QueueSystem):
    QUEUE = _CancelCountedQueue


class _RetryFreeQueue(JobQueue):
    def unacknowledged(self) -> int:
        return sum(1 for j in self.jobs.values() if j.counted and not (j.retried and j.state in IN_FLIGHT))


@register("retried_job_takes_no_slot", S, ("RET-03",), "a retried job in flight is not counted under the jobLimit")
class RetriedJobTakesNoSlot(QueueSystem):
    QUEUE = _RetryFreeQueue


class _RetryGhostQueue(JobQueue):
    ghosts = 0

    def unacknowledged(self) -> int:
        return super().unacknowledged() + self.ghosts

    def _forget_acknowledged(self) -> None:
        self.ghosts += sum(1 for j in self.jobs.values() if j.acknowledged and j.retried and j.state is JobState.SUCCEEDED)
        super()._forget_acknowledged()


@register("retried_success_keeps_slot", S, ("RET-04",), "a retried job that succeeds keeps its slot even after it is acknowledged")
class RetriedSuccessKeepsSlot(QueueSystem):
    QUEUE = _RetryGhostQueue
