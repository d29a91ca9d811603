"""Steps specific to the errors feature; shared wording lives in setup_steps, job_steps and app_steps.

Persistent change tokens (ERR-04): the harness plays an app that saves the library's token and later
asks for the changes since it, so a scenario can prune the history in between.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from pytest_bdd import given, then, when

from bru_conformance.protocol import PersistentChanges
from bru_conformance.scenario.world import World

from .vocabulary import p

_SAVED_TOKEN: WeakKeyDictionary[World, int] = WeakKeyDictionary()


@given("the app saved the library's current change token")
def save_token(world: World) -> None:
    """currentChangeToken, kept by the scenario as an app keeps it between runs."""
    _SAVED_TOKEN[world] = world.library.current_change_token()


@when("the app asks for the changes since its saved token")
def changes_since_saved(world: World) -> None:
    """fetchPersistentChanges(since:) with the saved token; the answer or the error is kept."""
    assert world in _SAVED_TOKEN, "the scenario never saved a change token"
    world.attempt(lambda: world.library.fetch_persistent_changes(_SAVED_TOKEN[world]))


@then(p('the changes list "{name}" as inserted'))
def changes_list_inserted(world: World, name: str) -> None:
    """The persistent changes just fetched name this photo among the inserted assets."""
    changes = world.value
    assert isinstance(changes, PersistentChanges), f"no persistent changes were fetched (got {changes!r})"
    asset_id = world.resources[name].asset_id if name in world.resources else name
    assert asset_id in changes.inserted, f"inserted assets are {list(changes.inserted)}, expected {name} among them"
