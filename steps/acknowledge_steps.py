"""Steps specific to the acknowledge feature; shared wording lives in setup_steps, job_steps and app_steps."""

from __future__ import annotations

from pytest_bdd import given, then

from bru_conformance.protocol import UploadOutcome
from bru_conformance.scenario.world import World

from .job_steps import _create_in_block, _find, live_jobs_of
from .vocabulary import p


@given("the remaining slots under the jobLimit are filled with registered jobs")
def fill_remaining_slots(world: World) -> None:
    """Register as many jobs as still fit, counting the scenario's live jobs against the jobLimit read at run time."""
    live = sum(1 for alias in {j: a for a, j in world.jobs.items()}.values() if _find(world, alias) is not None)
    start = len(world.jobs) + 1
    aliases = [f"filler-{i}" for i in range(start, start + world.library.job_limit() - live)]
    if aliases:
        _create_in_block(world, aliases)


@given(p('the server will store "{name}" under the id "{value}"'))
def server_stores_with_id(world: World, name: str, value: str) -> None:
    """The next upload of this photo succeeds and the server names its copy in an X-Server-Id header."""
    world.env.script_uploads([UploadOutcome.success(201, {"X-Server-Id": value})], world.resource(name).resource_id)


@then(p('the app recorded "{name}" as uploaded with the server id "{value}"'))
def recorded_with_id(world: World, name: str, value: str) -> None:
    """The app's ledger holds this photo with the confirmation the server gave in its response headers."""
    got = world.app.uploaded_resources().get(world.resource(name).resource_id)
    assert got == value, f"the app's ledger holds {name} as {got!r}, expected {value!r}"


@then(p('either job "{done}" is gone and a job exists for "{alias}", or neither change took effect'))
def whole_or_nothing(world: World, done: str, alias: str) -> None:
    """AMB-07: a change block is applied as a whole or not at all; which of the two the SYSTEM chose is open
    (whether an acknowledgement makes room for a creation in the same block is not documented)."""
    acknowledged = _find(world, done) is None
    created = bool(live_jobs_of(world, alias))
    if world.error is None:
        assert acknowledged and created, f"the block was accepted, but acknowledged={acknowledged}, created={created}"
    else:
        assert not acknowledged and not created, \
            f"the block was refused ({world.error!r}), but acknowledged={acknowledged}, created={created}: applied in part"
