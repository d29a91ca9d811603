"""Steps specific to the limits feature; shared wording lives in setup_steps, job_steps and app_steps.

Scenarios speak about the jobLimit relative to its value ("every slot", "all but 2 slots"), because the
value is not documented (LIM-05, AMB-11): the steps read it from the SYSTEM at run time.
"""

from __future__ import annotations

from pytest_bdd import given, then, when

from bru_conformance.protocol import JobState
from bru_conformance.scenario.world import World

from .job_steps import _create_in_block, _find, capacity, drive_to
from .vocabulary import p


def _live(world: World) -> int:
    """Jobs the scenario made that the system still holds (acknowledged and cancelled ones are gone)."""
    return sum(1 for alias in {j: a for a, j in world.jobs.items()}.values() if _find(world, alias) is not None)


def _fill(world: World, free: int, state: JobState) -> None:
    """Register jobs "slot-1", "slot-2", ... until `free` slots remain, and drive each to `state`."""
    limit = world.library.job_limit()
    count = limit - free - _live(world)
    assert count >= 0, f"jobLimit is {limit} and {_live(world)} jobs exist; cannot leave {free} slots free"
    first = sum(1 for a in world.jobs if a.startswith("slot-")) + 1
    aliases = [f"slot-{i}" for i in range(first, first + count)]
    if aliases:
        _create_in_block(world, aliases)
    for alias in aliases:
        drive_to(world, alias, state)


@given(p("every slot under the jobLimit is held by {state:State} jobs"))
def limit_full(world: World, state: JobState) -> None:
    """Add jobs "slot-1", ... in the state until the scenario's jobs take every slot (jobLimit read at run time)."""
    _fill(world, 0, state)


@given(p("all but {count:d} slot(s) under the jobLimit are held by {state:State} jobs"))
def limit_all_but(world: World, count: int, state: JobState) -> None:
    """Add jobs "slot-1", ... in the state until exactly `count` slots under the jobLimit are left free."""
    _fill(world, count, state)


@then("the whole jobLimit is free for new upload jobs")
def limit_all_free(world: World) -> None:
    """Exactly jobLimit new jobs fit in one change block (probes with jobLimit + 1, then jobLimit)."""
    capacity(world, world.library.job_limit())


@given(p("the system's jobLimit is {limit:d}"))
@when(p("the system's jobLimit becomes {limit:d}"))
def system_job_limit(world: World, limit: int) -> None:
    """The SYSTEM reports and enforces this jobLimit from now on (Environment.set_job_limit): a value no app
    could have assumed."""
    world.require("set-job-limit")
    world.env.set_job_limit(limit)


@then(p("the jobLimit the system reports is {limit:d}"))
def limit_reads(world: World, limit: int) -> None:
    """jobLimit as the app reads it."""
    got = world.library.job_limit()
    assert got == limit, f"jobLimit reads {got}, expected {limit}"
