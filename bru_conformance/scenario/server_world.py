"""One SERVER scenario's world: a probe client aimed at the server under test, in one interop version.

SERVER scenarios do not go through the role contracts: the server is a real HTTP endpoint, and the
harness talks to it the way the system would, with `bru_conformance.scenario.probe.Probe` (h11: it sees 104s,
cuts connections for real, holds them half-open). Everything a check reads is what the probe received,
so every verdict rests on the harness's own observation. The exchanges become the run's trace (redacted),
shown in reports for every scenario that did not pass.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from bru_conformance.assumptions import Assumptions
from bru_conformance.profiles import InteropProfile
from bru_conformance.scenario.probe import HeldExchange, Probe, ProbeExchange


def body_of(alias: str, size: int) -> bytes:
    """The bytes the harness uploads for `alias` (a SHAKE-256 stream: never periodic)."""
    return hashlib.shake_256(alias.encode()).digest(size)


@dataclass
class ProbeUpload:
    """What the scenario knows of one upload it started: its body, Location and exchanges, in order."""

    alias: str
    body: bytes
    location: str | None = None
    exchanges: list[ProbeExchange] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)  # every Upload-Offset the server reported for it, in order
    stands_at: int | None = None  # where the upload stands as the harness knows it (last report, or bytes accepted by a 2xx)
    held: HeldExchange | None = None
    held_outcome: ProbeExchange | None = None
    cancel: ProbeExchange | None = None
    append: ProbeExchange | None = None  # the latest append


class ProbeTrace:
    """The probe's exchanges shaped as trace events (schemas/trace-event.schema.json)."""

    def __init__(self, probe: Probe) -> None:
        self._probe = probe

    def as_json(self, last: int | None = None) -> list[dict[str, Any]]:
        records = self._probe.records()
        start = 0 if last is None else max(0, len(records) - last)
        out = []
        for n, r in enumerate(records[start:], start=start + 1):
            path = r["url"].split("://", 1)[-1]
            path = "/" + path.split("/", 1)[1] if "/" in path else "/"
            error = {"type": "ConnectionError", "message": r["error"]} if r["error"] else None
            out.append({"seq": n, "time": 0.0, "direction": "harness->server", "call": f"{r['method']} {path}",
                        "actor": "harness", "began": n - 1,
                        "args": {k: r[k] for k in ("url", "request_headers", "body_length", "bytes_sent", "cut_after", "held")},
                        "result": {k: r[k] for k in ("informational", "status", "reason", "headers", "complete",
                                                     "final_before_body_end", "peer_closed")},
                        "error": error})
        return out


class ServerWorld:
    """Everything one SERVER scenario run touches; created fresh per scenario and interop version."""

    role = "server"

    def __init__(self, base_url: str, profile: InteropProfile, assumptions: Assumptions) -> None:
        self.profile = profile
        self.interop = profile.version
        self.assumptions = assumptions
        self.probe = Probe(base_url, interop=self.interop)
        self.trace = ProbeTrace(self.probe)
        self.uploads: dict[str, ProbeUpload] = {}
        self.preflights: list[ProbeExchange] = []
        self.last: ProbeExchange | None = None
        self.notes: list[str] = []
        self.harness_failure: BaseException | None = None

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def upload(self, alias: str) -> ProbeUpload:
        try:
            return self.uploads[alias]
        except KeyError:
            raise AssertionError(f"the scenario never started an upload called {alias!r}") from None

    def record(self, upload: ProbeUpload | None, exchange: ProbeExchange) -> ProbeExchange:
        """Keep an exchange as the last one (and under its upload), noting any offset it reports."""
        self.last = exchange
        if upload is not None:
            upload.exchanges.append(exchange)
            if upload.location is None and exchange.location:
                upload.location = exchange.location
            offset = exchange.header("upload-offset")
            if offset is not None and exchange.status is not None and exchange.status < 300:
                try:
                    upload.offsets.append(int(offset))
                    upload.stands_at = upload.offsets[-1]
                except ValueError:
                    pass  # not an Integer: NET-32's check reports it
        return exchange

    def close(self) -> None:
        for upload in self.uploads.values():
            if upload.held is not None:
                upload.held.cut()
