"""Steps specific to the cancel feature; shared wording lives in setup_steps, job_steps and app_steps."""

from __future__ import annotations

from pytest_bdd import then

from bru_conformance.trace import APP_TO_SYSTEM
from bru_conformance.world import World
from steps.vocabulary import p


@then(p("the app cancelled {count:d} job(s)"))
def cancelled_count(world: World, count: int) -> None:
    """Counts the cancel() calls the app made (from the trace), whatever their outcome."""
    got = world.trace.calls("cancel", APP_TO_SYSTEM)
    assert len(got) == count, f"the app cancelled {len(got)} job(s), expected {count}"
