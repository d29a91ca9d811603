"""Non-conformant variants of the reference APP, each overriding one behaviour (see the package doc)."""

from __future__ import annotations

from bru_conformance.protocol import (
    Action,
    AuthorizationStatus,
    JobState,
    PhotoKitError,
    PhotoKitErrorCode,
    ProcessingResult,
    Request,
    ResourceKind,
)

from ..app import _JOB, ReferenceApp, ReferenceExtension
from . import register

A = "app"


# ------------------------------------------------------------------------------------- host app
@register("app_enables_with_limited_access", A, ("CON-02", "CON-01"), "the host app enables background uploads under limited access")
class EnablesWithLimitedAccess(ReferenceApp):
    def turn_on_backup(self) -> bool:
        status = self.library.request_authorization()
        if status not in (AuthorizationStatus.AUTHORIZED, AuthorizationStatus.LIMITED):
            return False
        return self.enable_and_verify()


@register("app_enables_without_asking", A, ("CON-03",), "the host app enables without asking for photo library access first")
class EnablesWithoutAsking(ReferenceApp):
    def turn_on_backup(self) -> bool:
        enabled = self.enable_and_verify()
        self.library.request_authorization()
        return enabled and self.library.upload_job_extension_enabled()


@register("app_creates_jobs_before_enabling", A, ("ACT-03", "CRE-03"), "the host app creates its first jobs itself, before enabling")
class CreatesJobsBeforeEnabling(ReferenceApp):
    def turn_on_backup(self) -> bool:
        if self.library.request_authorization() is AuthorizationStatus.AUTHORIZED:
            try:
                ext = ReferenceExtension(self)
                self._sync_library()
                self._create_jobs(ext)
            except Exception:  # the host app ignores whatever went wrong
                pass
        return super().turn_on_backup()


@register("app_never_enables", A, ("ACT-01",), "the host app reports backup on without enabling the feature")
class NeverEnables(ReferenceApp):
    def turn_on_backup(self) -> bool:
        return self.library.request_authorization() is AuthorizationStatus.AUTHORIZED


@register("app_no_disable_on_sign_out", A, ("ACT-14", "ACT-16"), "signing out clears the account but leaves the feature enabled")
class NoDisableOnSignOut(ReferenceApp):
    def sign_out(self) -> None:
        from ..app import AppStore

        self.store = AppStore()


# ------------------------------------------------------------------------------------- extension shape
class _NoAnswerExtension(ReferenceExtension):
    def process(self):  # type: ignore[no-untyped-def]
        raise NotImplementedError("process() not implemented")

    async def process_jobs(self):  # type: ignore[no-untyped-def]
        raise NotImplementedError("processJobs() not implemented")


@register("app_extension_does_not_answer", A, ("ACT-07",), "the extension's principal class does not implement the processing call")
class ExtensionDoesNotAnswer(ReferenceApp):
    def make_extension(self) -> ReferenceExtension:
        return _NoAnswerExtension(self)


class _SyncOnlyExtension(ReferenceExtension):
    async def process_jobs(self):  # type: ignore[no-untyped-def]
        raise NotImplementedError("only the 26.1 synchronous protocol is adopted")


@register("app_sync_protocol_on_macos", A, ("ACT-08",), "the extension adopts only the synchronous 26.1 protocol, also on macOS",
          profiles=("macos-27.0",))
class SyncProtocolOnMacOS(ReferenceApp):
    def make_extension(self) -> ReferenceExtension:
        return _SyncOnlyExtension(self)


class _NoResultExtension(ReferenceExtension):
    def process(self):  # type: ignore[no-untyped-def]
        self.app.run_pass(self)
        return None

    async def process_jobs(self):  # type: ignore[no-untyped-def]
        self.app.run_pass(self)
        return None


@register("app_returns_no_result", A, ("PRO-03",), "the processing call does its work but returns no result")
class ReturnsNoResult(ReferenceApp):
    def make_extension(self) -> ReferenceExtension:
        return _NoResultExtension(self)


