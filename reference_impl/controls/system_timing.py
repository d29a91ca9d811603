"""Positive controls of the SYSTEM role: variants of the reference that differ only where the digest allows.

Each class changes one choice the reference makes on a point Apple leaves open (an AMB-nn item, a value
the digest calls undocumented, or a FIELD observation the reference adopted as its default). The suite
must rate every one of them conformant; a failure here is a check that demands the reference's choice.

This module: timings, the call policy and jobs during calls; `system_jobs`: the job life cycle, change
requests and job fields; `system_activation`: network and enabling."""

from __future__ import annotations

import heapq

from bru_conformance.protocol import (
    JobState,
)

from ..jobs import IN_FLIGHT, TERMINAL
from ..scheduler import CallPolicy
from ..system import ReferenceSystem
from ..variants import PolicySystem, ReadingSystem, TimedSystem
from . import register

S = "system"


# ------------------------------------------------------------------------------------------ timing (AMB-17/18)
@register("first_call_after_30s", S, "AMB-17: the moment of the first call after enabling is unspecified; the ~1 s is a field default (PRO-02)",
          "the first processing call comes 30 s after enabling (and after conditions return)")
class FirstCallAfter30s(TimedSystem):
    """Enabling (and regained conditions) bring a call after 30 s instead of 1 s. Apple gives no delay."""

    TIMINGS = {"enable_delay": 30.0}


@register("recall_after_15min", S, "AMB-17: the delay before the next call after .processing is unspecified; 5 min / 1 s are field values (PRO-05)",
          "after .processing with no new jobs the next call comes after 15 min; after the new jobs drain, after 60 s")
class RecallAfter15min(TimedSystem):
    """Other re-call delays after `.processing`; PRO-05 only promises that another call comes."""

    TIMINGS = {"idle_processing_delay": 900.0, "after_jobs_delay": 60.0}


@register("backoff_240_480_960", S,
          "AMB-17 / PRO-07: after .failure the system may retry later; the 6/11 min backoff is a field value; PRO-14 only "
          "says backoff exists",
          "backoff after a failed or killed call of 240, 480, 960 s")
class Backoff240(TimedSystem):
    """A shorter, doubling backoff."""

    TIMINGS = {"backoff": (240.0, 480.0, 960.0)}


@register("backoff_900_1800_3600", S, "AMB-17 / PRO-07: retry timing after .failure is unspecified; field values are only defaults",
          "backoff after a failed or killed call of 900, 1800, 3600 s")
class Backoff900(TimedSystem):
    """A longer, doubling backoff."""

    TIMINGS = {"backoff": (900.0, 1800.0, 3600.0)}


@register("runtime_limit_30s", S, "AMB-18 / LIM-06: a per-call runtime limit exists but its value is undocumented (~60 s is field)",
          "each processing call is killed after 30 s")
class RuntimeLimit30s(TimedSystem):
    """Half the field runtime limit."""

    TIMINGS = {"runtime_limit": 30.0}


@register("runtime_limit_180s", S, "AMB-18 / LIM-06: runtime limit value undocumented; the 60 s is a field measurement",
          "each processing call is killed after 180 s")
class RuntimeLimit180s(TimedSystem):
    """Three times the field runtime limit."""

    TIMINGS = {"runtime_limit": 180.0}


@register("library_change_call_after_10min", S,
          "AMB-17 / PRO-04: after .completed the system monitors the library; how soon a change brings a call is "
          "unspecified (~3 s field)",
          "while monitoring, a library change brings a call after 10 min")
class LibraryChangeCallAfter10min(TimedSystem):
    """A lazy monitor: a change is picked up 10 min later."""

    TIMINGS = {"change_delay": 600.0}


@register("slow_uploads", S, "AMB-01: the 0.1-5 s settle times are a FIELD note; PRO-02 lets the system schedule transfers by its own conditions",
          "an upload starts 30 s after registration and takes 5 min")
class SlowUploads(TimedSystem):
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
class FinishedJobsBringCall(PolicySystem):
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
class StopsAfterDowngrade(ReadingSystem):
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
class JobsStartDuringCall(PolicySystem):
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
