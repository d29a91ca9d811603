"""The reference APP: a well-behaved photo-backup app following Apple's documented flow.

Host app: asks for read-write access and enables only with full access (CON-02), verifies the enable
(ACT-13), disables on sign-out (ACT-16).

Extension, one processing call (PRO-09, RET-05): reconcile what an interrupted process left behind,
record outcomes in the app's own ledger *before* acknowledging finished jobs (ACK-05, ACK-06), then
retry transient failures once with a freshly built destination and acknowledge permanent ones (RET-07),
re-queue an asset
whose retried job failed again (bounded attempts, then surfaced as failed), pick up new assets through
persistent change tokens (CRE-11), create jobs up to the free capacity (CRE-12), and return the result
the article prescribes (PRO-04..12). A termination flag is checked between steps (TER-03, TER-08).

Only the `AppStore` survives a kill: it stands for the App Group storage shared by app and extension.
Every write to it happens before the PhotoKit call it protects, so an interruption at any call leaves a
state the next call can reconcile (TER-07).
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bru_conformance.contracts import AppAccount, PhotoLibrary, perform_changes
from bru_conformance.profiles import Profile
from bru_conformance.protocol import (
    Action,
    AssetResource,
    AuthorizationStatus,
    JobState,
    JobType,
    PhotoKitError,
    PhotoKitErrorCode,
    ProcessingResult,
    Request,
    UploadJob,
    URLErrorCode,
)

_JOB = "PHAssetResourceUploadJob."


class InFlight(dict[str, "str | None"]):
    """Resource id -> the id of the job uploading it (None: created on 26.1, id unknown), with the way back.

    Every finished job asks which resource it carried. A scan of this map answered in jobLimit steps, each a
    look at a string far away in a large library's heap: 9 % of a 100,000-asset backup, and the part of it that
    grew faster than the library (profiled). The reverse index answers in one. It follows every way a dict is
    changed, so subclasses of the reference app (mutants, controls) that write the map directly keep it right."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self._by_job: dict[str, str] = {}
        self._shared: dict[str, int] = {}  # job id -> entries beyond the first under it (a broken variant's doing)
        self.update(*args, **kwargs)

    def resource_for(self, job_id: str) -> str | None:
        return self._by_job.get(job_id)

    def __setitem__(self, rid: str, jid: str | None) -> None:
        if rid in self:  # an entry changed in place keeps its place in the order: both jobs looked up again
            old = dict.__getitem__(self, rid)
            super().__setitem__(rid, jid)
            self._reindex(old)
            self._reindex(jid)
            return
        super().__setitem__(rid, jid)  # a new entry goes last: first under its job only if alone
        if jid is not None and self._by_job.setdefault(jid, rid) != rid:
            self._shared[jid] = self._shared.get(jid, 0) + 1

    def __delitem__(self, rid: str) -> None:
        jid = dict.__getitem__(self, rid)
        super().__delitem__(rid)
        if jid is None:
            return
        if not self._shared.get(jid):
            del self._by_job[jid]
            return
        self._shared[jid] -= 1
        if self._by_job[jid] == rid:
            self._reindex(jid)

    def pop(self, rid: str, *default: Any) -> Any:
        if rid not in self:
            return super().pop(rid, *default)
        jid = dict.__getitem__(self, rid)
        del self[rid]
        return jid

    def popitem(self) -> tuple[str, str | None]:
        if not self:
            raise KeyError("popitem(): dictionary is empty")
        rid = next(reversed(self.keys()))
        return rid, self.pop(rid)

    def setdefault(self, rid: str, jid: str | None = None) -> str | None:
        if rid not in self:
            self[rid] = jid
        return dict.__getitem__(self, rid)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for rid, jid in dict(*args, **kwargs).items():
            self[rid] = jid

    def clear(self) -> None:
        super().clear()
        self._by_job.clear()
        self._shared.clear()

    def _reindex(self, jid: str | None) -> None:
        """The way back for `jid` and its count from a scan: the first resource in order recorded under it, as a
        scan of the map would find it. Needed only where an entry changes in place (26.1's unknown id learnt) or
        the first of two entries under one job goes (only a broken variant records two under one job)."""
        if jid is None:
            return
        under = [rid for rid, other in self.items() if other == jid]
        self._by_job.pop(jid, None)
        self._shared.pop(jid, None)
        if under:
            self._by_job[jid] = under[0]
            if len(under) > 1:
                self._shared[jid] = len(under) - 1

    def __ior__(self, other: Any) -> InFlight:  # type: ignore[override]
        self.update(other)
        return self

    def copy(self) -> InFlight:
        return InFlight(self)

    def __reduce__(self) -> tuple[type, tuple[dict[str, str | None]]]:  # copies and pickles rebuild the index
        return InFlight, (dict(self),)