# ------------------------------------------------------------------------------------- creating
@register("app_destination_without_credentials", A, ("CRE-05",), "destinations carry no Authorization header")
class DestinationWithoutCredentials(ReferenceApp):
    def destination(self) -> Request:
        return Request.make(self.account.upload_url, "POST")


@register("app_photos_only", A, ("CRE-04",), "the app makes jobs only for photo resources: videos never get a job of their own")
class PhotosOnly(ReferenceApp):
    def _queue(self, resource) -> None:  # type: ignore[no-untyped-def]
        if resource.kind is ResourceKind.PHOTO:
            super()._queue(resource)


@register("app_creates_outside_block", A, ("CRE-01",), "the extension creates jobs without opening a change block")
class CreatesOutsideBlock(ReferenceApp):
    def _create_jobs(self, ext: ReferenceExtension) -> bool:
        free = self.library.job_limit() - len(self.store.in_flight)
        batch = list(self.store.pending.values())[:max(free, 0)]
        for resource in batch:
            self.library.create_job(self.destination(resource), resource)
            self.store.in_flight[resource.resource_id] = None
            self.store.pending.pop(resource.resource_id, None)
        return bool(batch)


@register("app_acknowledges_outside_block", A, ("CRE-02",), "the extension acknowledges jobs without opening a change block")
class AcknowledgesOutsideBlock(ReferenceApp):
    def _acknowledge_finished(self) -> bool:
        did = False
        for job in self.library.fetch_jobs(Action.ACKNOWLEDGE):
            request = self.library.change_request_for(job.local_identifier)
            if request is not None:
                request.acknowledge()
                did = True
        return did


@register("app_retries_outside_block", A, ("RET-08",), "the extension retries without a change block, so the retry never commits")
class RetriesOutsideBlock(ReferenceApp):
    def _retry_failed(self) -> bool:
        for job in self.library.fetch_jobs(Action.RETRY):
            try:
                request = self.library.change_request_for(job.local_identifier)
            except Exception:  # no change block open: gives up quietly
                return False
            if request is not None:
                request.retry(self.destination())
        return False


@register("app_assumes_job_limit", A, ("LIM-05",), "the app assumes a jobLimit of 50 instead of reading it")
class AssumesJobLimit(ReferenceApp):
    def _create_jobs(self, ext: ReferenceExtension) -> bool:
        library = self.library

        class _Fixed:
            def __getattr__(self, name):  # type: ignore[no-untyped-def]
                return getattr(library, name)

            def job_limit(self) -> int:
                return 50

        self.library = _Fixed()  # type: ignore[assignment]
        try:
            return super()._create_jobs(ext)
        finally:
            self.library = library


@register("app_one_job_per_call", A, ("CRE-12",), "the app creates one job per processing call instead of filling the queue")
class OneJobPerCall(ReferenceApp):
    def _create_jobs(self, ext: ReferenceExtension) -> bool:
        pending = self.store.pending
        rest = list(pending.items())[1:]
        for rid, _ in rest:
            del pending[rid]
        try:
            return super()._create_jobs(ext)
        finally:
            for rid, res in rest:
                pending[rid] = res


@register("app_ignores_new_assets", A, ("CRE-11", "CRE-10"), "the app enumerates the library once and never reads the persistent changes")
class IgnoresNewAssets(ReferenceApp):
    def _sync_library(self) -> None:
        if self.store.token is None:
            super()._sync_library()


@register("app_creates_before_acknowledging", A, ("CRE-09",), "each pass creates jobs before it acknowledges finished ones")
class CreatesBeforeAcknowledging(ReferenceApp):
    def run_pass(self, ext: ReferenceExtension) -> ProcessingResult:
        try:
            if self.library.authorization_status() is AuthorizationStatus.AUTHORIZED:
                self._sync_library()
                self._create_jobs(ext)
        except PhotoKitError as err:
            if err.code is not PhotoKitErrorCode.LIMIT_EXCEEDED:
                return ProcessingResult.FAILURE
            return ProcessingResult.PROCESSING
        return super().run_pass(ext)


@register("app_never_acknowledges_at_limit", A, ("CRE-08", "ACK-04", "LIM-03"), "the app never acknowledges and keeps trying to create at the limit")
class NeverAcknowledgesAtLimit(ReferenceApp):
    def _acknowledge_finished(self) -> bool:
        return False

    def _retry_failed(self) -> bool:
        return False


