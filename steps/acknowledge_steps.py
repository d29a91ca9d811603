"""Steps specific to the acknowledge feature; shared wording lives in setup_steps, job_steps and app_steps."""

from __future__ import annotations

from pytest_bdd import given, then

from bru_conformance.protocol import UploadOutcome
from bru_conformance.world import World
from steps.job_steps import _create_in_block
from steps.vocabulary import p


@given("the remaining slots under the jobLimit are filled with registered jobs")
def fill_remaining_slots(world: World) -> None:
    """Register as many jobs as still fit, counting the scenario's live jobs against the jobLimit read at run time."""
    live = sum(1 for job_id in world.jobs.values() if world.env.job_snapshot(job_id) is not None)
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