@dataclass
class AppStore:
    """The app's persistent bookkeeping (App Group container): survives extension kills."""

    token: int | None = None
    pending: OrderedDict[str, AssetResource] = field(default_factory=OrderedDict)
    in_flight: InFlight = field(default_factory=InFlight)  # resource id -> job id (None: 26.1, unknown)
    creating: dict[str, str | None] = field(default_factory=dict)   # written before a creation commit
    finishing: dict[str, str] = field(default_factory=dict)         # written before an acknowledge commit
    uploaded: dict[str, str] = field(default_factory=dict)          # resource id -> server confirmation
    attempts: dict[str, int] = field(default_factory=dict)          # resource id -> failed jobs so far
    failed: set[str] = field(default_factory=set)
    resources: dict[str, AssetResource] = field(default_factory=dict)
    assets: dict[str, tuple[str, ...]] = field(default_factory=dict)  # asset id -> its resources this app queued (an index)
    orphaned: set[str] = field(default_factory=set)  # in flight under an unknown job id, photo deleted since
    strays: int = 0  # finished jobs acknowledged that nobody could place, not yet paired with an orphan
    straying: set[str] = field(default_factory=set)  # such jobs, written before their acknowledge commit


class _Stopped(Exception):
    """The termination flag was seen inside a change block: abandon the block."""


class ReferenceExtension:
    """One extension process. Holds only the termination flag; all state lives in the store."""

    def __init__(self, app: ReferenceApp) -> None:
        self.app = app
        self.terminating = False

    # 26.1 protocol
    def process(self) -> ProcessingResult:
        return self.app.run_pass(self)

    def notify_termination(self) -> None:
        self.terminating = True

    # 27 protocol
    async def process_jobs(self) -> ProcessingResult:
        return self.app.run_pass(self)

    async def will_terminate(self) -> None:
        self.terminating = True


