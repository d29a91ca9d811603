"""Mutants for the suite's blind spots (issue 11): bugs the catalogue of d9bc6c5 let through.

Each class is a small variant of the reference SYSTEM or APP with one plausible bug, grouped by the
issue's blind-spot classes: which entry point the system calls (1), work done inside a processing call
(2), conditions restored later (3), limits per call rather than per process (4), mixed change blocks at
the jobLimit (5), a constant jobLimit (6), worlds too simple for the bug to show (7) and checks that
could not fail (8). On d9bc6c5 none of them failed its targeted rules, and all but
`app_extension_lacks_termination` (whose missing method crashed the TER scenarios there) passed the whole
suite of their role. The description says what each breaks and, where the rule is a judgement call, why
that rule. The entry-point mutants re-route only the termination notice: a system that also called the
wrong processing method was already caught by d9bc6c5's VER-01/VER-04 entry-point scenarios.
"""

from __future__ import annotations

import heapq
from typing import Any

from bru_conformance.contracts import perform_changes
from bru_conformance.protocol import (
    APIUnavailableError,
    AuthorizationStatus,
    ExtensionKilled,
    JobState,
    NestedChangeBlockError,
    Network,
    PhotoKitError,
    PhotoKitErrorCode,
    ProcessingResult,
    Request,
    UploadJobOptions,
)

from ..app import ReferenceApp, ReferenceExtension
from ..queue import ChangeBlock, JobQueue
from ..scheduler import CallPolicy
from ..system import Configuration, ReferenceSystem, drive
from . import register

S, A = "system", "app"
_LIMIT = PhotoKitErrorCode.LIMIT_EXCEEDED


class _View:
    """A thin view of a `PhotoLibrary` that changes one answer; everything else passes through."""

    def __init__(self, library: Any) -> None:
        self._library = library

    def __getattr__(self, name: str) -> Any:
        return getattr(self._library, name)


class _Bridge:
    """How a SYSTEM reaches an extension process: forwards everything unless a subclass re-routes a method."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _BridgedSystem(ReferenceSystem):
    """Base of the mutants whose bug lives in the host's bridge to the extension process."""

    def _bridge(self, extension: Any) -> Any:
        return extension

    def run_processing_call(self):  # type: ignore[no-untyped-def]
        if self._app is not None and self._extension is None:
            self._extension = self._bridge(self._app.make_extension())  # the reference then reuses this process
        return super().run_processing_call()


# ============================================================================ 1. which entry point
class _NoticeThroughLegacyMethod(_Bridge):
    async def will_terminate(self) -> None:
        self._inner.notify_termination()  # the 26.1 selector, where 27 defines willTerminate()


@register("legacy_notice_on_27", S, ("TER-02", "VER-04"),
          "on 27 the termination notice is delivered through the deprecated notifyTermination(), never willTerminate(); "
          "processJobs() is called as it should be")
class LegacyNoticeOn27(_BridgedSystem):
    def _bridge(self, extension: Any) -> Any:
        return _NoticeThroughLegacyMethod(extension) if self.profile.async_extension else extension


class _NoticeThroughAsyncMethod(_Bridge):
    def notify_termination(self) -> None:
        drive(self._inner.will_terminate())  # the 27 method, which the 26.x protocol does not have


@register("async_notice_on_26", S, ("TER-01", "VER-01"),
          "on 26.x the termination notice is delivered through the 27 willTerminate(), never notifyTermination() "
          "(the notice path was ported to the new protocol and not kept per version); process() is called as it should be")
class AsyncNoticeOn26(_BridgedSystem):
    def _bridge(self, extension: Any) -> Any:
        return extension if self.profile.async_extension else _NoticeThroughAsyncMethod(extension)


class _NoTerminationExtension(ReferenceExtension):
    """The principal class implements the processing method only: the termination method is not there."""

    def notify_termination(self) -> None:
        raise AttributeError(f"'{type(self).__name__}' object has no attribute 'notify_termination'")

    async def will_terminate(self) -> None:
        raise AttributeError(f"'{type(self).__name__}' object has no attribute 'will_terminate'")


