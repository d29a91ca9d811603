"""Role contracts: the only surface scenarios drive (docs/contracts.md explains each operation).

Three contracts, one per thing a scenario talks to:

* `PhotoLibrary` is the SYSTEM role as an app sees it: PhotoKit's `PHPhotoLibrary`, job fetches and
  change blocks, `PHAssetResourceUploadJobChangeRequest` handles. Change blocks are explicit
  (`begin_changes` / `commit_changes` / `abort_changes`) rather than closures, so that the same calls can
  cross a process boundary one by one; `perform_changes` below gives apps the closure form.
* `BackupApp` / `UploadExtension` are the APP role: the host app's user-facing actions and the
  extension's processing and termination entry points (both the 26.1 and the 27 protocol), plus the
  app's own ledger, which scenarios read to check that no photo was lost or counted twice.
* `Environment` is test-only control of the world around the SYSTEM: authorization answers, app
  install facts, library contents, network and power, server outcomes, the virtual clock and
  termination delivery. A SYSTEM implementation ships it beside its `PhotoLibrary`.

A team plugs in a SYSTEM (a `SystemFactory`) or an APP (an `AppFactory`); the reference implements both.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from bru_conformance.assumptions import Assumptions
from bru_conformance.profiles import Profile
from bru_conformance.protocol import (
    Action,
    Asset,
    AssetResource,
    AuthorizationStatus,
    Network,
    PersistentChanges,
    ProcessingResult,
    Request,
    TerminationMode,
    TraceEvent,
    UploadJob,
    UploadJobOptions,
    UploadOutcome,
)

# --------------------------------------------------------------------------------------------- SYSTEM


@runtime_checkable
class ChangeRequest(Protocol):
    """A `PHAssetResourceUploadJobChangeRequest`, usable only while its change block is open (CRE-01)."""

    @property
    def placeholder(self) -> str | None:
        """`placeholderForCreatedAssetResourceUploadJob`: the new job's local identifier (26.4, CRE-06)."""

    def acknowledge(self) -> None: ...

    def retry(self, destination: Request | None) -> None: ...

    def cancel(self) -> None: ...


@runtime_checkable
class PhotoLibrary(Protocol):
    """The SYSTEM role: the PhotoKit surface an app sees. Every method may raise `APIUnavailableError`."""

    @property
    def profile(self) -> Profile: ...

    # Authorization (CON-*)
    def authorization_status(self) -> AuthorizationStatus: ...

    def request_authorization(self) -> AuthorizationStatus: ...

    # Enablement (ACT-*)
    def upload_job_extension_enabled(self) -> bool: ...

    def set_upload_job_extension_enabled(self, enabled: bool) -> None: ...

    def enable_upload_job_extension(self, options: UploadJobOptions | None) -> None: ...

    def disable_upload_job_extension(self) -> None: ...

    def upload_job_extension_options(self) -> UploadJobOptions | None: ...

    def set_upload_job_extension_options(self, options: UploadJobOptions) -> None: ...

    # Jobs (STA-*, LIM-*)
    def job_limit(self) -> int: ...

    def fetch_jobs(self, action: Action) -> list[UploadJob]: ...

    def asset_resource_for_upload_job(self, local_identifier: str) -> AssetResource | None: ...

    # Change blocks (CRE-*, RET-*, ACK-*, CAN-*, ERR-05)
    def begin_changes(self) -> None: ...

    def commit_changes(self) -> None: ...

    def abort_changes(self) -> None: ...

    def create_job(self, destination: Request, resource: AssetResource) -> None: ...

    def creation_request_for_job(self, destination: Request, resource: AssetResource) -> ChangeRequest: ...

    def creation_request_for_download_job(self, resource: AssetResource) -> ChangeRequest: ...

    def change_request_for(self, local_identifier: str) -> ChangeRequest | None: ...

    # Library contents and change tracking (CRE-11, PRO-11, ERR-04)
    def fetch_assets(self) -> list[Asset]: ...

    def current_change_token(self) -> int: ...

    def fetch_persistent_changes(self, since: int) -> PersistentChanges: ...

    def register_persistent_changes_observer(self) -> None:
        """27: `registerPersistentChangesObserver(_:)`; needs read-write authorisation (CON-07)."""

    def unregister_persistent_changes_observer(self) -> None: ...


