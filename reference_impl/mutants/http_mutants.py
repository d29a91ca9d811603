"""SYSTEM mutants of the real-HTTP path (NET-01..10): the reference SYSTEM with a broken `HttpTransport`.

The NET scenarios run a SYSTEM against an upload server the harness starts; these variants get the wire
wrong the way a client can (never resuming, skipping or repeating the preflight, handing the app
headers under the server's spelling), and each must fail its rule on the server's own log.
"""

from __future__ import annotations

from bru_conformance.protocol import UploadOutcome

from ..http_transport import HttpTransport
from ..system import ReferenceSystem
from ..transport import AttemptResult, map_outcome
from . import register

S = "system"


class _HttpSystem(ReferenceSystem):
    TRANSPORT: type[HttpTransport] = HttpTransport
    OPTIONS: dict[str, object] = {}

    def upload_over_http(self, interop_version: int) -> None:
        self.transport = self.TRANSPORT(interop_version, **self.OPTIONS)  # type: ignore[arg-type]


@register("http_never_resumes", S, ("NET-01", "NET-07"), "an upload cut after the 104 is never resumed: the job fails")
class NeverResumes(_HttpSystem):
    OPTIONS = {"max_resumptions": 0}


class _NoPreflight(HttpTransport):
    def _preflight(self, url: str, log: object) -> bool:  # type: ignore[override]
        return True  # assumes every server is resumable, asks none


@register("http_no_preflight", S, "NET-02", "uploads without an OPTIONS preflight")
class NoPreflight(_HttpSystem):
    TRANSPORT = _NoPreflight


class _PreflightEveryUpload(HttpTransport):
    def _preflight(self, url: str, log: object):  # type: ignore[no-untyped-def,override]
        self.capabilities.clear()  # forgets the answer: one OPTIONS per upload
        return super()._preflight(url, log)  # type: ignore[arg-type]


@register("http_preflight_every_upload", S, "NET-05", "sends a preflight before every upload instead of caching it")
class PreflightEveryUpload(_HttpSystem):
    TRANSPORT = _PreflightEveryUpload


class _HeadersCanonicalCase(HttpTransport):
    def _final(self, rec, log):  # type: ignore[no-untyped-def]
        mapped = map_outcome(UploadOutcome.http(rec.status or 0, {}))
        canonical = {"-".join(part.capitalize() for part in n.split("-")): v for n, v in rec.raw_headers}
        return AttemptResult(mapped.succeeded, canonical, mapped.error)  # as HTTPURLResponse.allHeaderFields spells them


@register("http_headers_canonical_case", S, "NET-09",
          "a job's response header names are in canonical case (X-Backup-Note, as allHeaderFields has them), not lower case")
class HeadersCanonicalCase(_HttpSystem):
    TRANSPORT = _HeadersCanonicalCase