@register("app_extension_lacks_termination", A, ("ACT-07",),
          "the extension's principal class implements the processing method but not the termination method of its "
          "protocol: a termination notice fails as if the method were missing")
class ExtensionLacksTermination(ReferenceApp):
    def make_extension(self) -> ReferenceExtension:
        return _NoTerminationExtension(self)


# ============================================================================ 2. work inside a processing call
class _SuccessOnlyDrainPolicy(CallPolicy):
    """Waits for the call's jobs to *succeed*: a failure that empties the queue does not end the wait."""

    def __init__(self, timings: Any, system: NoCallAfterFailedJobs) -> None:
        super().__init__(timings)
        self._system = system

    def on_jobs_drained(self, now: float) -> None:
        stepping = self._system._stepping
        job = self._system.queue.live(stepping) if stepping is not None else None
        if job is not None and job.state is JobState.FAILED:
            return  # the wait stays open with nothing left to finish: no call ever comes
        super().on_jobs_drained(now)


@register("no_call_after_failed_jobs", S, ("PRO-05",),
          "after .processing from a call that created jobs, the next call waits for those jobs to succeed: when the last "
          "of them fails instead, the extension is never called again")
class NoCallAfterFailedJobs(ReferenceSystem):
    _stepping: str | None = None

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.policy = _SuccessOnlyDrainPolicy(self.timings, self)

    def _step_job(self, local_identifier: str, expected: JobState) -> None:
        self._stepping = local_identifier
        try:
            super()._step_job(local_identifier, expected)
        finally:
            self._stepping = None


@register("retry_in_call_never_started", S, ("RET-01",),
          "a retry committed inside a processing call is never started: the call's deferred-start list takes only the "
          "jobs the call created, so the retried job stays registered and is never sent (PRO-17: the system performs "
          "every job's transfer; RET-02's destination never gets used at all)")
class RetryInCallNeverStarted(ReferenceSystem):
    def _schedule_start(self, local_identifier: str) -> None:
        job = self.queue.live(local_identifier)
        if self._in_call and job is not None and job.retried:
            return
        super()._schedule_start(local_identifier)


@register("starts_lost_on_kill", S, ("PRO-17",),
          "jobs committed in a processing call that is then killed are never started: the list of jobs to start after "
          "the call lives with the killed extension's session and is dropped with it, so those jobs stay registered")
class StartsLostOnKill(ReferenceSystem):
    def run_processing_call(self):  # type: ignore[no-untyped-def]
        call = super().run_processing_call()
        if call.killed and self._deferred_starts:
            lost = set(self._deferred_starts)
            self._due = [e for e in self._due if not (e[2] in lost and e[3] is JobState.REGISTERED)]
            heapq.heapify(self._due)
        return call


# ============================================================================ 3. conditions restored later
@register("missed_call_never_rescheduled", S, ("PRO-02",),
          "a processing call that falls due while the device is offline or power forbids work is consumed as if it had "
          "run (.completed): once the network or power comes back no call follows, until some library change")
class MissedCallNeverRescheduled(ReferenceSystem):
    def advance(self, seconds: float) -> None:
        due = self.policy.next_call_at
        blocked = self.network is Network.NONE or not self.power_ok
        if (due is not None and blocked and due <= self._now + seconds and self.config is not None
                and self._app is not None):
            self.policy.next_call_at = None
            self.policy.monitoring = True  # the launch failed quietly and the scheduler went back to watching
        super().advance(seconds)


# ============================================================================ 4. limits per call
@register("runtime_limit_from_launch", S, ("LIM-06",),
          "the runtime limit is measured from the extension process's launch, not from each call's start: a process "
          "kept alive between calls is killed early in its second call")
class RuntimeLimitFromLaunch(ReferenceSystem):
    _launched = 0.0

    def run_processing_call(self):  # type: ignore[no-untyped-def]
        if self._extension is None:
            self._launched = self._now  # the process starts now; the watchdog is armed once per process
        return super().run_processing_call()

    def _from_launch(self, fn: Any, *args: Any) -> Any:
        started, self._call_started = self._call_started, min(self._call_started, self._launched)
        try:
            return fn(*args)
        finally:
            self._call_started = started

    def _enforce_limits(self) -> None:
        self._from_launch(super()._enforce_limits)

    def spend(self, seconds: float) -> None:
        self._from_launch(super().spend, seconds)


