"""Mutants of the SYSTEM: what each API version offers, and the later additions (jobLimit, observers, the
system's own retries, download-only jobs) (see the package doc)."""

from __future__ import annotations

from bru_conformance.protocol import (
    Action,
    JobState,
    JobType,
)

from ..system import _API, _CR, _JOB, ReferenceSystem
from . import register

S = "system"


# ------------------------------------------------------------------------------------- API versions
@register("cancel_before_26_4", S, ("VER-02",), "cancel() works on 26.1")
class CancelBefore264(ReferenceSystem):
    def _enter(self, api: str) -> None:
        if api == _CR + "cancel":
            self._tick()
            return
        super()._enter(api)


@register("process_action_before_26_5", S, ("VER-03",), "Action.process works on 26.4", profiles=("ios-26.4",))
class ProcessActionBefore265(ReferenceSystem):
    def fetch_jobs(self, action: Action):  # type: ignore[no-untyped-def]
        if Action(action) is Action.PROCESS:
            self._enter(_JOB + "fetchJobs")
            return [self._snapshot(j) for j in self.queue.fetch(Action.PROCESS)]
        return super().fetch_jobs(action)


@register("enable_api_before_27", S, ("VER-04",), "enableUploadJobExtension and the options work before 27")
class EnableApiBefore27(ReferenceSystem):
    def _enter(self, api: str) -> None:
        if api in (_API + "enableUploadJobExtension", _API + "disableUploadJobExtension", _API + "uploadJobExtensionOptions",
                   _API + "setUploadJobExtensionOptions"):
            self._tick()
            return
        super()._enter(api)


@register("set_enabled_removed_in_27", S, ("VER-01",), "the 26.1 setUploadJobExtensionEnabled is gone on 27")
class SetEnabledRemovedIn27(ReferenceSystem):
    def set_upload_job_extension_enabled(self, enabled: bool) -> None:
        if self.profile.version >= (27, 0):
            from bru_conformance.protocol import APIUnavailableError

            raise APIUnavailableError(_API + "setUploadJobExtensionEnabled", self.profile.name)
        super().set_upload_job_extension_enabled(enabled)


@register("create_job_removed_in_26_4", S, ("CRE-13",), "the deprecated createJob is refused from 26.4 on")
class CreateJobRemovedIn264(ReferenceSystem):
    def create_job(self, destination, resource) -> None:  # type: ignore[no-untyped-def]
        if self.profile.has("creationRequestForJob"):
            from bru_conformance.protocol import APIUnavailableError

            raise APIUnavailableError(_CR + "createJob", self.profile.name)
        super().create_job(destination, resource)


@register("job_limit_unset", S, ("LIM-05",), "jobLimit reads 0 (an unset value) instead of the limit in force")
class JobLimitUnset(ReferenceSystem):
    def job_limit(self) -> int:
        super().job_limit()
        return 0


@register("observer_without_full_access", S, ("CON-07",), "a persistent-changes observer registers under limited or denied access",
          profiles=("ios-27.0",))
class ObserverWithoutFullAccess(ReferenceSystem):
    def register_persistent_changes_observer(self) -> None:
        self._enter(_API + "registerPersistentChangesObserver")
        self.observers += 1


@register("failed_job_retried_by_system", S, ("STA-02",), "the system quietly retries a failed transfer on its own after ten minutes")
class FailedJobRetriedBySystem(ReferenceSystem):
    def _step_job(self, local_identifier: str, expected: JobState) -> None:
        super()._step_job(local_identifier, expected)
        job = self.queue.live(local_identifier)
        if job is not None and job.state is JobState.FAILED and expected is JobState.PENDING:
            job.state, job.error = JobState.REGISTERED, None
            self._push(self._now + 600.0, local_identifier)


@register("download_only_auto_acknowledged", S, ("CRE-16",), "a finished download-only job is dropped at once instead of waiting to be acknowledged")
class DownloadOnlyAutoAcknowledged(ReferenceSystem):
    def _step_job(self, local_identifier: str, expected: JobState) -> None:
        super()._step_job(local_identifier, expected)
        job = self.queue.live(local_identifier)
        if job is not None and job.type is JobType.DOWNLOAD_ONLY and job.state is JobState.SUCCEEDED:
            job.acknowledged = True
            self.queue._forget_acknowledged()