# ------------------------------------------------------------------------------------- acknowledging
@register("app_never_acknowledges_failures", A, ("ACK-02",), "failed jobs are never acknowledged")
class NeverAcknowledgesFailures(ReferenceApp):
    def _retry_failed(self) -> bool:
        return False

    def _acknowledge_finished(self) -> bool:
        library = self.library

        class _OnlySucceeded:
            def __getattr__(self, name):  # type: ignore[no-untyped-def]
                return getattr(library, name)

            def fetch_jobs(self, action):  # type: ignore[no-untyped-def]
                jobs = library.fetch_jobs(action)
                return [j for j in jobs if j.state is JobState.SUCCEEDED] if action is Action.ACKNOWLEDGE else jobs

        self.library = _OnlySucceeded()  # type: ignore[assignment]
        try:
            return super()._acknowledge_finished()
        finally:
            self.library = library


@register("app_records_unconfirmed", A, ("ACK-05",), "an outcome is recorded as uploaded without the server's confirmation")
class RecordsUnconfirmed(ReferenceApp):
    def _server_confirmation(self, job) -> str | None:  # type: ignore[no-untyped-def]
        return "assumed"


@register("app_acknowledges_before_recording", A, ("ACK-05", "TER-07"), "the app acknowledges first and records the outcome afterwards")
class AcknowledgesBeforeRecording(ReferenceApp):
    def _record(self, resource, confirmation, job) -> None:  # type: ignore[no-untyped-def]
        self._late = getattr(self, "_late", [])
        self._late.append((resource, confirmation, job))

    def _acknowledge_finished(self) -> bool:
        self._late = []
        did = super()._acknowledge_finished()
        late, self._late = self._late, []
        for args in late:
            ReferenceApp._record(self, *args)
        return did

    def _retry_failed(self) -> bool:
        self._late = []
        did = super()._retry_failed()
        late, self._late = self._late, []
        for args in late:
            ReferenceApp._record(self, *args)
        return did


@register("app_ignores_response_headers", A, ("ACK-06",), "the app records a success without reading the server's id header")
class IgnoresResponseHeaders(ReferenceApp):
    def _server_confirmation(self, job) -> str | None:  # type: ignore[no-untyped-def]
        return "confirmed" if job.state is JobState.SUCCEEDED else None


@register("app_ignores_job_type", A, ("ACK-07",), "a finished download-only job is taken for a failed upload of its photo")
class IgnoresJobType(ReferenceApp):
    def _has(self, api: str) -> bool:
        return api != _JOB + "type" and super()._has(api)


@register("app_acknowledges_tracked_only", A, ("ACK-08",), "the app acknowledges only the jobs it remembers creating, not the acknowledge set")
class AcknowledgesTrackedOnly(ReferenceApp):
    def _acknowledge_finished(self) -> bool:
        library, tracked = self.library, set(self.store.in_flight.values())

        class _Tracked:
            def __getattr__(self, name):  # type: ignore[no-untyped-def]
                return getattr(library, name)

            def fetch_jobs(self, action):  # type: ignore[no-untyped-def]
                jobs = library.fetch_jobs(action)
                return [j for j in jobs if j.local_identifier in tracked] if action is Action.ACKNOWLEDGE else jobs

        self.library = _Tracked()  # type: ignore[assignment]
        try:
            return super()._acknowledge_finished()
        finally:
            self.library = library


# ------------------------------------------------------------------------------------- retrying
@register("app_retries_permanent_failures", A, ("RET-07",), "permanent failures (401, bad response) are retried like transient ones")
class RetriesPermanentFailures(ReferenceApp):
    def _retry_failed(self) -> bool:
        did = False
        for job in self.library.fetch_jobs(Action.RETRY):
            fresh = self.destination(self._resource_of(job))
            try:
                did |= self._change(job, lambda cr: cr.retry(fresh))  # noqa: B023
            except PhotoKitError as err:
                if err.code is not PhotoKitErrorCode.LIMIT_EXCEEDED:
                    raise
                break
        return did