# ============================================================================ 5. mixed blocks at the limit
class _KeepsChangesQueue(JobQueue):
    kept_retries: list[str] = []

    def commit(self, block: ChangeBlock):  # type: ignore[no-untyped-def]
        self.kept_retries = []
        try:
            return super().commit(block)
        except PhotoKitError as err:
            if err.code is not _LIMIT:
                raise
            rest = ChangeBlock([op for op in block.ops if op.kind != "create"])
            if rest.ops:
                try:
                    super().commit(rest)  # the block's other changes were applied before the creations were checked
                    self.kept_retries = [op.local_identifier for op in rest.ops if op.kind == "retry"]
                except PhotoKitError:
                    pass
            raise


@register("refused_block_keeps_changes", S, ("CRE-07",),
          "a change block refused with limitExceeded still applies its acknowledgements, cancels and retries; only its "
          "creations are dropped (AMB-07 all-or-nothing is the reading in force)")
class RefusedBlockKeepsChanges(ReferenceSystem):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.queue = _KeepsChangesQueue(self.queue.job_limit, self.queue.retry_checks_limit)

    def commit_changes(self) -> None:
        try:
            super().commit_changes()
        except PhotoKitError:
            for job_id in getattr(self.queue, "kept_retries", []):
                self._schedule_start(job_id)
            raise


# ============================================================================ 6. a constant jobLimit
@register("job_limit_reports_constant", S, ("LIM-05",),
          "jobLimit always reports 50 (a compiled-in constant) while the queue enforces the configured limit")
class JobLimitReportsConstant(ReferenceSystem):
    def job_limit(self) -> int:
        super().job_limit()
        return 50


class _LimitView(_View):
    def __init__(self, library: Any, value: Any) -> None:
        super().__init__(library)
        self._value = value

    def job_limit(self) -> int:
        return self._value()


@register("app_reads_limit_assumes_50", A, ("LIM-05",),
          "the app reads jobLimit (and logs it) but sizes its batches with a constant 50")
class ReadsLimitAssumes50(ReferenceApp):
    def _create_jobs(self, ext: ReferenceExtension) -> bool:
        if self.store.pending:
            self.library.job_limit()  # read, then ignored
        library = self.library
        self.library = _LimitView(library, lambda: 50)  # type: ignore[assignment]
        try:
            return super()._create_jobs(ext)
        finally:
            self.library = library


@register("app_caches_job_limit", A, ("LIM-05",),
          "the app reads jobLimit once, stores it with its settings and uses that first value forever")
class CachesJobLimit(ReferenceApp):
    def _create_jobs(self, ext: ReferenceExtension) -> bool:
        library, store = self.library, self.store

        def cached_limit() -> int:
            if getattr(store, "job_limit_cache", None) is None:
                store.job_limit_cache = library.job_limit()  # type: ignore[attr-defined]
            return store.job_limit_cache  # type: ignore[attr-defined]

        self.library = _LimitView(library, cached_limit)  # type: ignore[assignment]
        try:
            return super()._create_jobs(ext)
        finally:
            self.library = library


# ============================================================================ 7. worlds too simple
@register("app_first_resource_only", A, ("CRE-04",),
          "the app makes a job only for the first resource of each asset: a Live Photo's paired video and an edited "
          "photo's full-size render are never uploaded")
class FirstResourceOnly(ReferenceApp):
    def _queue(self, resource) -> None:  # type: ignore[no-untyped-def]
        first: dict[str, str] = self.store.__dict__.setdefault("first_resource", {})
        if first.setdefault(resource.asset_id, resource.resource_id) == resource.resource_id:
            super()._queue(resource)


class _FilenameView(_View):
    """Creations carry the article's metadata header, the resource's original filename (kept if already there)."""

    def __init__(self, library: Any, header: str) -> None:
        super().__init__(library)
        self._header = header

    def _with_name(self, destination: Request, resource: Any) -> Request:
        return Request.make(destination.url, destination.method, {**dict(destination.headers), self._header: resource.filename})

    def create_job(self, destination: Request, resource: Any) -> Any:
        return self._library.create_job(self._with_name(destination, resource), resource)

    def creation_request_for_job(self, destination: Request, resource: Any) -> Any:
        return self._library.creation_request_for_job(self._with_name(destination, resource), resource)


