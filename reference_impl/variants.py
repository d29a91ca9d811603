"""Bases of the SYSTEM variants that replace one part of the reference: the job queue, the call policy, the
transfer, the timings or the reading of an open point. Shared by the mutants (`reference_impl.mutants`) and
the positive controls (`reference_impl.controls`)."""

from __future__ import annotations

from dataclasses import replace

from bru_conformance.assumptions import Assumptions

from .queue import JobQueue
from .scheduler import CallPolicy, Timings
from .system import ReferenceSystem
from .transport import SimulatedServer


class QueueSystem(ReferenceSystem):
    """Base of the variants whose change lives in the job queue: `QUEUE` replaces the reference `JobQueue`."""

    QUEUE: type[JobQueue] = JobQueue

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.queue = self.QUEUE(self.queue.job_limit, self.queue.retry_checks_limit)


class PolicySystem(ReferenceSystem):
    """Base of the variants whose change lives in the call policy: `POLICY` replaces the reference `CallPolicy`."""

    POLICY: type[CallPolicy] = CallPolicy

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.policy = self.POLICY(self.timings)


class ServerSystem(ReferenceSystem):
    """Base of the variants whose change lives in the transfer (the simulated server side of the system)."""

    SERVER: type[SimulatedServer] = SimulatedServer

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.server = self.SERVER()
        self.transport = self.server


class TimedSystem(ReferenceSystem):
    """Base of the variants that only pick other delays: `TIMINGS` overrides fields of the reference `Timings`."""

    TIMINGS: dict[str, object] = {}

    def __init__(self, profile, assumptions=None, timings=None, transport=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(profile, assumptions, timings or replace(Timings(), **self.TIMINGS), transport)  # type: ignore[arg-type]


class ReadingSystem(ReferenceSystem):
    """Base of the variants that always use another reading of an open point, whatever the run selected."""

    READINGS: dict[str, str] = {}

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.assumptions = Assumptions({**self.assumptions.non_default(), **self.READINGS})
