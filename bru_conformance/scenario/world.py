"""One scenario's world: the SYSTEM under test (or the reference), the APP, the trace and the names
scenarios give to jobs and resources.

Steps reach implementations only through `world.library` (the traced `PhotoLibrary` contract: steps of
@system scenarios play the app through it), `world.env` (the `Environment` contract) and `world.app`
(the traced `BackupApp`). Nothing here imports reference internals except the default factories.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bru_conformance.assumptions import Assumptions
from bru_conformance.contracts import AppAccount, Environment, Implementation, PhotoLibrary
from bru_conformance.profiles import Profile
from bru_conformance.protocol import Asset, AssetResource, BruError, ProcessingResult, ResourceKind
from bru_conformance.scenario.trace import Trace, TracedApp, TracingLibrary


class _Suspend:
    """One suspension point of an async extension: it yields to whoever drives the coroutine."""

    def __await__(self):  # type: ignore[no-untyped-def]
        yield None


class HarnessExtension:
    """The extension the harness plays in @system scenarios: touches nothing, answers `.completed`.

    A scenario may change its answer (`world.harness_result`), make it keep working for a stretch of
    virtual time (`world.harness_work_seconds`, spent through `Environment.spend`), make its async
    `processJobs` suspend a number of times before answering (`world.harness_suspensions`), or give it
    work to do inside its calls (`world.harness_script`: per coming call a list of callables, run in order
    and given the world; the calls they make are the harness's, through the traced library).
    """

    def __init__(self, world: World | None = None) -> None:
        self._world = world

    def _answer(self) -> ProcessingResult:
        world = self._world
        if world is None:
            return ProcessingResult.COMPLETED
        if world.harness_script:
            try:
                for act in world.harness_script.pop(0):
                    act(world)
            except Exception as exc:  # the harness's own arrangement failed: surfaced by the next step as a harness error
                world.harness_failure = exc
                raise
        if world.harness_work_seconds > 0:
            world.library.job_limit()  # the extension is alive and talking to PhotoKit
            world.env.spend(world.harness_work_seconds)
        return world.harness_result

    def process(self) -> ProcessingResult:
        return self._answer()

    def notify_termination(self) -> None:
        pass

    async def process_jobs(self) -> ProcessingResult:
        for _ in range(self._world.harness_suspensions if self._world is not None else 0):
            await _Suspend()
        return self._answer()

    async def will_terminate(self) -> None:
        pass


class HarnessApp:
    """The APP role as the harness plays it when a SYSTEM is under test: the steps act for it."""

    def __init__(self, world: World | None = None) -> None:
        self._world = world

    def turn_on_backup(self) -> bool:
        raise BruError("@system scenarios drive the library directly; 'the user turns on backup' is an @app step")

    def sign_out(self) -> None:
        raise BruError("@system scenarios drive the library directly; 'the user signs out' is an @app step")

    def make_extension(self) -> HarnessExtension:
        return HarnessExtension(self._world)

    def uploaded_resources(self) -> dict[str, str]:
        return {}

    def failed_resources(self) -> set[str]:
        return set()


NOT_APPLICABLE = "not-applicable"


def not_applicable(reason: str) -> None:
    """End a scenario run as not applicable: the situation its rule is about did not arise (e.g. the app
    never met the limit the rule is about). Never a pass, never a failure; the report shows the reason."""
    import pytest

    pytest.skip(f"{NOT_APPLICABLE}: {reason}")


DEFAULT_PATIENCE = 24 * 3600.0
"""How long (virtual seconds) a check waits for something the digest only says happens eventually."""


def reference_implementation() -> Implementation:
    from bru_conformance import reference

    return reference.implementation()


class World:
    """Everything one scenario run touches; created fresh per scenario and profile."""

    def __init__(self, profile: Profile, assumptions: Assumptions, implementation: Implementation | None = None,
                 role: str = "app", *, patience: float = DEFAULT_PATIENCE, readings: dict[str, str] | None = None) -> None:
        reference = reference_implementation()
        impl = implementation or reference
        self.profile = profile
        # `readings` (a scenario's @world: tags) set how the SYSTEM behaves for an @app scenario
        self.assumptions = assumptions.with_readings(readings) if readings else assumptions
        self.patience = patience  # virtual seconds "eventually" may take (AMB-17 documented reading)
        system_factory = impl.system or reference.system
        self.system_capabilities = impl.capabilities if impl.system else reference.capabilities
        self._app_factory = impl.app or reference.app
        assert system_factory is not None and self._app_factory is not None
        self.sut = system_factory(profile, self.assumptions)
        self.env: Environment = self.sut.environment
        self.trace = Trace(self.env.now)
        self.library: PhotoLibrary = TracingLibrary(self.sut.library, self.trace)  # type: ignore[assignment]
        self.token = "token-1"
        self.account = AppAccount(token=lambda: self.token)
        self.role = role
        self.jobs: dict[str, str] = {}                 # scenario alias -> job local identifier
        self.resources: dict[str, AssetResource] = {}  # scenario alias -> resource
        self.error: BaseException | None = None        # what the last "When" raised, if anything
        self.value: Any = None                         # what the last "When" returned
        self.notes: list[str] = []                     # how evidence was obtained, where it matters (reports show them)
        self.marks: dict[str, float] = {}              # named moments of the scenario (virtual time), e.g. a switch
        self.harness_result = ProcessingResult.COMPLETED  # what the harness extension answers (@system)
        self.harness_work_seconds = 0.0                # virtual time it spends working per call (@system)
        self.harness_suspensions = 0                   # times its processJobs suspends before answering (@system)
        self.harness_script: list[list[Callable[[World], Any]]] = []  # work it does inside its next calls (@system)
        self.harness_failure: BaseException | None = None  # what went wrong in that work (a harness error)
        self.upload_url: str | None = None             # the harness's HTTP upload server, when uploads go over HTTP (NET)
        self.upload_server: Any = None                 # that server (the harness reads its log as evidence)
        self.photo_size: int | None = None            # bytes per photo added from now on (None: the protocol default)
        self._closers: list[Callable[[], Any]] = []    # what close() must stop (servers the harness started)
        self.env.install_app()
        # @app scenarios test the APP; @system scenarios play it with a passive harness extension.
        inner = self._app_factory(self.library, self.profile, self.account) if role == "app" else HarnessApp(self)
        self.app = TracedApp(inner, self.trace, actor="app" if role == "app" else "harness")
        self.env.attach_app(self.app)

    def require(self, capability: str) -> None:
        """A scenario needs an optional Environment control (contracts.CAPABILITIES): a SYSTEM under test that does
        not declare it makes the scenario run `unsupported` (the reference and its variants offer them all)."""
        if capability not in self.system_capabilities:
            import pytest

            pytest.skip(f"unsupported: the SYSTEM under test does not declare the capability {capability!r}")

    def serve_uploads(self, **config: Any) -> tuple[str, Any]:
        """Run a resumable-upload server on loopback for this scenario (stopped by `close`): the harness's witness
        of what a SYSTEM sends over HTTP. It is the reference server used as an instrument, like the default
        factories above: checks read its log and store, which record what arrived on the socket."""
        from contextlib import ExitStack

        from bru_conformance import reference

        server_package = reference.module("server")
        ServerConfig, running_server = server_package.ServerConfig, server_package.running_server  # noqa: N806

        stack = ExitStack()
        base, server = stack.enter_context(running_server(ServerConfig(**config)))
        self._closers.append(stack.close)
        return base, server

    def note(self, text: str) -> None:
        """Say how a piece of evidence was obtained (e.g. through a test-only view); reported with the run."""
        if text not in self.notes:
            self.notes.append(text)

    def close(self) -> None:
        """Release out-of-process sessions (in-process implementations need nothing) and stop the harness's servers."""
        while self._closers:
            self._closers.pop()()
        for owner in (self.app.inner, self.sut):
            close = getattr(owner, "close", None)
            if callable(close):
                close()

    # ---------------------------------------------------------------------------- naming
    def add_photos(self, names: list[str], kind: ResourceKind = ResourceKind.PHOTO, icloud_only: bool = False) -> list[Asset]:
        assets = []
        for name in names:
            resource = AssetResource(resource_id=f"{name}.res", asset_id=name, kind=kind, filename=f"{name}.HEIC",
                                     icloud_only=icloud_only, **({"size": self.photo_size} if self.photo_size is not None else {}))
            self.resources[name] = resource
            assets.append(Asset(name, (resource,)))
        self.env.add_assets(assets)
        return assets

    def add_asset(self, name: str, kinds: tuple[ResourceKind, ...]) -> Asset:
        """One asset with several resources (a Live Photo: photo + paired video; an edited photo: photo +
        full-size render). The first resource is named like the asset, the others `name/kind`."""
        resources = []
        for n, kind in enumerate(kinds):
            alias = name if n == 0 else f"{name}/{kind.value}"
            ext = {"video": "MOV", "pairedVideo": "MOV"}.get(kind.value, "HEIC")
            resource = AssetResource(resource_id=f"{name}.{kind.value}.res" if n else f"{name}.res", asset_id=name, kind=kind,
                                     filename=f"{name}{'' if n == 0 else '_' + kind.value}.{ext}")
            self.resources[alias] = resource
            resources.append(resource)
        asset = Asset(name, tuple(resources))
        self.env.add_assets([asset])
        return asset

    def resource(self, alias: str) -> AssetResource:
        if alias not in self.resources:
            self.add_photos([alias])
        return self.resources[alias]

    def ensure_photos(self, aliases: list[str]) -> None:
        """Add the photos a step names that the library lacks, in one `add_assets` (one message out-of-process)."""
        missing = list(dict.fromkeys(a for a in aliases if a not in self.resources))
        if missing:
            self.add_photos(missing)

    def job(self, alias: str) -> str:
        try:
            return self.jobs[alias]
        except KeyError:
            raise BruError(f"the scenario never created a job called {alias!r}") from None

    def alias_of(self, local_identifier: str) -> str:
        return next((a for a, j in self.jobs.items() if j == local_identifier), local_identifier)

    # ---------------------------------------------------------------------------- acting
    def attempt(self, action: Callable[[], Any]) -> Any:
        """Run a `When` action, keeping its error for the `Then` steps instead of failing the step."""
        self.error, self.value = None, None
        try:
            self.value = action()
        except BruError as exc:
            self.error = exc
        return self.value