@register("app_retries_twice", A, ("RET-01",), "the app retries a job that already failed after its retry")
class RetriesTwice(ReferenceApp):
    def _acknowledge_finished(self) -> bool:
        did = False  # before acknowledging, every failed job is retried again, spent retries included
        for job in self.library.fetch_jobs(Action.ACKNOWLEDGE):
            if job.state is JobState.FAILED:
                try:
                    did |= self._change(job, lambda cr: cr.retry(None))
                except PhotoKitError:
                    pass  # the system refuses the second retry; the app tries again next time
        return super()._acknowledge_finished() or did


class _RetrySetFromAcknowledgeSet:
    """The bug of `app_retries_via_acknowledge_set`: every failed job in the acknowledge set counts as retryable."""

    def __init__(self, library) -> None:  # type: ignore[no-untyped-def]
        self._library = library

    def __getattr__(self, name):  # type: ignore[no-untyped-def]
        return getattr(self._library, name)

    def fetch_jobs(self, action):  # type: ignore[no-untyped-def]
        if action is Action.RETRY:
            return [j for j in self._library.fetch_jobs(Action.ACKNOWLEDGE) if j.state is JobState.FAILED]
        return self._library.fetch_jobs(action)


@register("app_retries_via_acknowledge_set", A, ("RET-06",), "the app never fetches the retry set: it takes the failed jobs of the acknowledge set")
class RetriesViaAcknowledgeSet(ReferenceApp):
    def run_pass(self, ext: ReferenceExtension) -> ProcessingResult:
        library = self.library
        self.library = _RetrySetFromAcknowledgeSet(library)  # type: ignore[assignment]
        try:
            return super().run_pass(ext)
        finally:
            self.library = library


@register("app_retries_before_freeing", A, ("RET-05",), "after a retry is refused at the limit the pass ends without acknowledging anything",
          assume=("AMB-02=retry-checks-limit",))
class RetriesBeforeFreeing(ReferenceApp):
    _refused = False

    def _change(self, job, mutate) -> bool:  # type: ignore[no-untyped-def]
        try:
            return super()._change(job, mutate)
        except PhotoKitError as err:
            self._refused = err.code is PhotoKitErrorCode.LIMIT_EXCEEDED
            raise

    def _acknowledge_finished(self) -> bool:
        super()._retry_failed()  # retries before acknowledging: at a full queue the retry is refused
        if self._refused:
            self._refused = False
            return False  # waits for room instead of making it
        return super()._acknowledge_finished()


@register("app_never_retries", A, ("PRO-09",), "a call never retries a failed job: transient failures are acknowledged and the photo queued again")
class NeverRetries(ReferenceApp):
    def _retry_failed(self) -> bool:
        return False  # the failed jobs are left to the acknowledge pass, which records an attempt and re-queues


class _NilRequest:
    """What a force-unwrapped nil change request amounts to: the first use crashes."""

    def __getattr__(self, name):  # type: ignore[no-untyped-def]
        raise AttributeError(f"'NoneType' object has no attribute {name!r}")


class _NeverNil:
    def __init__(self, library) -> None:  # type: ignore[no-untyped-def]
        self._library = library

    def __getattr__(self, name):  # type: ignore[no-untyped-def]
        return getattr(self._library, name)

    def change_request_for(self, local_identifier: str):  # type: ignore[no-untyped-def]
        request = self._library.change_request_for(local_identifier)
        return _NilRequest() if request is None else request


@register("app_ignores_nil_change_request", A, ("STA-13",), "the app force-unwraps the change request of a job that may be gone")
class IgnoresNilChangeRequest(ReferenceApp):
    def run_pass(self, ext: ReferenceExtension) -> ProcessingResult:
        library = self.library
        self.library = _NeverNil(library)  # type: ignore[assignment]
        try:
            return super().run_pass(ext)
        finally:
            self.library = library


# ------------------------------------------------------------------------------------- results
@register("app_completed_while_work_remains", A, ("PRO-04", "PRO-06"), "the extension answers .completed while jobs and photos are still waiting")
class CompletedWhileWorkRemains(ReferenceApp):
    def run_pass(self, ext: ReferenceExtension) -> ProcessingResult:
        result = super().run_pass(ext)
        return ProcessingResult.COMPLETED if result is ProcessingResult.PROCESSING and not ext.terminating else result


