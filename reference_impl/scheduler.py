"""When the system calls the extension: the processing-call policy on the virtual clock.

Apple documents only that calls come when work is available and conditions allow (PRO-02), that
`.processing` brings another call (PRO-05), `.completed` puts the system into monitoring (PRO-04) and
`.failure` may be retried later (PRO-07). The delays are the field-measured defaults of AMB-17/18, all
parameters. Developer Mode drops the backoff and the runtime limit (PRO-19).
"""

from __future__ import annotations

from dataclasses import dataclass

from bru_conformance.protocol import ProcessingResult


@dataclass(frozen=True)
class Timings:
    """Every delay of the model, in virtual seconds (AMB-17, AMB-18, AMB-01 field timings)."""

    enable_delay: float = 1.0
    change_delay: float = 3.0
    after_jobs_delay: float = 1.0
    idle_processing_delay: float = 300.0
    backoff: tuple[float, ...] = (360.0, 660.0, 1200.0)
    runtime_limit: float = 60.0
    termination_grace: float = 1.0
    call_cost: float = 0.01
    start_delay: float = 0.1
    upload_seconds: float = 1.0


class CallPolicy:
    """Decides `next_call_at` from what happened; knows nothing of jobs beyond counts."""

    def __init__(self, timings: Timings) -> None:
        self.t = timings
        self.next_call_at: float | None = None
        self.monitoring = False
        self.waiting_for_jobs = False
        self.failures = 0
        self.developer_mode = False

    def _at(self, when: float) -> None:
        self.next_call_at = when if self.next_call_at is None else min(self.next_call_at, when)

    def on_enabled(self, now: float) -> None:
        self.monitoring = False
        self._at(now + self.t.enable_delay)

    def on_disabled(self) -> None:
        self.next_call_at = None
        self.monitoring = self.waiting_for_jobs = False

    def on_library_change(self, now: float) -> None:
        if self.monitoring:
            self.monitoring = False
            self._at(now + self.t.change_delay)

    def on_conditions_restored(self, now: float) -> None:
        if not self.monitoring and self.next_call_at is None and not self.waiting_for_jobs:
            self._at(now + self.t.enable_delay)

    def on_call_ended(self, now: float, result: ProcessingResult | None, created_jobs: int, in_flight: int) -> None:
        self.next_call_at = None
        self.waiting_for_jobs = False
        if result is ProcessingResult.COMPLETED:
            self.failures = 0
            self.monitoring = True
        elif result is ProcessingResult.PROCESSING:
            self.failures = 0
            if created_jobs and in_flight:
                self.waiting_for_jobs = True  # next call once those jobs are done
            else:
                self._at(now + (self.t.after_jobs_delay if self.developer_mode else self.t.idle_processing_delay))
        else:  # failure or killed: back off (PRO-07, TER-06), unless Developer Mode
            delay = self.t.backoff[min(self.failures, len(self.t.backoff) - 1)]
            self.failures += 1
            self._at(now + (self.t.after_jobs_delay if self.developer_mode else delay))

    def on_jobs_drained(self, now: float) -> None:
        if self.waiting_for_jobs:
            self.waiting_for_jobs = False
            self._at(now + self.t.after_jobs_delay)

    @property
    def runtime_limit(self) -> float | None:
        return None if self.developer_mode else self.t.runtime_limit
