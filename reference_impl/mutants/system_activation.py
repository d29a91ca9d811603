"""Mutants of the SYSTEM: change blocks, enabling the feature, its options and consent (see the package doc)."""

from __future__ import annotations

from bru_conformance.protocol import (
    AuthorizationStatus,
    PhotoKitError,
    UploadJobOptions,
)

from ..jobs import Event, apply
from ..queue import ChangeBlock
from ..system import _API, _CR, ReferenceSystem
from . import register

S = "system"


# ------------------------------------------------------------------------------------- change blocks
@register("nested_block_allowed", S, ("ERR-05",), "opening a change block inside another one is silently accepted")
class NestedBlockAllowed(ReferenceSystem):
    def begin_changes(self) -> None:
        if self._block is None:
            self._block = ChangeBlock()


@register("change_request_outside_block", S, ("CRE-01", "CRE-02"), "change requests made outside a change block are accepted and dropped")
class ChangeRequestOutsideBlock(ReferenceSystem):
    def _open_block(self, api: str) -> ChangeBlock:
        self._enter(_CR + api)
        return self._block if self._block is not None else ChangeBlock()


@register("retry_applied_before_commit", S, ("RET-08",), "a retry takes effect the moment it is requested, even if the block is abandoned")
class RetryAppliedBeforeCommit(ReferenceSystem):
    def change_request_for(self, local_identifier: str):  # type: ignore[no-untyped-def]
        request = super().change_request_for(local_identifier)
        if request is None:
            return None
        system = self

        class _Eager(type(request)):  # type: ignore[misc]
            def retry(self, destination):  # type: ignore[no-untyped-def]
                job = system.queue.live(local_identifier)
                if job is not None and job.retryable:
                    apply(job, Event.RETRY, destination=destination)
                    system._schedule_start(local_identifier)

        request.__class__ = _Eager
        return request


@register("create_without_enable", S, ("ACT-03",), "jobs can be created before the feature is enabled")
class CreateWithoutEnable(ReferenceSystem):
    def commit_changes(self) -> None:
        if self.config is None and self._block is not None and any(op.kind == "create" for op in self._block.ops):
            self.config = _Ghost()
            try:
                super().commit_changes()
            finally:
                if isinstance(self.config, _Ghost):
                    self.config = None
            return
        super().commit_changes()


class _Ghost:
    options = UploadJobOptions()


@register("token_never_expires", S, ("ERR-04",), "a change token older than the history gives an empty change set, not persistentChangeTokenExpired")
class TokenNeverExpires(ReferenceSystem):
    def expire_change_history(self) -> None:
        pass


# ------------------------------------------------------------------------------------- enabling, consent
@register("enable_with_limited_access", S, ("CON-01", "CON-04"), "enabling succeeds with limited photo library access")
class EnableWithLimitedAccess(ReferenceSystem):
    def _refuse_write(self) -> None:
        if self.authorization is not AuthorizationStatus.LIMITED:
            super()._refuse_write()


@register("limited_sees_everything", S, ("CON-04",), "under limited access the library shows every photo, not only the picked ones")
class LimitedSeesEverything(ReferenceSystem):
    def fetch_assets(self):  # type: ignore[no-untyped-def]
        if self.authorization is AuthorizationStatus.LIMITED:
            return self.photos.visible(False)
        return super().fetch_assets()


@register("library_open_before_consent", S, ("CON-05", "CON-03"), "the library's photos are readable before the user answered, and restricted can be granted")
class LibraryOpenBeforeConsent(ReferenceSystem):
    def fetch_assets(self):  # type: ignore[no-untyped-def]
        return self.photos.visible(False)

    def request_authorization(self) -> AuthorizationStatus:
        if self.authorization is AuthorizationStatus.RESTRICTED:
            self.authorization = self.user_answer
        return super().request_authorization()


@register("enabled_flag_ignores_access", S, ("ACT-12",), "uploadJobExtensionEnabled stays true after access was downgraded")
class EnabledFlagIgnoresAccess(ReferenceSystem):
    def _active(self) -> bool:
        return self.config is not None and self.install.extension_registered


@register("options_without_enable", S, ("ACT-19",), "uploadJobExtensionOptions answers default options when the feature is not enabled")
class OptionsWithoutEnable(ReferenceSystem):
    def upload_job_extension_options(self):  # type: ignore[no-untyped-def]
        options = super().upload_job_extension_options()
        if options is None and self.authorization is AuthorizationStatus.AUTHORIZED:
            return UploadJobOptions()
        return options


