"""How the reference SYSTEM sends a job's resource: the transport interface and a simulated server.

The system never does HTTP itself in the model: it asks a `Transport` for the outcome of one attempt
and maps that outcome to a job result the way the digest reads Apple (AMB-23): a final 2xx succeeds;
401 fails with `userAuthenticationRequired`; any other final status fails with `badServerResponse`;
transport errors fail with their URL error. Response header names are lower-cased (NET-09). The
simulated server stores a copy only when it read the whole body, so an early answer stores nothing.
"""

from __future__ import annotations

from array import array
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from bru_conformance.protocol import (
    AssetResource,
    OutcomeKind,
    Request,
    UploadOutcome,
    URLError,
    URLErrorCode,
)


@dataclass(frozen=True)
class AttemptResult:
    """What an attempt did to the job: succeeded or not, headers (None = no HTTP response), error."""

    succeeded: bool
    headers: dict[str, str] | None
    error: URLError | None


class Transport(Protocol):
    """Where a job's bytes go: the simulated server here, real HTTP for the SERVER role later."""

    def attempt(self, destination: Request, resource: AssetResource) -> AttemptResult:
        """One upload attempt of `resource` to `destination`, mapped to the job's result (AMB-23)."""
        ...


_TRANSPORT_ERRORS = {
    OutcomeKind.TIMEOUT: URLErrorCode.TIMED_OUT,
    OutcomeKind.CONNECTION_LOST: URLErrorCode.NETWORK_CONNECTION_LOST,
    OutcomeKind.ICLOUD_FAILURE: URLErrorCode.RESOURCE_UNAVAILABLE,
}


def map_outcome(outcome: UploadOutcome) -> AttemptResult:
    """AMB-23: from what happened on the wire to the job's result, headers and sanitised error."""
    if outcome.kind in _TRANSPORT_ERRORS:
        return AttemptResult(False, None, URLError(_TRANSPORT_ERRORS[outcome.kind]))
    headers = {k.lower(): v for k, v in outcome.headers}
    if 200 <= outcome.status < 300:
        return AttemptResult(True, headers, None)
    code = URLErrorCode.USER_AUTHENTICATION_REQUIRED if outcome.status == 401 else URLErrorCode.BAD_SERVER_RESPONSE
    return AttemptResult(False, headers, URLError(code))


class AttemptLog:
    """Every upload attempt the server saw, in order, as (resource id, destination) pairs.

    Kept for evidence, so a large backup keeps one per asset. As a list of pairs that was two objects per
    attempt the cyclic collector walks on every full collection (each `Request` is tracked, so its pair is):
    the largest share of a 100,000-asset backup's collections, which grew faster than the library (measured).
    Here: the resource ids in one list, and each attempt's destination as an index into the distinct
    destinations (one app sends to a handful), in an array the collector never looks into."""

    def __init__(self) -> None:
        self._resources: list[str] = []
        self._destinations: list[Request] = []
        self._index: dict[Request, int] = {}
        self._which = array("L")

    def append(self, attempt: tuple[str, Request]) -> None:
        resource_id, destination = attempt
        index = self._index.get(destination)  # a `Request` is a value: equal destinations are one
        if index is None:
            index = self._index[destination] = len(self._destinations)
            self._destinations.append(destination)
        self._resources.append(resource_id)
        self._which.append(index)

    def __len__(self) -> int:
        return len(self._resources)

    def __iter__(self) -> Iterator[tuple[str, Request]]:
        destinations = self._destinations
        return ((rid, destinations[i]) for rid, i in zip(self._resources, self._which, strict=True))

    def __getitem__(self, position: int) -> tuple[str, Request]:
        return self._resources[position], self._destinations[self._which[position]]


class SimulatedServer:
    """A scripted server: each attempt takes the next scripted outcome (per resource, then global)."""

    def __init__(self) -> None:
        self._per_resource: dict[str, deque[UploadOutcome]] = defaultdict(deque)
        self._any: deque[UploadOutcome] = deque()
        self.stored: dict[str, int] = defaultdict(int)
        self.attempts = AttemptLog()
        self._next_id = 0

    def script(self, outcomes: list[UploadOutcome], resource_id: str | None) -> None:
        (self._per_resource[resource_id] if resource_id else self._any).extend(outcomes)

    def _next(self, resource_id: str) -> UploadOutcome:
        queue = self._per_resource.get(resource_id)
        if queue:
            return queue.popleft()
        if self._any:
            return self._any.popleft()
        self._next_id += 1
        return UploadOutcome.success(201, {"X-Server-Id": f"srv-{self._next_id}"})

    def download(self, resource: AssetResource) -> URLError | None:
        """A download-only job's iCloud fetch: fails only when an iCloud failure is scripted next for it."""
        queue = self._per_resource.get(resource.resource_id)
        if queue and queue[0].kind is OutcomeKind.ICLOUD_FAILURE:
            queue.popleft()
            return URLError(URLErrorCode.RESOURCE_UNAVAILABLE)
        return None

    def attempt(self, destination: Request, resource: AssetResource) -> AttemptResult:
        outcome = self._next(resource.resource_id)
        self.attempts.append((resource.resource_id, destination))
        if outcome.stores:
            self.stored[resource.resource_id] += 1
        return map_outcome(outcome)
