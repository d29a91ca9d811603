"""The app's job queue: jobLimit accounting, fetch sets and all-or-nothing change blocks.

Change requests are staged while a block is open and applied together at commit (AMB-07): the commit
first checks every staged mutation against the transition table (an invalid one fails the block with
`changeNotSupported`, AMB-09), then the limit (creations must leave at most `jobLimit` unacknowledged
jobs, AMB-06; a retry at the limit fails only under AMB-02=retry-checks-limit), and only then applies
anything. A failed block leaves no trace: no job, no acknowledgement, no valid placeholder.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bru_conformance.protocol import (
    Action,
    AssetResource,
    JobState,
    JobType,
    PhotoKitError,
    PhotoKitErrorCode,
    Request,
)

from .jobs import COUNTED, IN_FLIGHT, TERMINAL, Event, Job, apply, can_apply


@dataclass
class StagedOp:
    """One change request's staged mutation."""

    kind: str  # "create", "acknowledge", "retry", "cancel"
    local_identifier: str
    destination: Request | None = None
    resource: AssetResource | None = None
    job_type: JobType = JobType.UPLOAD


@dataclass
class ChangeBlock:
    ops: list[StagedOp] = field(default_factory=list)


class JobQueue:
    """Jobs of one app configuration, keyed by local identifier, in creation order (AMB-15)."""

    def __init__(self, job_limit: int, retry_checks_limit: bool = False) -> None:
        self.job_limit = job_limit
        self.retry_checks_limit = retry_checks_limit
        self.jobs: dict[str, Job] = {}
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)

    # --------------------------------------------------------------------------- reading
    def unacknowledged(self) -> int:
        return sum(1 for j in self.jobs.values() if j.counted)

    def fetch(self, action: Action) -> list[Job]:
        """The set of jobs `action` can be applied to (STA-03..06, AMB-04)."""
        if action is Action.ACKNOWLEDGE:
            pick = lambda j: j.state in TERMINAL
        elif action is Action.RETRY:
            pick = lambda j: j.state is JobState.FAILED and not j.retried
        else:
            pick = lambda j: j.state in IN_FLIGHT
        return [j for j in self.jobs.values() if not j.acknowledged and pick(j)]

    def live(self, local_identifier: str) -> Job | None:
        job = self.jobs.get(local_identifier)
        return None if job is None or job.acknowledged else job

    def new_identifier(self) -> str:
        return f"job-{next(self._ids):06d}"

    # --------------------------------------------------------------------------- committing
    def commit(self, block: ChangeBlock) -> list[Job]:
        """Validate then apply every staged op; raise `PhotoKitError` and apply nothing on failure."""
        self._validate(block)
        created: list[Job] = []
        for op in block.ops:
            if op.kind == "create":
                assert op.resource is not None
                job = Job(local_identifier=op.local_identifier, resource=op.resource,
                          destination=op.destination or Request(url=""), type=op.job_type,
                          created_seq=next(self._seq))
                self.jobs[job.local_identifier] = job
                created.append(job)
            else:
                apply(self.jobs[op.local_identifier], Event(op.kind), destination=op.destination)
        self._forget_acknowledged()
        return created

    def _validate(self, block: ChangeBlock) -> None:
        touched: set[tuple[str, str]] = set()
        freed = creations = retries = 0
        for op in block.ops:
            if op.kind == "create":
                creations += 1
                continue
            job = self.live(op.local_identifier)
            if job is None or (op.local_identifier, op.kind) in touched or not can_apply(job, Event(op.kind)):
                state = "gone" if job is None else job.state.name.lower()
                raise PhotoKitError(PhotoKitErrorCode.CHANGE_NOT_SUPPORTED,
                                    f"{op.kind} is not allowed for job {op.local_identifier} ({state})")
            touched.add((op.local_identifier, op.kind))
            if op.kind in ("acknowledge", "cancel"):
                freed += 1
            elif op.kind == "retry":
                retries += 1
        count = self.unacknowledged()
        if creations and count - freed + creations > self.job_limit:
            raise PhotoKitError(PhotoKitErrorCode.LIMIT_EXCEEDED,
                                f"{creations} new job(s) would exceed jobLimit {self.job_limit} ({count} unacknowledged)")
        if retries and self.retry_checks_limit and count - freed >= self.job_limit:
            raise PhotoKitError(PhotoKitErrorCode.LIMIT_EXCEEDED, f"retry at jobLimit {self.job_limit}")

    def _forget_acknowledged(self) -> None:
        """Acknowledged (and cancelled) jobs disappear from system tracking (STA-12)."""
        for key in [k for k, j in self.jobs.items() if j.acknowledged]:
            del self.jobs[key]

    def discard_all(self) -> None:
        """Disabling discards every unacknowledged job (AMB-05)."""
        self.jobs.clear()

    def counted_states(self) -> dict[JobState, int]:
        out = {s: 0 for s in COUNTED}
        for j in self.jobs.values():
            if j.counted:
                out[j.state] += 1
        return out
