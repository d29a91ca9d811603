"""Mutants of the SYSTEM: when processing calls come, their limits, Developer Mode and termination (see the
package doc)."""

from __future__ import annotations

from bru_conformance.protocol import (
    JobState,
    ProcessingResult,
    URLError,
    URLErrorCode,
)

from ..jobs import Event, apply
from ..scheduler import CallPolicy
from ..system import ReferenceSystem
from ..variants import PolicySystem
from . import register

S = "system"


# ------------------------------------------------------------------------------------- scheduling
@register("calls_before_enable", S, ("ACT-01",), "the extension is called as soon as the app is installed, before enabling")
class CallsBeforeEnable(ReferenceSystem):
    def attach_app(self, app) -> None:  # type: ignore[no-untyped-def]
        super().attach_app(app)
        self.policy._at(self._now + self.timings.enable_delay)

    def _calls_allowed(self) -> bool:
        return self._app is not None and self._work_allowed()


@register("calls_continue_after_disable", S, ("ACT-10",), "disabling leaves the scheduled processing calls in place")
class CallsContinueAfterDisable(ReferenceSystem):
    def _disable(self) -> None:
        planned = self.policy.next_call_at
        super()._disable()
        self.policy.next_call_at = planned

    def _calls_allowed(self) -> bool:
        return self._app is not None and self._work_allowed()


@register("uploads_continue_after_disable", S, ("ACT-15",), "disabling keeps the queued uploads running")
class UploadsContinueAfterDisable(ReferenceSystem):
    def _disable(self) -> None:
        jobs, due = dict(self.queue.jobs), list(self._due)
        super()._disable()
        self.queue.jobs.update(jobs)
        self._due[:] = due

    def _next_event(self) -> tuple[float, str] | None:
        if self.config is None and self._due and self._work_allowed():
            return (self._due[0][0], "job")  # the queue goes on uploading without a configuration
        return super()._next_event()


@register("uploads_only_during_calls", S, ("PRO-01",), "uploads progress only while the extension is running")
class UploadsOnlyDuringCalls(ReferenceSystem):
    def _work_allowed(self) -> bool:
        return super()._work_allowed() and self._extension is not None and self._in_call


@register("calls_without_network", S, ("PRO-02",), "the extension is called without network or power")
class CallsWithoutNetwork(ReferenceSystem):
    def _calls_allowed(self) -> bool:
        saved = self.network, self.power_ok
        self.network, self.power_ok = self.network.WIFI, True
        try:
            return super()._calls_allowed()
        finally:
            self.network, self.power_ok = saved


@register("no_call_after_library_change", S, ("PRO-04",), "after .completed a library change brings no new processing call")
class NoCallAfterLibraryChange(ReferenceSystem):
    def add_assets(self, assets) -> None:  # type: ignore[no-untyped-def]
        for asset in assets:
            self.photos.add(asset)


class _NoRecallPolicy(CallPolicy):
    def on_call_ended(self, now, result, created_jobs, in_flight) -> None:  # type: ignore[no-untyped-def]
        super().on_call_ended(now, result, created_jobs, in_flight)
        if result is ProcessingResult.PROCESSING:
            self.next_call_at, self.waiting_for_jobs = None, False


@register("processing_not_called_again", S, ("PRO-05",), ".processing does not bring another processing call")
class ProcessingNotCalledAgain(PolicySystem):
    POLICY = _NoRecallPolicy


class _NoBackoffPolicy(CallPolicy):
    def on_call_ended(self, now, result, created_jobs, in_flight) -> None:  # type: ignore[no-untyped-def]
        super().on_call_ended(now, result, created_jobs, in_flight)
        if result not in (ProcessingResult.COMPLETED, ProcessingResult.PROCESSING):
            self.failures = 0
            self.next_call_at = now + self.t.after_jobs_delay  # retries at once, no backoff


@register("no_backoff", S, ("PRO-14",), "after a failed or killed call the extension is called again at once")
class NoBackoff(PolicySystem):
    POLICY = _NoBackoffPolicy


class _NoLimitPolicy(CallPolicy):
    @property
    def runtime_limit(self) -> float | None:
        return None


@register("no_runtime_limit", S, ("LIM-06", "PRO-14"), "processing calls run without a runtime limit")
class NoRuntimeLimit(PolicySystem):
    POLICY = _NoLimitPolicy


class _DevLimitPolicy(CallPolicy):
    @property
    def runtime_limit(self) -> float | None:
        return self.t.runtime_limit


@register("developer_mode_keeps_limit", S, ("PRO-19",), "Developer Mode keeps the runtime limit", profiles=("ios-27.0",))
class DeveloperModeKeepsLimit(PolicySystem):
    POLICY = _DevLimitPolicy


@register("developer_mode_changes_uploads", S, ("PRO-21",), "in Developer Mode uploads ignore network conditions")
class DeveloperModeChangesUploads(ReferenceSystem):
    def _work_allowed(self) -> bool:
        return self.policy.developer_mode or super()._work_allowed()


class _NoCallAfterKillPolicy(CallPolicy):
    def on_call_ended(self, now, result, created_jobs, in_flight) -> None:  # type: ignore[no-untyped-def]
        super().on_call_ended(now, result, created_jobs, in_flight)
        if result is None:
            self.next_call_at = None  # a killed extension is never called again


@register("no_call_after_kill", S, ("TER-05", "TER-06"), "after the extension was ended the system never calls it again")
class NoCallAfterKill(PolicySystem):
    POLICY = _NoCallAfterKillPolicy

    def run_processing_call(self):  # type: ignore[no-untyped-def]
        call = super().run_processing_call()
        if call.terminated:
            self.policy.next_call_at = None
        return call


@register("no_notify_termination", S, ("TER-01",), "on 26.x the extension is ended without notifyTermination", profiles=("ios-26.4",))
class NoNotifyTermination(ReferenceSystem):
    def _deliver_notice(self) -> None:
        if self.profile.async_extension:
            super()._deliver_notice()
        else:
            self._terminated_in_call, self._notice_at = True, self._now


@register("no_will_terminate", S, ("TER-02",), "on 27 the extension is ended without willTerminate")
class NoWillTerminate(ReferenceSystem):
    def _deliver_notice(self) -> None:
        if not self.profile.async_extension:
            super()._deliver_notice()
        else:
            self._terminated_in_call, self._notice_at = True, self._now


@register("termination_kills_uploads", S, ("TER-04",), "ending the extension also tears down its uploads in flight")
class TerminationKillsUploads(ReferenceSystem):
    def _deliver_notice(self) -> None:
        super()._deliver_notice()
        for job in list(self.queue.jobs.values()):
            if job.state is JobState.PENDING and not job.acknowledged:
                apply(job, Event.FAIL, error=URLError(URLErrorCode.NETWORK_CONNECTION_LOST))
