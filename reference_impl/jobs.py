"""The upload-job life cycle as one explicit transition table.

Theory of operation
-------------------
A job is created `registered`. The system starts its transfer (`pending`) and finishes it as
`succeeded` or `failed`; `pending` is optional, so a job may go straight from `registered` to a result
(AMB-01). While in flight (registered or pending) the app may `cancel` it (26.4): it becomes `cancelled`
and is acknowledged at once (CAN-02). A `failed` job that was never retried may be `retry`-ed once: it
keeps its identity and goes back to `registered` (RET-01, AMB-03). A `succeeded` or `failed` job is
`acknowledge`-d by the app and disappears (STA-12).

Every state change in the reference goes through `apply()`, which looks the move up in `TRANSITIONS`.
A move that is not in the table raises `InvalidTransitionError`: there is no silent no-op. Guards that
depend on more than the state (a retry needs `retried == False`) are written next to the table, so the
whole life cycle is readable in this one module. This module does no I/O and knows no clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from bru_conformance.protocol import (
    AssetResource,
    InvalidTransitionError,
    JobState,
    JobType,
    Request,
    URLError,
)


class Event(enum.Enum):
    """What can happen to a job."""

    START = "start"              # system: transfer begins
    SUCCEED = "succeed"          # system: final 2xx (or download finished)
    FAIL = "fail"                # system: transfer failed
    CANCEL = "cancel"            # app: cancel() (26.4)
    RETRY = "retry"              # app: retry(destination:)
    ACKNOWLEDGE = "acknowledge"  # app: acknowledge()


R, P, S, F, C = JobState.REGISTERED, JobState.PENDING, JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED

#: (state, event) -> next state. `None` as next state means the job is gone (acknowledged).
TRANSITIONS: dict[tuple[JobState, Event], JobState | None] = {
    (R, Event.START): P,
    (R, Event.SUCCEED): S,
    (R, Event.FAIL): F,
    (P, Event.SUCCEED): S,
    (P, Event.FAIL): F,
    (R, Event.CANCEL): C,
    (P, Event.CANCEL): C,
    (F, Event.RETRY): R,
    (S, Event.ACKNOWLEDGE): None,
    (F, Event.ACKNOWLEDGE): None,
}

#: States counted under jobLimit: unacknowledged and not cancelled (LIM-01, LIM-04).
COUNTED = frozenset({R, P, S, F})
IN_FLIGHT = frozenset({R, P})
TERMINAL = frozenset({S, F})


@dataclass(slots=True)  # a million of these in a large library: no per-instance dict
class Job:
    """The system's record of one job. Mutated only through `apply()`."""

    local_identifier: str
    resource: AssetResource
    destination: Request
    type: JobType = JobType.UPLOAD
    state: JobState = R
    retried: bool = False
    acknowledged: bool = False
    error: URLError | None = None
    response_header_fields: dict[str, str] | None = None
    created_seq: int = 0
    history: list[JobState] = field(default_factory=list)

    @property
    def retryable(self) -> bool:
        return self.state is F and not self.retried and not self.acknowledged

    @property
    def counted(self) -> bool:
        return not self.acknowledged and self.state in COUNTED


def can_apply(job: Job, event: Event) -> bool:
    """True when the table (and the retry guard) allows `event` on `job` now."""
    if job.acknowledged or (job.state, event) not in TRANSITIONS:
        return False
    return not (event is Event.RETRY and job.retried)


def apply(
    job: Job,
    event: Event,
    *,
    destination: Request | None = None,
    error: URLError | None = None,
    headers: dict[str, str] | None = None,
) -> Job:
    """Move `job` by `event`, or raise `InvalidTransitionError` naming the forbidden move."""
    if not can_apply(job, event):
        why = "acknowledged" if job.acknowledged else ("already retried" if event is Event.RETRY and job.retried else job.state.name.lower())
        raise InvalidTransitionError(f"job {job.local_identifier}: {event.value} is not allowed when {why}")
    nxt = TRANSITIONS[(job.state, event)]
    job.history.append(job.state)
    if event is Event.RETRY:
        job.retried = True
        job.error = None
        job.response_header_fields = None
        if destination is not None:
            job.destination = destination
    elif event is Event.FAIL:
        job.error = error
        job.response_header_fields = headers
    elif event is Event.SUCCEED:
        job.error = None
        job.response_header_fields = headers
    if nxt is None:
        job.acknowledged = True
    else:
        job.state = nxt
        if nxt is C:
            job.acknowledged = True  # CAN-02: cancelled jobs are acknowledged automatically
    return job
