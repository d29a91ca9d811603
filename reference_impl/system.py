"""The reference SYSTEM: PhotoKit's upload-job service for one app, plus its test environment.

`ReferenceSystem` implements the `PhotoLibrary` contract (what the app calls) and the `Environment`
contract (what scenarios control). It owns the pieces: the job queue and its transition table
(`queue`, `jobs`), the photo library (`library`), the simulated server (`transport`) and the call policy
(`scheduler`), and glues them to one virtual clock. It is sans-IO: nothing here sleeps, reads a socket
or looks at the wall clock.
"""

from __future__ import annotations

import functools
import heapq
import itertools
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bru_conformance.adapters import AdapterError
from bru_conformance.assumptions import Assumptions
from bru_conformance.contracts import BackupApp, ProcessingCall, UploadExtension
from bru_conformance.profiles import Profile
from bru_conformance.protocol import (
    Action,
    Asset,
    AssetResource,
    AuthorizationStatus,
    BruError,
    ChangeRequestOutsideBlockError,
    ExtensionKilled,
    JobState,
    JobType,
    NestedChangeBlockError,
    Network,
    PersistentChanges,
    PhotoKitError,
    PhotoKitErrorCode,
    PreconditionFailure,
    ProcessingResult,
    Request,
    TerminationMode,
    UploadJob,
    UploadJobOptions,
    UploadOutcome,
    URLError,
    URLErrorCode,
)

from .jobs import IN_FLIGHT, Event, Job, apply
from .library import PhotoLibraryContents
from .queue import ChangeBlock, JobQueue, StagedOp
from .scheduler import CallPolicy, Timings
from .transport import SimulatedServer, Transport

_API = "PHPhotoLibrary."
_JOB = "PHAssetResourceUploadJob."
_CR = "PHAssetResourceUploadJobChangeRequest."
_RESULT_VALUES = frozenset(ProcessingResult)  # what an extension may answer (built once, not per call)


@dataclass
class InstallFacts:
    """What the app bundle declares (ACT-04..06)."""

    extension_registered: bool = True
    url_base: str | None = "https://backup.example.com/"


@dataclass
class Configuration:
    """The per-app configuration record that enabling creates (ACT-24)."""

    options: UploadJobOptions = field(default_factory=UploadJobOptions)


class RefChangeRequest:
    """A change-request handle bound to the block that made it."""

    def __init__(self, system: ReferenceSystem, block: ChangeBlock, local_identifier: str, created: bool) -> None:
        self._system = system
        self._block = block
        self._id = local_identifier
        self._created = created

    def _stage(self, kind: str, api: str, destination: Request | None = None) -> None:
        self._system._enter(_CR + api)
        if self._system._block is not self._block:
            raise ChangeRequestOutsideBlockError(f"{api}() on a change request whose change block has ended")
        self._block.ops.append(StagedOp(kind, self._id, destination=destination))

    @property
    def placeholder(self) -> str | None:
        self._system.profile.require(_CR + "placeholderForCreatedAssetResourceUploadJob")
        return self._id if self._created else None

    def acknowledge(self) -> None:
        self._stage("acknowledge", "acknowledge")

    def retry(self, destination: Request | None) -> None:
        self._stage("retry", "retry", destination)

    def cancel(self) -> None:
        self._stage("cancel", "cancel")


