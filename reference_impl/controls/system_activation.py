"""Positive controls of the SYSTEM: network conditions, enabling and disabling (see `system_timing`'s doc for what every SYSTEM control is)."""

from __future__ import annotations

from bru_conformance.protocol import (
    AuthorizationStatus,
    Network,
    PhotoKitError,
    PhotoKitErrorCode,
)

from ..system import ReferenceSystem
from . import register

S = "system"


# ------------------------------------------------------------------------------------------ network
@register("cellular_waits_for_wifi", S, "ACT-23 constrains only preventsExpensiveNetworkAccess = true; PRO-02 lets scheduling depend on network conditions",
          "transfers wait for a non-expensive network even when preventsExpensiveNetworkAccess is false (processing calls still come)")
class CellularWaitsForWifi(ReferenceSystem):
    """A conservative scheduler: transfers never use cellular; calls follow the reference's conditions."""

    _for_calls = False

    def _work_allowed(self) -> bool:
        return super()._work_allowed() and (self._for_calls or self.network is not Network.CELLULAR)

    def _as_for_calls(self, method):  # type: ignore[no-untyped-def]
        self._for_calls = True
        try:
            return method()
        finally:
            self._for_calls = False

    def _calls_allowed(self) -> bool:
        return self._as_for_calls(super()._calls_allowed)  # type: ignore[no-any-return]

    def _restore_conditions(self) -> None:
        self._as_for_calls(super()._restore_conditions)


# ------------------------------------------------------------------------------------------ enable / disable
@register("disable_allowed_under_limited_access", S,
          "AMB-12 / ERR-02: refusing enable/disable writes with 3311 under limited access is a FIELD note; only 'failure "
          "throws' is Apple's",
          "disabling succeeds under limited access (enabling still needs full access, CON-01)")
class DisableAllowedUnderLimitedAccess(ReferenceSystem):
    """Turning the feature off never needs more access than the app has."""

    def _disable(self) -> None:
        if self.authorization is not AuthorizationStatus.LIMITED:
            super()._disable()
            return
        self.authorization = AuthorizationStatus.AUTHORIZED
        try:
            super()._disable()
        finally:
            self.authorization = AuthorizationStatus.LIMITED


@register("keeps_jobs_on_disable", S,
          "AMB-05: the effect of disabling on jobs is undocumented (discarding is FIELD); ACT-15 still holds: nothing "
          "uploads while disabled",
          "disabling keeps unacknowledged jobs (still fetchable) but pauses their transfers until the feature is enabled again")
class KeepsJobsOnDisable(ReferenceSystem):
    """Jobs survive a disable; their uploads are frozen while no configuration exists."""

    def _disable(self) -> None:
        jobs, due = dict(self.queue.jobs), list(self._due)
        super()._disable()
        self.queue.jobs.update(jobs)
        self._due[:] = due

    def _work_allowed(self) -> bool:
        return self.config is not None and super()._work_allowed()


@register("disable_twice_errors", S,
          "AMB-26: enabling twice / disabling when disabled is undocumented (idempotent success is the model's "
          "assumption); ACT-11: failures throw",
          "disabling when no configuration exists throws PHPhotosError identifierNotFound")
class DisableTwiceErrors(ReferenceSystem):
    """There is no configuration to delete, and the system says so."""

    def _disable(self) -> None:
        if self.config is None and not self.simulator:
            raise PhotoKitError(PhotoKitErrorCode.IDENTIFIER_NOT_FOUND, "no upload configuration for this app")
        super()._disable()


@register("enable_errors_internal", S, "AMB-12 / ERR-06: which error codes accompany a refused enable/disable/options write is undocumented (3311 is FIELD)",
          "every refused enable/disable/options write throws PHPhotosError internalError (-1)")
class EnableErrorsInternal(ReferenceSystem):
    """A bare -1 for every refusal, like the field's missing-plist-key case."""

    def _refuse_write(self) -> None:
        try:
            super()._refuse_write()
        except PhotoKitError as err:
            raise PhotoKitError(PhotoKitErrorCode.INTERNAL_ERROR, err.message) from None

    def _disable(self) -> None:
        try:
            super()._disable()
        except PhotoKitError as err:
            raise PhotoKitError(PhotoKitErrorCode.INTERNAL_ERROR, err.message) from None
