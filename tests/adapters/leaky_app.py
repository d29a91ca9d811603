"""A non-conformant in-process APP for the report tests: it never acknowledges finished jobs (ACK-02,
a MUST) and puts secrets in its destinations, which no output may show unredacted."""

from __future__ import annotations

from bru_conformance.contracts import AppAccount, Implementation, PhotoLibrary
from bru_conformance.profiles import Profile
from bru_conformance.protocol import Request
from reference_impl.app import ReferenceApp

SECRETS = ("hunter2", "SIGSECRET", "APIKEYSECRET", "COOKIESECRET", "SESSIONTOKENSECRET")


class LeakyApp(ReferenceApp):
    def destination(self) -> Request:
        return Request.make(
            "https://backup-user:hunter2@backup.example.com/upload?X-Amz-Signature=SIGSECRET&part=1",
            "POST", {"Authorization": f"Bearer {self.account.token()}", "X-Api-Key": "APIKEYSECRET",
                     "Cookie": "session=COOKIESECRET", "X-Session-Token": "SESSIONTOKENSECRET"})

    def _acknowledge_finished(self) -> bool:
        return False  # forgets to acknowledge: jobs pile up under the limit


def create(library: PhotoLibrary, profile: Profile, account: AppAccount) -> LeakyApp:
    return LeakyApp(library, profile, account)


def factory() -> Implementation:
    return Implementation(name="leaky example app", version="0.0.1", app=create)