@register("options_without_authorization", S, ("CON-06",), "a caller without authorisation can read and set the options")
class OptionsWithoutAuthorization(ReferenceSystem):
    def upload_job_extension_options(self):  # type: ignore[no-untyped-def]
        self._enter(_API + "uploadJobExtensionOptions")
        return None if self.config is None else self.config.options

    def set_upload_job_extension_options(self, options: UploadJobOptions) -> None:
        saved = self.authorization
        self.authorization = AuthorizationStatus.AUTHORIZED
        try:
            super().set_upload_job_extension_options(options)
        finally:
            self.authorization = saved


@register("set_options_creates_configuration", S, ("ACT-20",), "setting options without a configuration silently creates one")
class SetOptionsCreatesConfiguration(ReferenceSystem):
    def set_upload_job_extension_options(self, options: UploadJobOptions) -> None:
        self._enter(_API + "setUploadJobExtensionOptions")
        if self.authorization is not AuthorizationStatus.AUTHORIZED:
            self._refuse_write()
        from ..system import Configuration

        if self.config is None:
            self.config = Configuration(options)
        self.config.options = options


@register("enable_ignores_options", S, ("ACT-17",), "enableUploadJobExtension(with:) creates the configuration with default options")
class EnableIgnoresOptions(ReferenceSystem):
    def enable_upload_job_extension(self, options: UploadJobOptions | None) -> None:
        super().enable_upload_job_extension(None)


@register("set_options_merges", S, ("ACT-21",), "setting options merges them into the old ones: a fresh default never clears a set flag")
class SetOptionsMerges(ReferenceSystem):
    def set_upload_job_extension_options(self, options: UploadJobOptions) -> None:
        old = self.config.options if self.config is not None else UploadJobOptions()
        merged = UploadJobOptions(old.prevents_expensive_network_access or options.prevents_expensive_network_access)
        super().set_upload_job_extension_options(merged)


@register("prevents_expensive_default_true", S, ("ACT-22",), "preventsExpensiveNetworkAccess defaults to true")
class PreventsExpensiveDefaultTrue(ReferenceSystem):
    def _enable(self, options: UploadJobOptions | None) -> None:
        fresh = self.config is None
        super()._enable(options)
        if fresh and self.config is not None and options in (None, UploadJobOptions()):
            self.config.options = UploadJobOptions(prevents_expensive_network_access=True)


@register("expensive_network_ignored", S, ("ACT-23", "NET-10"), "preventsExpensiveNetworkAccess is ignored: uploads run on cellular")
class ExpensiveNetworkIgnored(ReferenceSystem):
    def _work_allowed(self) -> bool:
        return self.network is not self.network.NONE and self.power_ok


@register("reenable_keeps_old_options", S, ("ACT-24",), "enabling an enabled app again keeps the old options instead of replacing them")
class ReenableKeepsOldOptions(ReferenceSystem):
    def _enable(self, options: UploadJobOptions | None) -> None:
        super()._enable(None if self.config is not None else options)


@register("enable_without_extension", S, ("ACT-04",), "enabling succeeds without a registered upload extension")
class EnableWithoutExtension(ReferenceSystem):
    def _enable(self, options: UploadJobOptions | None) -> None:
        registered = self.install.extension_registered
        self.install.extension_registered = True
        try:
            super()._enable(options)
        finally:
            self.install.extension_registered = registered


@register("enable_without_url_base", S, ("ACT-06",), "enabling succeeds without BackgroundUploadURLBase")
class EnableWithoutURLBase(ReferenceSystem):
    def _enable(self, options: UploadJobOptions | None) -> None:
        base = self.install.url_base
        self.install.url_base = base or "https://anything.example/"
        try:
            super()._enable(options)
        finally:
            self.install.url_base = base


@register("available_in_simulator", S, ("ACT-09",), "the feature works in the iOS Simulator")
class AvailableInSimulator(ReferenceSystem):
    def set_simulator(self, on: bool) -> None:
        self.simulator = False


@register("failed_enable_silent", S, ("ACT-11", "ERR-02"), "a refused setUploadJobExtensionEnabled returns quietly instead of throwing")
class FailedEnableSilent(ReferenceSystem):
    def set_upload_job_extension_enabled(self, enabled: bool) -> None:
        try:
            super().set_upload_job_extension_enabled(enabled)
        except PhotoKitError:
            pass


@register("failed_enable27_silent", S, ("ACT-18",), "a refused enable/disableUploadJobExtension returns quietly instead of throwing",
          profiles=("ios-27.0",))
class FailedEnable27Silent(ReferenceSystem):
    def enable_upload_job_extension(self, options: UploadJobOptions | None) -> None:
        try:
            super().enable_upload_job_extension(options)
        except PhotoKitError:
            pass

    def disable_upload_job_extension(self) -> None:
        try:
            super().disable_upload_job_extension()
        except PhotoKitError:
            pass
