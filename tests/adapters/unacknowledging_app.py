"""A non-conformant in-process APP for the exploration tests: the reference APP, except that it never
acknowledges finished jobs (ACK-02, a MUST), so nothing it uploads reaches its ledger."""

from __future__ import annotations

from bru_conformance.contracts import AppAccount, Implementation, PhotoLibrary
from bru_conformance.profiles import Profile
from reference_impl.app import ReferenceApp


class UnacknowledgingApp(ReferenceApp):
    def _acknowledge_finished(self) -> bool:
        return False


def create(library: PhotoLibrary, profile: Profile, account: AppAccount) -> UnacknowledgingApp:
    return UnacknowledgingApp(library, profile, account)


def factory() -> Implementation:
    return Implementation(name="unacknowledging example app", version="0.0.1", app=create)
