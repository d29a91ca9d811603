"""Misbehaving in-process APPs for the harness-integrity tests (issue 12): each works without end, the way an
app stuck in a retry loop would. The harness must bound what one scenario may cost and go on with the next.

`factory`: the extension asks for its jobs again and again inside a processing call (the SYSTEM's runtime
limit ends it). `host_factory`: the host app does the same while the user turns backup on, outside any
processing call, where only the harness's own budget can stop it."""

from __future__ import annotations

from typing import Any

from bru_conformance.contracts import AppAccount, Implementation, PhotoLibrary
from bru_conformance.profiles import Profile
from bru_conformance.protocol import Action
from reference_impl.app import ReferenceApp


class EndlessApp(ReferenceApp):
    def _acknowledge_finished(self) -> bool:
        while True:
            self.library.fetch_jobs(Action.ACKNOWLEDGE)


class EndlessHostApp(ReferenceApp):
    def turn_on_backup(self) -> Any:
        while True:
            self.library.fetch_jobs(Action.ACKNOWLEDGE)


def factory() -> Implementation:
    def create(library: PhotoLibrary, profile: Profile, account: AppAccount) -> EndlessApp:
        return EndlessApp(library, profile, account)

    return Implementation(name="endless example app", version="0.0.1", app=create)


def host_factory() -> Implementation:
    def create(library: PhotoLibrary, profile: Profile, account: AppAccount) -> EndlessHostApp:
        return EndlessHostApp(library, profile, account)

    return Implementation(name="endless host example app", version="0.0.1", app=create)
