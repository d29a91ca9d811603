"""Steps about the world and the host app: install facts, access, library contents, enabling, options."""

from __future__ import annotations

from pytest_bdd import given, then, when

from bru_conformance.protocol import AuthorizationStatus, Network, ResourceKind, UploadJobOptions
from bru_conformance.scenario.world import World

from .vocabulary import p


# ------------------------------------------------------------------------------------ install facts
@given("the app is installed with its upload extension")
def app_installed(world: World) -> None:
    """Extension registered for com.apple.photos.background-upload, BackgroundUploadURLBase set."""
    world.env.install_app()


@given("the app is installed without an extension registered for the background-upload extension point")
def app_without_extension(world: World) -> None:
    world.env.install_app(extension_registered=False)


@given("the app's extension declares no BackgroundUploadURLBase")
def app_without_url_base(world: World) -> None:
    world.env.install_app(url_base=None)


@given(p('the app\'s extension declares BackgroundUploadURLBase "{url}"'))
def app_with_url_base(world: World, url: str) -> None:
    world.env.install_app(url_base=url)


@given("the app runs in the iOS Simulator")
def in_simulator(world: World) -> None:
    world.env.set_simulator(True)


# ------------------------------------------------------------------------------------ access
@given(p("photo library access is {access:Access}"))
def access_is(world: World, access: AuthorizationStatus) -> None:
    world.env.set_authorization(access)


@given(p("the user will answer the access request with {access:Access}"))
def user_will_answer(world: World, access: AuthorizationStatus) -> None:
    world.env.set_user_answer(access)


@given(p("the user changed photo library access to {access:Access}"))
@when(p("the user changes photo library access to {access:Access}"))
def access_changes(world: World, access: AuthorizationStatus) -> None:
    world.env.set_authorization(access)


@given(p('the user picked only "{name}" for limited access'))
def limited_selection(world: World, name: str) -> None:
    world.resource(name)
    world.env.set_limited_selection([name])


# ------------------------------------------------------------------------------------ library contents
@given(p("the library holds {count:d} photos"))
def library_holds(world: World, count: int) -> None:
    world.add_photos([f"photo-{i}" for i in range(1, count + 1)])


@given(p('the library holds a photo "{name}"'))
@when(p('the user takes a photo "{name}"'))
def library_holds_photo(world: World, name: str) -> None:
    world.add_photos([name])


@given(p('the library holds an iCloud-only photo "{name}"'))
def library_holds_icloud_photo(world: World, name: str) -> None:
    world.add_photos([name], icloud_only=True)


@given(p('the library holds a Live Photo "{name}"'))
def library_holds_live_photo(world: World, name: str) -> None:
    """One asset, two resources: the photo ("{name}") and its paired video ("{name}/pairedVideo")."""
    world.add_asset(name, (ResourceKind.PHOTO, ResourceKind.PAIRED_VIDEO))


@given(p('the library holds an edited photo "{name}"'))
def library_holds_edited_photo(world: World, name: str) -> None:
    """One asset, two resources: the original ("{name}") and the full-size render ("{name}/fullSizePhoto")."""
    world.add_asset(name, (ResourceKind.PHOTO, ResourceKind.FULL_SIZE_PHOTO))


@given(p('the library holds a video "{name}"'))
def library_holds_video(world: World, name: str) -> None:
    world.add_photos([name], kind=ResourceKind.VIDEO)


@when(p('the user deletes "{name}"'))
def user_deletes(world: World, name: str) -> None:
    world.env.delete_asset(world.resources[name].asset_id)


@given("the library's change history was pruned")
@when("the library's change history is pruned")
def history_pruned(world: World) -> None:
    world.env.expire_change_history()


# ------------------------------------------------------------------------------------ enabling (as the app)
def _enable(world: World, options: UploadJobOptions | None = None) -> None:
    if world.profile.has("enableUploadJobExtension"):
        world.library.enable_upload_job_extension(options)
    else:
        world.library.set_upload_job_extension_enabled(True)


def _disable(world: World) -> None:
    if world.profile.has("disableUploadJobExtension"):
        world.library.disable_upload_job_extension()
    else:
        world.library.set_upload_job_extension_enabled(False)


@given("the upload extension is enabled")
def extension_enabled(world: World) -> None:
    """Full access granted, then enabled with the profile's API; the harness plays the host app."""
    if world.library.authorization_status() is not AuthorizationStatus.AUTHORIZED:
        world.env.set_authorization(AuthorizationStatus.AUTHORIZED)
    _enable(world)


@given("the upload extension is enabled with expensive network access prevented")
def extension_enabled_no_expensive(world: World) -> None:
    world.env.set_authorization(AuthorizationStatus.AUTHORIZED)
    _enable(world, UploadJobOptions(prevents_expensive_network_access=True))


@when("the host app enables the upload extension")
def host_enables(world: World) -> None:
    world.attempt(lambda: _enable(world))


@when("the host app enables the upload extension with expensive network access prevented")
def host_enables_with_options(world: World) -> None:
    world.attempt(lambda: _enable(world, UploadJobOptions(prevents_expensive_network_access=True)))


@given("the host app disabled the upload extension")
def host_disabled(world: World) -> None:
    """An arrangement: the disable must succeed (a refusal here is a harness error, not a pass)."""
    _disable(world)


@when("the host app disables the upload extension")
def host_disables(world: World) -> None:
    world.attempt(lambda: _disable(world))


@when("the host app sets options that prevent expensive network access")
def host_sets_options(world: World) -> None:
    world.attempt(lambda: world.library.set_upload_job_extension_options(UploadJobOptions(True)))


@when("the host app sets freshly created options")
def host_sets_default_options(world: World) -> None:
    world.attempt(lambda: world.library.set_upload_job_extension_options(UploadJobOptions()))


@then("the upload extension is enabled")
def is_enabled(world: World) -> None:
    assert world.library.upload_job_extension_enabled() is True, "uploadJobExtensionEnabled is false"


@then("the upload extension is not enabled")
def is_not_enabled(world: World) -> None:
    assert world.library.upload_job_extension_enabled() is False, "uploadJobExtensionEnabled is true"


@then("the extension options are nil")
def options_nil(world: World) -> None:
    options = world.library.upload_job_extension_options()
    assert options is None, f"uploadJobExtensionOptions is {options}, expected nil"


@then("the extension options hold default values")
def options_default(world: World) -> None:
    options = world.library.upload_job_extension_options()
    assert options is not None, "uploadJobExtensionOptions is nil"
    assert options.prevents_expensive_network_access is False, "preventsExpensiveNetworkAccess is not false"


@then("the extension options prevent expensive network access")
def options_prevent(world: World) -> None:
    options = world.library.upload_job_extension_options()
    assert options is not None and options.prevents_expensive_network_access is True, f"options are {options}"


# ------------------------------------------------------------------------------------ conditions
@given(p("the network is {network:Network}"))
@when(p("the network becomes {network:Network}"))
def network_is(world: World, network: Network) -> None:
    world.env.set_network(network)


@given("power conditions do not allow background work")
@when("power conditions stop allowing background work")
def power_bad(world: World) -> None:
    world.env.set_power(False)


@when("power conditions allow background work again")
def power_ok(world: World) -> None:
    world.env.set_power(True)


@given("Developer Mode is on")
def developer_mode(world: World) -> None:
    world.env.set_developer_mode(True)