class ReferenceApp:
    """Host app plus extension logic; `library` is the SYSTEM it talks to (through the harness's trace)."""

    def __init__(self, library: PhotoLibrary, profile: Profile, account: AppAccount | None = None) -> None:
        self.library = library
        self.profile = profile
        self.account = account or AppAccount()
        self.store = AppStore()
        self._ext: ReferenceExtension | None = None  # the extension whose pass is running

    def _stopping(self) -> bool:
        """TER-03: a termination notice ends the pass at the next job, before another change block."""
        return self._ext is not None and self._ext.terminating

    # ------------------------------------------------------------------------------- host app
    def turn_on_backup(self) -> bool:
        if self.library.request_authorization() is not AuthorizationStatus.AUTHORIZED:
            return False  # CON-02: anything but full access means "do not enable"
        return self.enable_and_verify()

    def enable_and_verify(self) -> bool:
        """Enable with the profile's API (27: enableUploadJobExtension; 26.x: the setter), then check it took (ACT-13)."""
        try:
            if self.profile.has("enableUploadJobExtension"):
                self.library.enable_upload_job_extension(None)
            else:
                self.library.set_upload_job_extension_enabled(True)
        except PhotoKitError:
            return False
        return self.library.upload_job_extension_enabled()

    def sign_out(self) -> None:
        if self.profile.has("disableUploadJobExtension"):
            self.library.disable_upload_job_extension()
        else:
            self.library.set_upload_job_extension_enabled(False)
        self.store = AppStore()  # the account's bookkeeping goes with the account

    def make_extension(self) -> ReferenceExtension:
        return ReferenceExtension(self)

    def uploaded_resources(self) -> dict[str, str]:
        return dict(self.store.uploaded)

    def failed_resources(self) -> set[str]:
        return set(self.store.failed)

    # ------------------------------------------------------------------------------- helpers
    def destination(self, resource: AssetResource | None = None) -> Request:
        """A freshly built destination: current credentials every time (RET-02, field scenario 4), and the
        metadata the server needs (CRE-05), here the resource's file name."""
        headers = {"Authorization": f"Bearer {self.account.token()}"}
        if resource is not None:
            headers[self.account.filename_header] = resource.filename
        return Request.make(self.account.upload_url, "POST", headers)

    def _has(self, api: str) -> bool:
        return self.profile.has(api)

    def _resource_of(self, job: UploadJob) -> AssetResource | None:
        rid = self.store.in_flight.resource_for(job.local_identifier)
        if rid is not None:
            return self.store.resources.get(rid)
        if self._has("assetResourceForUploadJob"):
            return self.library.asset_resource_for_upload_job(job.local_identifier)
        return job.resource if self._has(_JOB + "resource") else None

    def _server_confirmation(self, job: UploadJob) -> str | None:
        """Proof from the server that it kept the bytes: its id header (26.4+), else the succeeded state."""
        if not self._has(_JOB + "responseHeaderFields"):
            return "confirmed" if job.state is JobState.SUCCEEDED else None
        headers = job.response_header_fields or {}
        return headers.get(self.account.server_id_header.lower())

    def _queue(self, resource: AssetResource) -> None:
        rid = resource.resource_id
        if rid in self.store.uploaded or rid in self.store.in_flight or rid in self.store.failed:
            return
        self.store.resources[rid] = resource
        queued = self.store.assets.get(resource.asset_id, ())
        if rid not in queued:  # an asset has one to three resources: a tuple of them is the least memory, and the
            self.store.assets[resource.asset_id] = (*queued, rid)  # collector stops tracking it (a list it walks)
        self.store.pending[rid] = resource

    # ------------------------------------------------------------------------------- one pass
    def run_pass(self, ext: ReferenceExtension) -> ProcessingResult:
        self._ext = ext
        try:
            self._reconcile()
            if ext.terminating:
                return ProcessingResult.PROCESSING
            # RET-05: acknowledge first, so a retry finds room where a retry at the jobLimit is refused (AMB-02,
            # the article's reading); PRO-09's retry-acknowledge-create is only the article's "typical" order
            self._acknowledge_finished()
            if ext.terminating:
                return ProcessingResult.PROCESSING  # TER-08
            self._retry_failed()
            self._cancel_redundant()
            if ext.terminating:
                return ProcessingResult.PROCESSING
            if self.library.authorization_status() is AuthorizationStatus.AUTHORIZED:
                self._sync_library()
                self._create_jobs(ext)
        except PhotoKitError as err:
            if err.code is PhotoKitErrorCode.LIMIT_EXCEEDED:
                return ProcessingResult.PROCESSING  # PRO-10
            if err.code is PhotoKitErrorCode.PERSISTENT_CHANGE_TOKEN_EXPIRED:
                self.store.token = None  # PRO-11: discard the token, re-sync next time
                return ProcessingResult.PROCESSING
            return ProcessingResult.FAILURE  # PRO-12
        if ext.terminating:
            return ProcessingResult.PROCESSING
        work_left = bool(self.store.in_flight or self.store.creating or
                         (self.store.pending and self.library.authorization_status() is AuthorizationStatus.AUTHORIZED))
        # PRO-04 (MUST) over PRO-08 (SHOULD): unacknowledged jobs are pending work even when this call
        # made no progress, so `.completed` is returned only when nothing is left at all.
        return ProcessingResult.PROCESSING if work_left else ProcessingResult.COMPLETED

    def _reconcile(self) -> None:
        """Changes a kill interrupted: creations PhotoKit knows are in flight, the rest go back to the
        queue; acknowledgements that took effect end their job's in-flight entry."""
        if not self.store.creating and not self.store.finishing and not self.store.straying:
            return
        live: set[str] = {j.local_identifier for a in self._fetch_actions() for j in self.library.fetch_jobs(a)}
        self.store.straying -= live  # those still fetched were not acknowledged
        self._strayed()
        for rid, jid in list(self.store.finishing.items()):
            del self.store.finishing[rid]
            if jid not in live and self.store.in_flight.get(rid) in (jid, None):
                self.store.in_flight.pop(rid, None)
        for rid, jid in list(self.store.creating.items()):
            del self.store.creating[rid]
            if jid is not None and jid in live:
                self.store.in_flight[rid] = jid
                self.store.pending.pop(rid, None)
            else:
                self.store.pending[rid] = self.store.resources[rid]
                self.store.pending.move_to_end(rid, last=False)

    def _fetch_actions(self) -> list[Action]:
        actions = [Action.ACKNOWLEDGE, Action.RETRY]
        return actions + [Action.PROCESS] if self._has("Action.process") else actions

    def _retry_failed(self) -> bool:
        """RET-06/07: retry transient failures once with a fresh destination; acknowledge the rest."""
        did = False
        for job in self.library.fetch_jobs(Action.RETRY):
            if self._stopping():
                break
            error = job.error if self._has(_JOB + "error") else None
            confirmed = self._server_confirmation(job) if self._has(_JOB + "responseHeaderFields") else None
            if confirmed or (error is not None and error.is_permanent):
                resource = self._resource_of(job)
                if resource is not None:
                    self._record(resource, confirmed, job)
                acknowledge = lambda: self._change(job, lambda cr: cr.acknowledge())  # noqa: B023 - called at once
                did |= bool(self._ending([(job, self._placed(resource))], acknowledge))
            else:
                fresh = self.destination(self._resource_of(job))
                try:
                    retried = self._change(job, lambda cr: cr.retry(fresh))  # noqa: B023 - called at once
                except PhotoKitError as err:
                    if err.code is not PhotoKitErrorCode.LIMIT_EXCEEDED:
                        raise
                    # AMB-02 article reading: no room for the retry. When failed jobs fill every slot, waiting
                    # frees none (exploration found that deadlock): give this one up as an attempt that failed
                    # (the photo is queued again, PRC-01) and acknowledge it, which makes room for the others.
                    resource = self._resource_of(job)
                    if resource is not None:
                        self._record(resource, None, job)
                    acknowledge = lambda: self._change(job, lambda cr: cr.acknowledge())  # noqa: B023 - called at once
                    did |= bool(self._ending([(job, self._placed(resource))], acknowledge))
                    continue
                did |= retried
                resource = self._resource_of(job) if retried else None
                if resource is not None and resource.resource_id not in self.store.in_flight:
                    # a job this app's records did not know (e.g. made by another process): adopt it, so
                    # the photo is not queued for a second job while this one is retried
                    self.store.resources.setdefault(resource.resource_id, resource)
                    self.store.in_flight[resource.resource_id] = job.local_identifier
                    self.store.pending.pop(resource.resource_id, None)
        return did

    def _acknowledge_finished(self) -> bool:
        """ACK-05/06/08: record each outcome in the ledger, then acknowledge, in one change block."""
        jobs = self.library.fetch_jobs(Action.ACKNOWLEDGE)
        retryable = {j.local_identifier for j in self.library.fetch_jobs(Action.RETRY)}
        if self._stopping():
            return False  # before anything is recorded: the next pass records and acknowledges them
        done: list[tuple[UploadJob, AssetResource | None]] = []
        for job in jobs:
            if job.local_identifier in retryable:
                continue  # AMB-04: handled by the retry pass, never twice
            resource = self._resource_of(job)
            is_download = self._has(_JOB + "type") and job.type is JobType.DOWNLOAD_ONLY  # ACK-07
            if resource is not None and not is_download:
                self._record(resource, self._server_confirmation(job), job)
            done.append((job, self._placed(resource, done)))
        if not done:
            return False

        def block() -> None:
            for job, _ in done:
                request = self.library.change_request_for(job.local_identifier)
                if request is not None:  # STA-13: the failable initialiser
                    request.acknowledge()

        self._ending(done, lambda: perform_changes(self.library, block))
        return True

    def _ending(self, pairs: list[tuple[UploadJob, AssetResource | None]], commit) -> Any:  # type: ignore[no-untyped-def]
        """Commit a change that ends jobs, with the intent written first so a kill at the commit is recoverable:
        the resources they end in the records, and (while jobs of unknown id are in flight) the jobs nobody
        can place, counted as strays once acknowledged (`_reconcile` after a kill, `_forget_deleted`)."""
        ended = {r.resource_id: j.local_identifier for j, r in pairs if r is not None}
        self.store.finishing.update(ended)
        if any(jid is None for jid in self.store.in_flight.values()):
            self.store.straying = {j.local_identifier for j, r in pairs if r is None}
        value = commit()
        for rid in ended:
            self.store.finishing.pop(rid, None)
            self.store.in_flight.pop(rid, None)
        self._strayed()
        return value

    def _cancel_redundant(self) -> bool:
        """CAN-03/04 (26.5+): cancel queued jobs (found with `.process`) for resources already on the server."""
        if not self._has("Action.process"):
            return False
        did = False
        for job in self.library.fetch_jobs(Action.PROCESS):
            resource = self._resource_of(job)
            if (resource is not None and resource.resource_id in self.store.uploaded
                    and self.store.in_flight.get(resource.resource_id) != job.local_identifier):
                did |= self._change(job, lambda cr: cr.cancel())
        return did

    def _record(self, resource: AssetResource, confirmation: str | None, job: UploadJob) -> None:
        """The ledger: uploaded only on server confirmation; otherwise count an attempt and re-queue."""
        rid = resource.resource_id
        if confirmation:
            self.store.uploaded[rid] = confirmation
            return
        self.store.attempts[rid] = self.store.attempts.get(rid, 0) + 1
        error = job.error if self._has(_JOB + "error") else None
        rejected = error is not None and error.code is URLErrorCode.BAD_SERVER_RESPONSE
        if rejected or self.store.attempts[rid] >= self.account.max_attempts:
            self.store.failed.add(rid)  # surfaced to the user
        elif rid in self.store.resources and rid not in self.store.uploaded:
            self.store.pending[rid] = self.store.resources[rid]

    def _placed(self, resource: AssetResource | None,
                pairing: Sequence[tuple[UploadJob, AssetResource | None]] = ()) -> AssetResource | None:
        """The resource a finished job ends in the app's records: its own, or for a job nobody can place
        (resource nil), one whose photo was deleted while its job's id was unknown (26.1). Without the
        pairing the app would wait for that job forever and never answer `.completed`. The orphan leaves the
        records only when the acknowledgement commits (`_ending`); `pairing` is the block's pairs so far."""
        if resource is not None:
            return resource
        free = sorted(self._orphans() - {r.resource_id for _, r in pairing if r is not None})
        return self.store.resources[free[0]] if free else None

    def _strayed(self) -> None:
        """The written-down strays were acknowledged: count them, to pair when the deletion shows (`_forget_deleted`)."""
        self.store.strays += len(self.store.straying)
        self.store.straying = set()

    def _change(self, job: UploadJob, mutate) -> bool:  # type: ignore[no-untyped-def]
        """One change block applying `mutate` to the job's change request; False if the job is gone (STA-13)."""

        def block() -> bool:
            request = self.library.change_request_for(job.local_identifier)
            if request is None:
                return False
            mutate(request)
            return True

        return bool(perform_changes(self.library, block))

    def _sync_library(self) -> None:
        """CRE-11: first run enumerates the library; later runs read persistent changes since the token."""
        if self.store.token is None:
            token = self.library.current_change_token()
            present: set[str] = set()
            for asset in self.library.fetch_assets():
                present.add(asset.asset_id)
                for resource in asset.resources:
                    self._queue(resource)
            self._forget_deleted(present=present)  # deletions a lost history did not tell
            self.store.token = token
            return
        changes = self.library.fetch_persistent_changes(self.store.token)
        if changes.inserted or changes.updated:
            wanted = set(changes.inserted) | set(changes.updated)
            for asset in self.library.fetch_assets():
                if asset.asset_id in wanted:
                    for resource in asset.resources:
                        self._queue(resource)
        self._forget_deleted(changes.deleted)
        self.store.token = changes.token

    def _forget_deleted(self, deleted: Iterable[str] | None = None, present: set[str] | None = None) -> None:
        """Photos deleted from the library: no job is made for them any more. A job already made for one with
        26.1's createJob has no known identifier, and with its photo gone the job names no resource either
        (AMB-22): it becomes an orphan, paired with the next finished job nobody can place.

        `deleted` names the deleted assets (a change list: work proportional to the change, never to the
        library); `present` is a full enumeration after a lost history (the one O(library) pass)."""
        if present is not None:
            gone = [r for r, res in self.store.pending.items() if res.asset_id not in present]
            gone += [r for r, jid in self.store.in_flight.items() if self.store.resources[r].asset_id not in present]
        else:
            gone = [r for asset_id in (deleted or ()) for r in self.store.assets.get(asset_id, ())]
        for rid in gone:
            self.store.pending.pop(rid, None)
            if rid in self.store.in_flight and self.store.in_flight[rid] is None:
                self.store.orphaned.add(rid)
        if self.store.strays:
            for rid in sorted(self._orphans())[:self.store.strays]:
                del self.store.in_flight[rid]
                self.store.strays -= 1

    def _orphans(self) -> set[str]:
        """The orphans still in flight (an acknowledgement that paired one has ended its entry)."""
        self.store.orphaned &= {r for r, jid in self.store.in_flight.items() if jid is None}
        return self.store.orphaned

    def _create_jobs(self, ext: ReferenceExtension) -> bool:
        """CRE-12: fill free capacity (read jobLimit at run time, LIM-05) in one change block."""
        if not self.store.pending:
            return False
        free = self.library.job_limit() - len(self.store.in_flight) - len(self.store.creating)
        # TER-07: the batch stays in `pending` (which survives a kill) until the creations are committed
        batch = list(itertools.islice(self.store.pending.values(), max(free, 0)))  # O(batch), not O(library)
        if not batch or ext.terminating:
            return False
        use_request = self._has("creationRequestForJob")

        def block() -> None:
            for resource in batch:
                if ext.terminating:
                    raise _Stopped  # TER-03: drop the unfinished change block; nothing of it is applied
                if use_request:
                    request = self.library.creation_request_for_job(self.destination(resource), resource)
                    self.store.creating[resource.resource_id] = request.placeholder
                else:
                    self.library.create_job(self.destination(resource), resource)
                    self.store.creating[resource.resource_id] = None

        try:
            perform_changes(self.library, block)
        except (PhotoKitError, _Stopped) as err:
            for r in batch:
                self.store.creating.pop(r.resource_id, None)
            if isinstance(err, _Stopped):
                return False
            raise
        for resource in batch:
            self.store.in_flight[resource.resource_id] = self.store.creating.pop(resource.resource_id)
            self.store.pending.pop(resource.resource_id, None)
        return True


def create_app(library: PhotoLibrary, profile: Profile, account: AppAccount) -> ReferenceApp:
    """The `AppFactory` of the reference APP."""
    return ReferenceApp(library, profile, account)