@register("app_processing_forever", A, ("PRO-08",), "the extension answers .processing even when nothing moved and nothing is left")
class ProcessingForever(ReferenceApp):
    def run_pass(self, ext: ReferenceExtension) -> ProcessingResult:
        result = super().run_pass(ext)
        return ProcessingResult.PROCESSING if result is ProcessingResult.COMPLETED else result


@register("app_completed_on_limit", A, ("PRO-10",), "the extension answers .completed when the jobLimit refuses new jobs")
class CompletedOnLimit(ReferenceApp):
    def _create_jobs(self, ext: ReferenceExtension) -> bool:
        try:
            return super()._create_jobs(ext)
        except PhotoKitError as err:
            if err.code is PhotoKitErrorCode.LIMIT_EXCEEDED:
                ext.limit_hit = True  # type: ignore[attr-defined]
            raise

    def run_pass(self, ext: ReferenceExtension) -> ProcessingResult:
        result = super().run_pass(ext)
        return ProcessingResult.COMPLETED if getattr(ext, "limit_hit", False) else result


@register("app_fails_on_expired_token", A, ("PRO-11",), "an expired change token ends the call with .failure and keeps the token")
class FailsOnExpiredToken(ReferenceApp):
    def _sync_library(self) -> None:
        try:
            super()._sync_library()
        except PhotoKitError as err:
            if err.code is PhotoKitErrorCode.PERSISTENT_CHANGE_TOKEN_EXPIRED:
                raise PhotoKitError(PhotoKitErrorCode.INTERNAL_ERROR, "sync failed") from err
            raise


@register("app_processing_on_error", A, ("PRO-12",), "any other error is swallowed and answered with .processing",
          assume=("AMB-25=reject-at-creation",))
class ProcessingOnError(ReferenceApp):
    def run_pass(self, ext: ReferenceExtension) -> ProcessingResult:
        result = super().run_pass(ext)
        return ProcessingResult.PROCESSING if result is ProcessingResult.FAILURE else result


@register("app_busy_waits_for_room", A, ("PRO-15", "PRO-22"),
          "with jobs in flight the extension busy-waits inside the call, re-reading jobLimit, and overruns the runtime limit")
class BusyWaitsForRoom(ReferenceApp):
    def run_pass(self, ext: ReferenceExtension) -> ProcessingResult:
        result = super().run_pass(ext)
        polls = 0
        while self.store.in_flight and not ext.terminating and polls < 10_000:  # bounded only for Developer Mode runs
            self.library.job_limit()
            polls += 1
        return result


# ------------------------------------------------------------------------------------- termination
class _DeafExtension(ReferenceExtension):
    def notify_termination(self) -> None:
        pass

    async def will_terminate(self) -> None:
        pass


@register("app_ignores_termination", A, ("TER-03", "TER-08", "TER-04"), "the extension ignores the termination notice and keeps working")
class IgnoresTermination(ReferenceApp):
    def make_extension(self) -> ReferenceExtension:
        return _DeafExtension(self)


@register("app_no_creation_intent", A, ("TER-07",), "the app writes no intent before creating jobs, so a kill duplicates them")
class NoCreationIntent(ReferenceApp):
    def _reconcile(self) -> None:
        for rid in list(self.store.creating):
            self.store.pending[rid] = self.store.resources[rid]
            del self.store.creating[rid]


@register("app_gives_up_after_kill", A, ("TER-06",), "after a kill the new extension process does nothing and answers .completed")
class GivesUpAfterKill(ReferenceApp):
    _made = 0

    def make_extension(self) -> ReferenceExtension:
        self._made += 1
        ext = super().make_extension()
        if self._made > 1 and self.store.creating:
            ext.process = lambda: ProcessingResult.COMPLETED  # type: ignore[method-assign]

            async def done() -> ProcessingResult:
                return ProcessingResult.COMPLETED

            ext.process_jobs = done  # type: ignore[method-assign]
        return ext