def perform_changes(library: PhotoLibrary, block: Callable[[], Any]) -> Any:
    """`performChangesAndWait`: run `block` inside a change block; commit, or abort if the block raised.

    Errors from the commit (e.g. `limitExceeded`) propagate as `PhotoKitError`.
    """
    library.begin_changes()
    try:
        value = block()
    except BaseException:
        library.abort_changes()
        raise
    library.commit_changes()
    return value


# ------------------------------------------------------------------------------------------------ APP


@runtime_checkable
class UploadExtension(Protocol):
    """One process lifetime of the app's upload extension (a kill ends it; the system makes a new one).

    The 26.x system calls `process`/`notify_termination` (PHBackgroundResourceUploadExtension); the 27
    system calls `process_jobs`/`will_terminate` (PHBackgroundResourceUploadJobExtension, AMB-27).
    """

    def process(self) -> ProcessingResult: ...

    def notify_termination(self) -> None: ...

    def process_jobs(self) -> Coroutine[Any, Any, ProcessingResult]: ...

    def will_terminate(self) -> Coroutine[Any, Any, None]: ...


@dataclass
class AppAccount:
    """What the app knows about its user's server account: where to upload and what the server needs.

    The server (CRE-05: "the server endpoint plus any authentication headers and metadata the server
    needs") wants every upload of a resource at `upload_url` (or a path under it) with the credential as
    `Authorization: Bearer <token>` and the resource's file name in `filename_header`; retries included.
    `token` is a callable so that a scenario can rotate credentials (field scenario 4) and an app that
    rebuilds its destination picks the fresh value up.
    """

    upload_url: str = "https://backup.example.com/upload"
    token: Callable[[], str] = field(default=lambda: "token-1")
    server_id_header: str = "x-server-id"
    max_attempts: int = 3
    filename_header: str = "X-Original-Filename"


@runtime_checkable
class BackupApp(Protocol):
    """The APP role: host app actions, a factory for extension processes, and the app's own ledger."""

    def turn_on_backup(self) -> bool:
        """The user turns backup on: ask for read-write access, enable only with full access (CON-02)."""

    def sign_out(self) -> None:
        """The user signs out or turns cloud sync off: the app disables the extension (ACT-16)."""

    def make_extension(self) -> UploadExtension:
        """Start a fresh extension process; in-memory state of earlier processes is gone."""

    def uploaded_resources(self) -> dict[str, str]:
        """The ledger: resource id -> server confirmation (server id, or "confirmed")."""

    def failed_resources(self) -> set[str]:
        """Resources the app gave up on after its bounded attempts and surfaced to the user."""


# ---------------------------------------------------------------------------------------- ENVIRONMENT


@dataclass(frozen=True)
class ProcessingCall:
    """One processing call the system made: when, with which outcome."""

    started: float
    ended: float
    result: ProcessingResult | None  # None when the call was killed
    killed: bool = False
    terminated: bool = False  # a termination notice was delivered during or right after it


