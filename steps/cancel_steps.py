"""Steps specific to the cancel feature; shared wording lives in setup_steps, job_steps and app_steps."""

from __future__ import annotations

from typing import Any

from pytest_bdd import then

from bru_conformance.scenario import observe
from bru_conformance.scenario.world import World, not_applicable

from .vocabulary import p


@then(p("the app cancelled {count:d} job(s)"))
def cancelled_count(world: World, count: int) -> None:
    """Counts the app's cancellations that took effect (in a committed change block)."""
    got = [e for e in observe.committed(world.trace) if e.call == "cancel"]
    assert len(got) == count, f"the app cancelled {len(got)} job(s), expected {count}"


def _app_cancels(world: World) -> list[Any]:
    cancels = [e for e in observe.committed(world.trace) if e.call == "cancel"]
    if not cancels:
        not_applicable("the app cancelled no job (cancelling is a permission, CAN-03)")
    return cancels


def _resource_of_job(world: World, job_id: str) -> str | None:
    """The resource id of a job, as the trace shows it: a fetch result naming the job, a resource lookup of
    it, or the scenario's own name for it."""
    for e in world.trace.events:
        if e.call == "fetch_jobs" and isinstance(e.result, list):
            for job in e.result:
                if isinstance(job, dict) and job.get("localIdentifier") == job_id and job.get("resource"):
                    return str(job["resource"])
        if e.call == "asset_resource_for_upload_job" and e.args.get("job") == job_id and isinstance(e.result, dict):
            return str(e.result.get("resource_id"))
    alias = world.alias_of(job_id)
    return world.resources[alias].resource_id if alias in world.resources else None


@then("every job the app cancelled was for a photo the server already held")
def cancelled_only_redundant(world: World) -> None:
    """CAN-03, where it applies: each job the app cancelled belongs to a photo the server holds a copy of."""
    received = world.env.server_received()
    for e in _app_cancels(world):
        job = str(e.args.get("job"))
        rid = _resource_of_job(world, job)
        assert rid is not None, f"the trace does not show which photo job {job} was for"
        assert received.get(rid, 0) >= 1, f"the app cancelled job {job} of {rid}, which the server does not hold"


@then("every job the app cancelled it had found by fetching jobs to process")
def cancelled_after_process_fetch(world: World) -> None:
    """CAN-04, where it applies: before its first cancellation the app fetched the process set."""
    first = _app_cancels(world)[0]
    fetched = [e for e in observe.app_events(world.trace, "fetch_jobs") if e.args.get("action") == "process" and e.seq < first.seq]
    assert fetched, "the app cancelled a job without fetching jobs to process first"