@register("app_retry_drops_metadata", A, ("CRE-05",),
          "new jobs carry Authorization and the original-filename header (the article's sample), but a retry's fresh "
          "destination is rebuilt with Authorization only: the retried upload reaches the server without its filename")
class RetryDropsMetadata(ReferenceApp):
    _retrying = False

    def destination(self, *args: Any) -> Request:  # type: ignore[override]
        if self._retrying:  # the retry path rebuilds the request from the credentials alone
            return Request.make(self.account.upload_url, "POST", {"Authorization": f"Bearer {self.account.token()}"})
        return super().destination(*args)

    def _retry_failed(self) -> bool:
        self._retrying = True
        try:
            return super()._retry_failed()
        finally:
            self._retrying = False

    def _create_jobs(self, ext: ReferenceExtension) -> bool:
        library = self.library
        header = getattr(self.account, "filename_header", "X-Original-Filename")
        self.library = _FilenameView(library, header)  # type: ignore[assignment]
        try:
            return super()._create_jobs(ext)
        finally:
            self.library = library


@register("app_waits_for_deleted_photo", A, ("PRO-08",),
          "when the library reports a photo deleted, the app drops it from its photo table, also while the photo's job is "
          "queued or uploading; that job then maps to no photo when it finishes, is acknowledged, but never leaves the "
          "app's in-flight list, so every later call answers .processing with nothing to do")
class WaitsForDeletedPhoto(ReferenceApp):
    def _forget_deleted(self, deleted=None, present=None) -> None:  # type: ignore[no-untyped-def]
        gone: set[str] = self.store.__dict__.setdefault("deleted_photos", set())
        is_gone = (lambda a: a not in present) if present is not None else set(deleted or ()).__contains__
        for rid in [r for r, res in self.store.pending.items() if is_gone(res.asset_id)]:
            del self.store.pending[rid]
        gone.update(r for r in self.store.in_flight if r in self.store.resources
                    and is_gone(self.store.resources[r].asset_id))

    def _resource_of(self, job):  # type: ignore[no-untyped-def]
        resource = super()._resource_of(job)
        gone = self.store.__dict__.get("deleted_photos", set())
        return None if resource is None or resource.resource_id in gone else resource

    def _placed(self, resource, pairing=()):  # type: ignore[no-untyped-def]
        return resource  # nothing pairs a job that maps to no photo with the entry it should end


@register("app_process_action_before_26_5", A, ("VER-03",),
          "the app fetches jobs with Action.process on every profile, also before 26.5 where the action does not exist, "
          "and takes the refusal for an empty result")
class ProcessActionBefore265(ReferenceApp):
    _forcing = False

    def _has(self, api: str) -> bool:
        return (self._forcing and api == "Action.process") or super()._has(api)

    def _cancel_redundant(self) -> bool:
        self._forcing = True
        try:
            return super()._cancel_redundant()
        except APIUnavailableError:
            return False  # "no jobs to cancel"
        finally:
            self._forcing = False


class _NestingView(_View):
    """The acknowledge pass calls the app's one-job helper, which opens its own change block, from inside its
    batch block; when PhotoKit throws for the nested block the catch-all falls back to the open block."""

    def change_request_for(self, local_identifier: str) -> Any:
        library = self._library
        try:
            perform_changes(library, lambda: _acknowledge(library, local_identifier))
        except NestedChangeBlockError:
            pass
        return library.change_request_for(local_identifier)


def _acknowledge(library: Any, local_identifier: str) -> None:
    request = library.change_request_for(local_identifier)
    if request is not None:
        request.acknowledge()


@register("app_nests_change_blocks", A, ("ERR-05",),
          "the app opens a change block inside its acknowledge block (a one-job helper called from the batch block); "
          "PhotoKit's exception is caught and the acknowledgement falls back to the open block")
class NestsChangeBlocks(ReferenceApp):
    def _acknowledge_finished(self) -> bool:
        library = self.library
        self.library = _NestingView(library)  # type: ignore[assignment]
        try:
            return super()._acknowledge_finished()
        finally:
            self.library = library


