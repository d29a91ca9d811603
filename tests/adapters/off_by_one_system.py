"""A non-conformant in-process SYSTEM for the exploration tests: its limit check lets one job too many
through (CRE-07, LIM-01), the classic off-by-one."""

from __future__ import annotations

from bru_conformance.assumptions import Assumptions
from bru_conformance.contracts import Implementation
from bru_conformance.profiles import Profile
from reference_impl import ReferenceSystemUnderTest
from reference_impl.queue import JobQueue
from reference_impl.system import ReferenceSystem


class OffByOneQueue(JobQueue):
    def _validate(self, block):  # type: ignore[no-untyped-def]
        self.job_limit += 1  # checks against jobLimit + 1
        try:
            super()._validate(block)
        finally:
            self.job_limit -= 1


class OffByOneSystem(ReferenceSystem):
    def __init__(self, profile: Profile, assumptions: Assumptions | None = None) -> None:
        super().__init__(profile, assumptions)
        self.queue = OffByOneQueue(self.queue.job_limit, self.queue.retry_checks_limit)


def create_system(profile: Profile, assumptions: Assumptions) -> ReferenceSystemUnderTest:
    return ReferenceSystemUnderTest(OffByOneSystem(profile, assumptions))  # type: ignore[arg-type]


def factory() -> Implementation:
    return Implementation(name="off-by-one example system", version="0.0.1", system=create_system)