def drive(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run an extension coroutine on virtual time: it may await, but nothing real can wake it."""
    try:
        while True:
            coro.send(None)
    except StopIteration as stop:
        return stop.value


@functools.cache
def _unavailable_fields(profile: Profile) -> frozenset[str]:
    """The job properties `profile` does not have, once per profile: every fetched job reads them."""
    return frozenset(name for name in ("resource", "type", "responseHeaderFields", "error") if not profile.has(_JOB + name))


class ReferenceSystem:
    """PhotoKit's background-upload service for one app, on a virtual clock."""

    def __init__(self, profile: Profile, assumptions: Assumptions | None = None,
                 timings: Timings | None = None, transport: Transport | None = None) -> None:
        self.profile = profile
        self.assumptions = assumptions or Assumptions()
        self.timings = timings or Timings()
        self.queue = JobQueue(self.assumptions.job_limit, self.assumptions.model("AMB-02") == "retry-checks-limit")
        self.photos = PhotoLibraryContents()
        self.server = SimulatedServer()
        self.transport: Transport = transport or self.server
        self.policy = CallPolicy(self.timings)
        self.install = InstallFacts()
        self.config: Configuration | None = None
        self.authorization = AuthorizationStatus.NOT_DETERMINED
        self.user_answer = AuthorizationStatus.AUTHORIZED
        self.network = Network.WIFI
        self.power_ok = True
        self.simulator = False
        self.diagnostics: list[str] = []
        self.observers = 0
        self._now = 0.0
        self._block: ChangeBlock | None = None
        self._due: list[tuple[float, int, str, JobState]] = []  # (time, seq, job id, state it must still be in)
        self._seq = itertools.count()
        self._app: BackupApp | None = None
        self._extension: UploadExtension | None = None
        self._calls: list[ProcessingCall] = []
        self._in_call = False
        self._call_api_count = 0
        self._call_started = 0.0
        self._created_in_call: list[str] = []
        self._deferred_starts: list[str] = []
        self._termination: tuple[TerminationMode, int] | None = None
        self._termination_at: str | None = None  # a change kind: deliver when a block holding it commits
        self._notice_at: float | None = None
        self._terminated_in_call = False
        self._refuse_next: int | None = None  # a scripted refusal of the next non-empty change block

    # ================================================================== PhotoLibrary (the SYSTEM role)
    def _enter(self, api: str) -> None:
        """Every app-facing call: check the profile, then `_tick`."""
        self.profile.require(api)
        self._tick()

    def _tick(self) -> None:
        """Inside a processing call: charge virtual time, deliver scripted terminations, enforce limits."""
        if not self._in_call:
            return
        self._call_api_count += 1
        self._now += self.timings.call_cost
        if self._termination and self._termination_at is None and self._call_api_count >= self._termination[1]:
            mode, _ = self._termination
            if mode is TerminationMode.HARD_KILL:
                self._termination = None
                raise ExtensionKilled("killed without notice")
            if mode is TerminationMode.NOTICE_MID_CALL:
                self._termination = None
                self._deliver_notice()
        self._enforce_limits()

    def _enforce_limits(self) -> None:
        limit = self.policy.runtime_limit
        if limit is not None and self._now - self._call_started > limit:
            self.diagnostics.append(f"runtime limit {limit} s exceeded: extension killed")
            raise ExtensionKilled("runtime limit exceeded")
        if self._notice_at is not None and self._now - self._notice_at > self.timings.termination_grace:
            self.diagnostics.append("extension kept working after the termination notice: killed")
            raise ExtensionKilled("did not stop after the termination notice")

    def spend(self, seconds: float) -> None:
        """The extension computes for `seconds` without calling PhotoKit; limits apply at their moment."""
        if not self._in_call:
            self._now += seconds
            return
        end = self._now + seconds
        if self._termination and self._termination_at is None and self._termination[0] is not TerminationMode.NOTICE_AFTER_CALL:
            mode, after = self._termination  # time spent counts like the calls it could have made
            at = self._now + max(0, after - self._call_api_count) * self.timings.call_cost
            if at <= end:
                self._now, self._call_api_count, self._termination = at, max(after, self._call_api_count), None
                self._enforce_limits()
                if mode is TerminationMode.HARD_KILL:
                    raise ExtensionKilled("killed without notice")
                self._deliver_notice()
        deadlines = [end]
        if self.policy.runtime_limit is not None:
            deadlines.append(self._call_started + self.policy.runtime_limit + self.timings.call_cost)
        if self._notice_at is not None:
            deadlines.append(self._notice_at + self.timings.termination_grace + self.timings.call_cost)
        self._now = min(deadlines)
        self._enforce_limits()
        self._now = max(self._now, deadlines[0])

    def authorization_status(self) -> AuthorizationStatus:
        return self.authorization

    def request_authorization(self) -> AuthorizationStatus:
        if self.authorization is AuthorizationStatus.NOT_DETERMINED:
            self.authorization = self.user_answer
        return self.authorization

    def _active(self) -> bool:
        """AMB-14: configuration exists, full access, extension still registered."""
        return (self.config is not None and self.authorization is AuthorizationStatus.AUTHORIZED
                and self.install.extension_registered)

    def upload_job_extension_enabled(self) -> bool:
        self._enter(_API + "uploadJobExtensionEnabled")
        return self._active()

    def _refuse_write(self) -> None:
        """Why an enable/disable/options write is refused (AMB-12); returns if allowed."""
        if self.simulator:
            raise PhotoKitError(PhotoKitErrorCode.INTERNAL_ERROR, "not available in the Simulator")
        if self.authorization is AuthorizationStatus.RESTRICTED:
            raise PhotoKitError(PhotoKitErrorCode.ACCESS_RESTRICTED, "photo library access is restricted")
        if self.authorization is not AuthorizationStatus.AUTHORIZED:
            raise PhotoKitError(PhotoKitErrorCode.ACCESS_USER_DENIED, f"full access required, status is {self.authorization.value}")

    def _enable(self, options: UploadJobOptions | None) -> None:
        self._refuse_write()
        if not self.install.extension_registered:
            raise PhotoKitError(PhotoKitErrorCode.INTERNAL_ERROR, "no extension registered for com.apple.photos.background-upload")
        base = self.install.url_base
        if not base or not urlsplit(base).scheme or not urlsplit(base).netloc:
            raise PhotoKitError(PhotoKitErrorCode.INTERNAL_ERROR, "BackgroundUploadURLBase missing or without scheme/host")
        if self.config is None:
            self.config = Configuration(options or UploadJobOptions())
            self.policy.on_enabled(self._now)
        elif options is not None:
            self.config.options = options  # AMB-26: enabling again replaces the options

    def _disable(self) -> None:
        if self.simulator:
            raise PhotoKitError(PhotoKitErrorCode.INTERNAL_ERROR, "not available in the Simulator")
        if self.config is None:
            return  # AMB-26: idempotent
        if self.authorization is not AuthorizationStatus.AUTHORIZED:
            raise PhotoKitError(PhotoKitErrorCode.ACCESS_USER_DENIED, "disabling needs full access (field: 3311)")
        self.config = None
        if self.assumptions.model("AMB-05") == "discard":
            self.queue.discard_all()
            self._due.clear()
        self.policy.on_disabled()

    def set_upload_job_extension_enabled(self, enabled: bool) -> None:
        self._enter(_API + "setUploadJobExtensionEnabled")
        self._enable(None) if enabled else self._disable()

    def enable_upload_job_extension(self, options: UploadJobOptions | None) -> None:
        self._enter(_API + "enableUploadJobExtension")
        self._enable(options if options is not None else UploadJobOptions())

    def disable_upload_job_extension(self) -> None:
        self._enter(_API + "disableUploadJobExtension")
        self._disable()

    def upload_job_extension_options(self) -> UploadJobOptions | None:
        self._enter(_API + "uploadJobExtensionOptions")
        if self.config is None or self.authorization is not AuthorizationStatus.AUTHORIZED:
            return None
        return self.config.options

    def set_upload_job_extension_options(self, options: UploadJobOptions) -> None:
        self._enter(_API + "setUploadJobExtensionOptions")
        if self.authorization is not AuthorizationStatus.AUTHORIZED:
            self._refuse_write()
        if self.config is None:
            raise PhotoKitError(PhotoKitErrorCode.IDENTIFIER_NOT_FOUND, "no upload configuration for this app")
        self.config.options = options
        self._restore_conditions()

    def job_limit(self) -> int:
        self._enter(_JOB + "jobLimit")
        return self.queue.job_limit

    def _snapshot(self, job: Job) -> UploadJob:
        p = self.profile
        missing = _unavailable_fields(p)
        resource = job.resource if job.resource.resource_id in self.photos.resources else None
        return UploadJob(local_identifier=job.local_identifier, state=job.state, destination=job.destination,
                         resource=resource, type=job.type, response_header_fields=job.response_header_fields,
                         error=job.error, profile=p.name, unavailable=missing)

    def fetch_jobs(self, action: Action) -> list[UploadJob]:
        self._enter(_JOB + "fetchJobs")
        self.profile.require(f"Action.{Action(action).name.lower()}")
        return [self._snapshot(j) for j in self.queue.fetch(Action(action))]

    def asset_resource_for_upload_job(self, local_identifier: str) -> AssetResource | None:
        self._enter("PHAssetResource.assetResource(forUploadJob:)")
        job = self.queue.live(local_identifier)
        if job is None:
            return None
        return self.photos.resources.get(job.resource.resource_id)  # AMB-22: nil once the asset is gone

    # ------------------------------------------------------------------------------- change blocks
    def begin_changes(self) -> None:
        if self._block is not None:
            raise NestedChangeBlockError("a change block is already open (performChanges inside performChanges)")
        self._block = ChangeBlock()

    def _open_block(self, api: str) -> ChangeBlock:
        self._enter(_CR + api)
        if self._block is None:
            raise ChangeRequestOutsideBlockError(f"{api} outside a change block")
        return self._block

    def abort_changes(self) -> None:
        self._block = None

    def commit_changes(self) -> None:
        if self._block is None:
            raise ChangeRequestOutsideBlockError("commit without an open change block")
        block, self._block = self._block, None
        self._tick()  # performChanges itself exists in every profile
        if self._refuse_next is not None and block.ops:
            code, self._refuse_next = self._refuse_next, None
            raise PhotoKitError(PhotoKitErrorCode(code), "refused as the scenario asked")
        creations = [op for op in block.ops if op.kind == "create"]
        if creations:
            if self.config is None:
                raise PreconditionFailure("creating upload jobs without an enabled configuration (AMB-10)")
            if self.authorization is not AuthorizationStatus.AUTHORIZED:
                raise PhotoKitError(PhotoKitErrorCode.ACCESS_USER_DENIED, "creating jobs needs full library access")
            if self.assumptions.model("AMB-25") == "reject-at-creation":
                bad = [op for op in creations if op.job_type is JobType.UPLOAD and not self._under_base(op.destination)]
                if bad:
                    raise PhotoKitError(PhotoKitErrorCode.CHANGE_NOT_SUPPORTED, "destination outside BackgroundUploadURLBase")
        for job in self.queue.commit(block):
            self._schedule_start(job.local_identifier)
        for op in block.ops:
            if op.kind == "retry":
                self._schedule_start(op.local_identifier)
        if any(op.kind == "cancel" for op in block.ops):
            self._cancelled()
        if self._termination and self._in_call and any(op.kind == self._termination_at for op in block.ops):
            mode, self._termination, self._termination_at = self._termination[0], None, None
            if mode is TerminationMode.HARD_KILL:  # the change stays applied; the process dies before it hears so
                raise ExtensionKilled("killed without notice right after the change block committed")
            if mode is TerminationMode.NOTICE_MID_CALL:
                self._deliver_notice()

    def create_job(self, destination: Request, resource: AssetResource) -> None:
        block = self._open_block("createJob")
        block.ops.append(StagedOp("create", self.queue.new_identifier(), destination, resource))

    def creation_request_for_job(self, destination: Request, resource: AssetResource) -> RefChangeRequest:
        block = self._open_block("creationRequestForJob")
        op = StagedOp("create", self.queue.new_identifier(), destination, resource)
        block.ops.append(op)
        return RefChangeRequest(self, block, op.local_identifier, created=True)

    def creation_request_for_download_job(self, resource: AssetResource) -> RefChangeRequest:
        block = self._open_block("creationRequestForDownloadJob")
        op = StagedOp("create", self.queue.new_identifier(), None, resource, JobType.DOWNLOAD_ONLY)
        block.ops.append(op)
        return RefChangeRequest(self, block, op.local_identifier, created=True)

    def change_request_for(self, local_identifier: str) -> RefChangeRequest | None:
        block = self._open_block("init(for:)")
        if self.queue.live(local_identifier) is None:
            return None  # AMB-09: the job no longer exists
        return RefChangeRequest(self, block, local_identifier, created=False)

    # ------------------------------------------------------------------------ library contents
    def fetch_assets(self) -> list[Asset]:
        if self.authorization not in (AuthorizationStatus.AUTHORIZED, AuthorizationStatus.LIMITED):
            return []
        return self.photos.visible(self.authorization is AuthorizationStatus.LIMITED)

    def current_change_token(self) -> int:
        return self.photos.token

    def fetch_persistent_changes(self, since: int) -> PersistentChanges:
        self._tick()
        return self.photos.changes_since(since)

    def register_persistent_changes_observer(self) -> None:
        self._enter(_API + "registerPersistentChangesObserver")
        if self.authorization is AuthorizationStatus.RESTRICTED:
            raise PhotoKitError(PhotoKitErrorCode.ACCESS_RESTRICTED, "photo library access is restricted")
        if self.authorization is not AuthorizationStatus.AUTHORIZED:
            raise PhotoKitError(PhotoKitErrorCode.ACCESS_USER_DENIED, "a persistent-changes observer needs read-write access")
        self.observers += 1

    def unregister_persistent_changes_observer(self) -> None:
        self._enter(_API + "registerPersistentChangesObserver")
        self.observers = max(0, self.observers - 1)

    # ====================================================================== uploads on the clock
    def _under_base(self, destination: Request | None) -> bool:
        base = urlsplit(self.install.url_base or "")
        dest = urlsplit(destination.url if destination else "")
        return (dest.scheme, dest.netloc) == (base.scheme, base.netloc) and dest.path.startswith(base.path or "/")

    def _schedule_start(self, local_identifier: str) -> None:
        if self._in_call:
            self._deferred_starts.append(local_identifier)  # AMB-20: after the call returns
        else:
            self._push(self._now + self.timings.start_delay, local_identifier)

    def _push(self, when: float, local_identifier: str, expected: JobState = JobState.REGISTERED) -> None:
        heapq.heappush(self._due, (when, next(self._seq), local_identifier, expected))

    def _work_allowed(self) -> bool:
        if self.network is Network.NONE or not self.power_ok:
            return False
        if self.network is Network.CELLULAR and self.config and self.config.options.prevents_expensive_network_access:
            return False  # ACT-23
        return True

    def _step_job(self, local_identifier: str, expected: JobState) -> None:
        job = self.queue.live(local_identifier)
        if job is None or job.state is not expected:
            return  # cancelled, discarded, started early or finished: a stale entry
        if job.state is JobState.REGISTERED:
            apply(job, Event.START)
            self._push(self._now + self.timings.upload_seconds, local_identifier, JobState.PENDING)
            return
        self._finish(job)

    def _finish(self, job: Job) -> None:
        """A transfer's end: the job succeeds or fails by what the transport (or iCloud) answered; the last job in
        flight to end drains the queue (a call owed after `.processing` may come)."""
        if job.type is JobType.UPLOAD and not self._under_base(job.destination):
            apply(job, Event.FAIL, error=URLError(URLErrorCode.BAD_URL))  # AMB-25 fail-job reading
        elif job.type is JobType.DOWNLOAD_ONLY:  # CRE-15/16: no HTTP, so never response headers (AMB-08)
            error = self.server.download(job.resource)
            apply(job, Event.SUCCEED) if error is None else apply(job, Event.FAIL, error=error)
        else:
            result = self.transport.attempt(job.destination, job.resource)
            if result.succeeded:
                apply(job, Event.SUCCEED, headers=result.headers)
            else:
                apply(job, Event.FAIL, error=result.error, headers=result.headers)
        if not any(j.state in IN_FLIGHT for j in self.queue.jobs.values() if not j.acknowledged):
            self.policy.on_jobs_drained(self._now)

    def _cancelled(self) -> None:
        """Cancelling the last job in flight drains the queue as an upload ending does: a call owed after a
        `.processing` answer waits for those jobs (PRO-05), and cancelled ones will never end by themselves."""
        if not self.in_flight():
            self.policy.on_jobs_drained(self._now)

    def _calls_allowed(self) -> bool:
        if self.config is None or not self.install.extension_registered or self._app is None:
            return False
        if self.authorization is not AuthorizationStatus.AUTHORIZED and self.assumptions.model("AMB-13") == "stops":
            return False
        if self.authorization in (AuthorizationStatus.NOT_DETERMINED, AuthorizationStatus.RESTRICTED):
            return False
        return self._work_allowed()

    def _next_event(self) -> tuple[float, str] | None:
        candidates: list[tuple[float, str]] = []
        if self._due and self._work_allowed() and self.config is not None:  # ACT-15: kept jobs (AMB-05 keep) wait
            candidates.append((self._due[0][0], "job"))
        if self.policy.next_call_at is not None and self._calls_allowed():
            candidates.append((max(self.policy.next_call_at, self._now), "call"))
        return min(candidates) if candidates else None

    # ============================================================================ Environment
    def now(self) -> float:
        return self._now

    def install_app(self, *, extension_registered: bool = True, url_base: str | None = "https://backup.example.com/") -> None:
        self.install = InstallFacts(extension_registered, url_base)

    def attach_app(self, app: BackupApp) -> None:
        self._app = app
        self._extension = None

    def set_authorization(self, status: AuthorizationStatus) -> None:
        regained = status is AuthorizationStatus.AUTHORIZED and self.authorization is not AuthorizationStatus.AUTHORIZED
        self.authorization = status
        if regained:  # the library the extension may see grew back: like a library change while monitoring
            self.policy.on_library_change(self._now)
            self._restore_conditions()

    def set_user_answer(self, status: AuthorizationStatus) -> None:
        self.user_answer = status

    def set_limited_selection(self, asset_ids: Iterable[str]) -> None:
        self.photos.limited_selection = set(asset_ids)

    def add_assets(self, assets: Iterable[Asset]) -> None:
        for asset in assets:
            self.photos.add(asset)
        self.policy.on_library_change(self._now)

    def delete_asset(self, asset_id: str) -> None:
        self.photos.delete(asset_id)
        self.policy.on_library_change(self._now)

    def expire_change_history(self) -> None:
        self.photos.prune_history()

    def _restore_conditions(self) -> None:
        if self._work_allowed():
            self.policy.on_conditions_restored(self._now)

    def set_network(self, network: Network) -> None:
        self.network = network
        self._restore_conditions()

    def set_power(self, ok: bool) -> None:
        self.power_ok = ok
        self._restore_conditions()

    def set_developer_mode(self, on: bool) -> None:
        self.profile.require("DeveloperMode")
        self.policy.developer_mode = on

    def set_simulator(self, on: bool) -> None:
        self.simulator = on

    def refuse_next_change_block(self, code: int) -> None:
        self._refuse_next = int(PhotoKitErrorCode(code))

    def upload_over_http(self, interop_version: int) -> None:
        from .http_transport import HttpTransport

        self.transport = HttpTransport(interop_version)

    def set_job_limit(self, limit: int) -> None:
        if limit < 1:
            raise BruError(f"a jobLimit must be positive, not {limit}")
        self.queue.job_limit = limit

    def script_uploads(self, outcomes: Iterable[UploadOutcome], resource_id: str | None = None) -> None:
        self.server.script(list(outcomes), resource_id)

    def schedule_termination(self, mode: TerminationMode, after_calls: int = 0, *, at_change: str | None = None) -> None:
        if at_change not in (None, "create", "acknowledge", "retry", "cancel"):
            raise BruError(f"no change kind {at_change!r}: use create, acknowledge, retry or cancel")
        self._termination, self._termination_at = (mode, after_calls), at_change

    def processing_calls(self) -> list[ProcessingCall]:
        return list(self._calls)

    def next_processing_call_at(self) -> float | None:
        return self.policy.next_call_at if self._calls_allowed() else None

    def job_snapshot(self, local_identifier: str) -> UploadJob | None:
        job = self.queue.live(local_identifier)
        return None if job is None else self._snapshot(job)

    def job_for_resource(self, resource_id: str) -> str | None:
        live = [j for j in self.queue.jobs.values() if not j.acknowledged and j.resource.resource_id == resource_id]
        return live[-1].local_identifier if live else None

    def server_received(self) -> dict[str, int]:
        return dict(self.server.stored)

    def upload_attempts(self) -> list[tuple[str, Request]]:
        return list(self.server.attempts)

    def advance(self, seconds: float) -> None:
        target = self._now + seconds
        while True:
            nxt = self._next_event()
            if nxt is None or nxt[0] > target:
                break
            when, kind = nxt
            self._now = max(self._now, when)
            if kind == "job":
                _, _, job_id, expected = heapq.heappop(self._due)
                self._step_job(job_id, expected)
            else:
                self.run_processing_call()
        self._now = max(self._now, target)

    def start_uploads(self, local_identifier: str | None = None) -> None:
        for job in list(self.queue.jobs.values()):
            if job.state is JobState.REGISTERED and local_identifier in (None, job.local_identifier):
                apply(job, Event.START)
                self._push(self._now + self.timings.upload_seconds, job.local_identifier, JobState.PENDING)

    def settle(self, local_identifier: str | None = None) -> None:
        if local_identifier is not None:  # drive one job to its result; its queued steps are dropped, not left stale
            while (job := self.queue.live(local_identifier)) is not None and job.state in IN_FLIGHT:
                self._step_job(local_identifier, job.state)
            self._due = [d for d in self._due if d[2] != local_identifier]
            heapq.heapify(self._due)
            return
        while self._due and self._work_allowed():
            when, _, job_id, expected = heapq.heappop(self._due)
            self._now = max(self._now, when)
            self._step_job(job_id, expected)

    def in_flight(self) -> int:
        return sum(1 for j in self.queue.jobs.values() if j.state in IN_FLIGHT and not j.acknowledged)

    # ===================================================================== calling the extension
    def _deliver_notice(self) -> None:
        ext = self._extension
        if ext is None:
            return
        self._terminated_in_call = True
        self._notice_at = self._now
        if self.profile.async_extension:
            drive(ext.will_terminate())
        else:
            ext.notify_termination()

    def run_processing_call(self) -> ProcessingCall:
        if self._app is None:
            raise BruError("no app attached: the system has no extension to call")
        if self._in_call:
            raise BruError("a processing call is already running")
        if self._extension is None:
            self._extension = self._app.make_extension()
        ext = self._extension
        self._in_call, self._call_api_count, self._call_started = True, 0, self._now
        self._created_in_call, self._deferred_starts = [], []
        self._terminated_in_call, self._notice_at = False, None
        if (self._termination and self._termination_at is None and self._termination[0] is TerminationMode.NOTICE_MID_CALL
                and self._termination[1] <= 0):
            self._termination = None
            self._deliver_notice()
        result: ProcessingResult | None = None
        killed = False
        try:
            answer = drive(ext.process_jobs()) if self.profile.async_extension else ext.process()
            result = ProcessingResult(answer) if isinstance(answer, int) and answer in _RESULT_VALUES else None
            if result is None:
                self.diagnostics.append(f"the extension answered {answer!r}, not a processing result: taken as a crash")
                killed = True
        except ExtensionKilled:
            killed = True
        except AdapterError:
            raise  # the harness lost an out-of-process adapter: not the extension's doing, reported as such
        except Exception as exc:  # the extension crashed: its process is gone, as after a kill
            self.diagnostics.append(f"the extension crashed: {type(exc).__name__}: {exc}")
            killed = True
        finally:
            self._in_call = False
            if self._block is not None:
                self._block = None  # a killed process's open change block dies with it
        started_jobs = list(dict.fromkeys(self._deferred_starts))
        for job_id in started_jobs:
            self._push(self._now + self.timings.start_delay, job_id)
        if not killed and self._termination and self._termination[0] is TerminationMode.NOTICE_AFTER_CALL:
            self._termination = None
            self._deliver_notice()
        terminated = self._terminated_in_call
        if killed or terminated:
            self._extension = None  # the process is gone; the next call starts a new one
        call = ProcessingCall(self._call_started, self._now, result, killed, terminated)
        self._calls.append(call)
        if result is not None and self.queue.fetch(Action.ACKNOWLEDGE) and result is ProcessingResult.COMPLETED:
            self.diagnostics.append("completed while acknowledgeable jobs remain (field: error 50008)")
        self.policy.on_call_ended(self._now, result, len(started_jobs), self.in_flight())
        return call