# ============================================================================ 8. checks that could not fail
@register("enable_twice_new_configuration", S, ("ACT-24",),
          "enabling an app that is already enabled creates a second configuration: the first one's jobs and jobLimit "
          "accounting are dropped with it")
class EnableTwiceNewConfiguration(ReferenceSystem):
    def _enable(self, options: UploadJobOptions | None) -> None:
        existed = self.config is not None
        super()._enable(options)
        if existed:
            self.config = Configuration(options or UploadJobOptions())
            self.queue.discard_all()
            self._due.clear()
            self.policy.on_enabled(self._now)


@register("app_retries_before_acknowledging", A, ("RET-05",),
          "each call retries failed jobs before it acknowledges finished ones, also when finished jobs fill the queue: "
          "under the article's reading the retry is refused with limitExceeded and the failed photo waits for a later call",
          assume=("AMB-02=retry-checks-limit",))
class RetriesBeforeAcknowledging(ReferenceApp):
    """Pins the retry -> acknowledge -> create order of Apple's sample (PRO-09's "typical" order) whatever the
    queue holds. NB: the reference APP of d9bc6c5 and of issue 11's tree has this very order; a RET-05 check
    that kills this mutant fails that reference too, unless the reference acknowledges first under
    AMB-02=retry-checks-limit (as the control `acknowledges_before_retrying` does)."""

    def run_pass(self, ext: ReferenceExtension) -> ProcessingResult:
        self._ext = ext
        try:
            self._reconcile()
            if ext.terminating:
                return ProcessingResult.PROCESSING
            self._retry_failed()  # first, even at a full queue
            if ext.terminating:
                return ProcessingResult.PROCESSING
            self._acknowledge_finished()
            self._cancel_redundant()
            if ext.terminating:
                return ProcessingResult.PROCESSING
            if self.library.authorization_status() is AuthorizationStatus.AUTHORIZED:
                self._sync_library()
                self._create_jobs(ext)
        except PhotoKitError as err:
            if err.code is _LIMIT:
                return ProcessingResult.PROCESSING
            if err.code is PhotoKitErrorCode.PERSISTENT_CHANGE_TOKEN_EXPIRED:
                self.store.token = None
                return ProcessingResult.PROCESSING
            return ProcessingResult.FAILURE
        if ext.terminating:
            return ProcessingResult.PROCESSING
        work_left = bool(self.store.in_flight or self.store.creating or
                         (self.store.pending and self.library.authorization_status() is AuthorizationStatus.AUTHORIZED))
        return ProcessingResult.PROCESSING if work_left else ProcessingResult.COMPLETED


@register("app_no_result_on_error", A, ("PRO-03",),
          "the error branch of the processing method logs and falls off the end: a call that meets an unexpected error "
          "returns no result instead of .failure")
class NoResultOnError(ReferenceApp):
    def run_pass(self, ext: ReferenceExtension) -> ProcessingResult:
        result = super().run_pass(ext)
        return None if result is ProcessingResult.FAILURE else result  # type: ignore[return-value]


class _DrivenOnce(_Bridge):
    async def process_jobs(self) -> Any:
        task = self._inner.process_jobs()
        try:
            task.send(None)
        except StopIteration as done:
            return done.value
        task.close()  # the host resumed it once; a task that suspends is taken for hung and torn down
        raise ExtensionKilled("processJobs suspended: the host stopped driving it and ended the process")


@register("async_call_driven_once", S, ("PRO-13",),
          "on 27 the host drives processJobs() only until its first suspension, then abandons the call and ends the "
          "process: an extension that awaits anything never gets to answer")
class AsyncCallDrivenOnce(_BridgedSystem):
    def _bridge(self, extension: Any) -> Any:
        return _DrivenOnce(extension) if self.profile.async_extension else extension


@register("cancel_never_drains", "system", "PRO-05",
          "after a .processing call, cancelling the jobs it made leaves the owed call waiting for them forever")
class CancelNeverDrains(ReferenceSystem):
    def _cancelled(self) -> None:
        pass  # only an upload ending reports the drain (the bug exploration found in the reference)