@runtime_checkable
class Environment(Protocol):
    """Test-only control of the world around the SYSTEM. Time is virtual and owned by `now()`."""

    def now(self) -> float: ...

    def install_app(self, *, extension_registered: bool = True, url_base: str | None = "https://backup.example.com/") -> None: ...

    def attach_app(self, app: BackupApp) -> None:
        """Whose extension the scheduler calls (the harness passes a traced wrapper)."""

    def set_authorization(self, status: AuthorizationStatus) -> None: ...

    def set_limited_selection(self, asset_ids: Iterable[str]) -> None:
        """The assets the user picked under limited access (CON-04)."""

    def set_user_answer(self, status: AuthorizationStatus) -> None:
        """What the user answers when the app asks for access while status is notDetermined."""

    def add_assets(self, assets: Iterable[Asset]) -> None: ...

    def delete_asset(self, asset_id: str) -> None: ...

    def expire_change_history(self) -> None:
        """Prune the persistent change history past every token handed out (ERR-04)."""

    def set_network(self, network: Network) -> None: ...

    def set_power(self, ok: bool) -> None: ...

    def set_developer_mode(self, on: bool) -> None: ...

    def set_simulator(self, on: bool) -> None: ...

    def refuse_next_change_block(self, code: int) -> None:
        """Refuse the next change block that holds a change with `PhotoKitError(code)`, applying none of it:
        the situation PRO-12 is about (an error an app did not expect), created on purpose."""

    def set_job_limit(self, limit: int) -> None:
        """The jobLimit the SYSTEM reports and enforces from now on (LIM-05: @app scenarios vary it, so an app
        that assumes a value instead of reading it shows)."""

    def upload_over_http(self, interop_version: int) -> None:
        """From now on send every upload over real HTTP to its destination URL (a loopback server the harness
        runs), speaking that interop version of the resumable-upload draft, with each resource's bytes as
        `protocol.resource_bytes` gives them: the NET scenarios watch the wire from the server's side."""

    def script_uploads(self, outcomes: Iterable[UploadOutcome], resource_id: str | None = None) -> None:
        """Queue outcomes for the next upload attempts (of one resource, or of any); default success."""

    def advance(self, seconds: float) -> None:
        """Let virtual time pass: uploads progress and the scheduler makes processing calls."""

    def start_uploads(self, local_identifier: str | None = None) -> None:
        """Start the transfer of one registered job (or all) now: registered -> pending, finishing none."""

    def settle(self, local_identifier: str | None = None) -> None:
        """Let one job's upload (or every started one) finish now, making no processing call."""

    def spend(self, seconds: float) -> None:
        """Called by an extension during a processing call: it computes for `seconds` of virtual time
        without calling PhotoKit. The runtime limit and the termination grace apply at their moment."""

    def run_processing_call(self) -> ProcessingCall:
        """Make one processing call now, whatever the schedule says."""

    def schedule_termination(self, mode: TerminationMode, after_calls: int = 0, *, at_change: str | None = None) -> None:
        """Deliver a termination during the next processing call, after `after_calls` API calls.

        With `at_change` ("create", "acknowledge", "retry" or "cancel") a mid-call notice or hard kill is
        delivered instead the moment the app's first change block holding such a change has been committed
        inside a processing call: the change is applied, the extension never sees the commit return.
        """

    def processing_calls(self) -> list[ProcessingCall]: ...

    def next_processing_call_at(self) -> float | None:
        """When the scheduler plans the next call (None: monitoring, or nothing allowed)."""

    def job_snapshot(self, local_identifier: str) -> UploadJob | None:
        """Test-only look into the system's store: the job as a fetch would show it, or None if gone."""

    def job_for_resource(self, resource_id: str) -> str | None:
        """Test-only: the newest live job of a resource (26.1 `createJob` returns no identifier)."""

    def server_received(self) -> dict[str, int]:
        """Resource id -> how many complete copies the server stored."""

    def upload_attempts(self) -> list[tuple[str, Request]]:
        """Every upload attempt that reached the server: (resource id, destination), oldest first."""


@runtime_checkable
class SystemUnderTest(Protocol):
    """A SYSTEM implementation: the app-facing library plus its test environment."""

    library: PhotoLibrary
    environment: Environment


SystemFactory = Callable[[Profile, Assumptions], SystemUnderTest]
#: the SERVER role: a context manager that runs the server under test and yields its base URL
#: (`http://127.0.0.1:8000`); the harness probes it over real HTTP (bru_conformance.scenario.probe)
ServerFactory = Callable[[], AbstractContextManager[str]]
AppFactory = Callable[[PhotoLibrary, Profile, AppAccount], BackupApp]


@dataclass
class Implementation:
    """What an adapter provides: a SYSTEM factory, an APP factory, or both, and its identity."""

    name: str
    version: str
    system: SystemFactory | None = None
    app: AppFactory | None = None
    profiles: tuple[str, ...] = ()
    capabilities: frozenset[str] = frozenset()  # optional Environment controls it offers (CAPABILITIES)
    server: ServerFactory | None = None  # the SERVER role: starts the upload server, yields its base URL
    server_interop: tuple[int, ...] = ()  # the interop versions of the upload draft the server implements

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(r for r, f in (("system", self.system), ("app", self.app), ("server", self.server)) if f is not None)


TraceSink = Callable[[TraceEvent], None]

#: Optional Environment controls a SYSTEM implementation may offer, by the name it declares in `capabilities`
#: (in-process `Implementation.capabilities`, out-of-process the handshake's `capabilities`). A scenario that
#: needs one the SYSTEM under test does not declare is `unsupported`, never failed. The reference offers all.
CAPABILITIES: dict[str, str] = {
    "set-job-limit": "Environment.set_job_limit: the jobLimit reported and enforced from now on (LIM-05 scenarios vary it)",
    "refuse-next-change-block": "Environment.refuse_next_change_block: refuse the next non-empty change block with an error (PRO-03, PRO-12)",
    "upload-over-http": "Environment.upload_over_http: uploads go over real HTTP to a server the harness runs (NET-01..10)",
}
