"""Steps specific to the consent feature; shared wording lives in setup_steps, job_steps and app_steps.

The @system steps read what the library lets an app see and what the authorization status says; the
@app steps read the trace for enabling attempts, whether or not the system refused them.
"""

from __future__ import annotations

from pytest_bdd import then, when

from bru_conformance.protocol import AuthorizationStatus
from bru_conformance.scenario import observe
from bru_conformance.scenario.world import World

from .vocabulary import p


# ------------------------------------------------------------------------------------ acting (@system)
@when("the app requests photo library access")
def request_access(world: World) -> None:
    """requestAuthorization(for: .readWrite): the user is asked only while the status is not determined."""
    world.attempt(world.library.request_authorization)


# ------------------------------------------------------------------------------------ checking (@system)
@then(p("photo library access reads {access:Access}"))
def access_reads(world: World, access: AuthorizationStatus) -> None:
    """authorizationStatus(for: .readWrite) as the app reads it."""
    got = world.library.authorization_status()
    assert got is access, f"authorizationStatus is {got.value}, expected {access.value}"


@then(p("the app sees {count:d} photo(s) in the library"))
def sees_count(world: World, count: int) -> None:
    """The assets a fetch by the app returns, whatever the library really holds."""
    assets = world.library.fetch_assets()
    assert len(assets) == count, f"the app sees {len(assets)} photo(s): {[a.asset_id for a in assets]}, expected {count}"


@then(p('the app sees only "{name}" in the library'))
def sees_only(world: World, name: str) -> None:
    """A fetch by the app returns exactly this one asset."""
    got = [a.asset_id for a in world.library.fetch_assets()]
    expected = world.resources[name].asset_id if name in world.resources else name
    assert got == [expected], f"the app sees {got}, expected only {name}"


# ------------------------------------------------------------------------------------ checking (@app)
@then("the app never tried to enable the upload extension")
def never_tried_to_enable(world: World) -> None:
    """No enabling call at all in the trace, counting the ones the system refused."""
    tries = [e for e in observe.app_events(world.trace)
             if e.call == "enable_upload_job_extension"
             or (e.call == "set_upload_job_extension_enabled" and e.args.get("enabled") is True)]
    assert not tries, f"the app tried to enable the upload extension: {tries[0]}"


@when("the app registers a persistent-changes observer")
def register_observer(world: World) -> None:
    """CON-07: `registerPersistentChangesObserver(_:)` (27), which needs read-write authorisation."""
    world.attempt(world.library.register_persistent_changes_observer)
