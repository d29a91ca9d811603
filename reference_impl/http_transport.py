"""`HttpTransport`: the reference SYSTEM's uploads over real sockets, resumable per the IETF draft.

Why it exists: `SimulatedServer` answers scripted outcomes, so it cannot show that the SYSTEM's side of
the wire works. This transport makes the same decision (`map_outcome`, AMB-23) from a real server's
answers, so the reference SYSTEM can back a library up to the reference server (or any server) on
loopback. Per attempt, on its own HTTP/1.1 connection(s) driven by h11:

* an `OPTIONS` preflight before the first upload to an origin, its answer cached per origin (NET-02,
  NET-05): 200 with a valid `Upload-Limit` Dictionary means resumable; 501 or anything else means
  plain uploads (no interop fields at all);
* the creation request with the destination's method, URL and headers, the interop fields of one draft
  version (`Upload-Draft-Interop-Version`, `Upload-Complete: ?1` / `Upload-Incomplete: ?0` for 3,
  `Upload-Length` from 6), and the resource's bytes (`resource_bytes`) as body;
* a 104's `Location` kept, so an interruption after it is resumed: HEAD for the offset, PATCH from it,
  a bounded number of times (NET-01, NET-07); without a 104 an interruption is a transport error;
* the final response mapped like the simulated server's, header names lower-cased (NET-09).

NET-10 (preventsExpensiveNetworkAccess) is the SYSTEM's scheduling: `_work_allowed` holds jobs before
an attempt ever reaches a transport. `log` keeps every attempt (requests with secrets masked through
`bru_conformance.scenario.redact`, 1xx, statuses, resumptions, bytes) and `preflights` counts OPTIONS per origin.
`cut_first_creation_after` / `cut_creations` cut a creation body once, after a 104, for tests.
"""

from __future__ import annotations

import select
import socket
import struct
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import h11
import http_sf

from bru_conformance.protocol import AssetResource, Request, UploadOutcome, URLError, URLErrorCode, resource_bytes
from bru_conformance.scenario.redact import redact_headers, redact_url

from .transport import AttemptResult, map_outcome

CHUNK = 65536
PARTIAL_UPLOAD = "application/partial-upload"
_FRAMING = {"host", "content-length", "transfer-encoding", "connection", "expect"}
_UPLOAD_FIELDS = {"content-type", "upload-offset", "upload-complete", "upload-incomplete", "upload-length",
                  "upload-draft-interop-version"}


def completion_field(version: int) -> tuple[str, str]:
    """The field that says "this request completes the upload": interop 3 inverts it (draft-01)."""
    return ("Upload-Incomplete", "?0") if version <= 3 else ("Upload-Complete", "?1")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _sf(value: str | None, kind: str) -> Any:
    """A Structured Field (RFC 9651) as parsed by http_sf; None if absent or invalid."""
    if value is None:
        return None
    try:
        parsed = http_sf.parse(value.encode("latin-1"), tltype=kind)
    except http_sf.StructuredFieldError:
        return None
    return parsed[0] if kind == "item" else parsed


@dataclass
class SentRequest:
    """One request on the wire and what came back (secrets masked)."""

    method: str
    target: str
    headers: list[list[str]]
    bytes_sent: int = 0
    informational: list[dict[str, Any]] = field(default_factory=list)
    status: int | None = None
    response_headers: list[list[str]] = field(default_factory=list)
    complete: bool = False          # the final response arrived whole
    cut_after: int | None = None    # the client cut the body on purpose (fault injection)
    error: str | None = None
    failure: URLErrorCode | None = field(default=None, repr=False)
    raw_headers: list[tuple[str, str]] = field(default_factory=list, repr=False)
    location: str | None = field(default=None, repr=False)  # the first 104's Location, absolute

    def header(self, name: str) -> str | None:
        return next((v for n, v in self.raw_headers if n.lower() == name), None)


@dataclass
class AttemptLog:
    """One `attempt`: every request it sent, how often it resumed, what it decided."""

    resource_id: str
    origin: str
    resumable: bool | None = None
    requests: list[SentRequest] = field(default_factory=list)
    resumptions: int = 0
    bytes_sent: int = 0
    status: int | None = None
    error: str | None = None
    succeeded: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for r in out["requests"]:
            for hidden in ("failure", "raw_headers", "location"):
                r.pop(hidden)
        return out


class HttpTransport:
    """The `Transport` protocol over HTTP/1.1 sockets: preflight, creation, 104, HEAD + PATCH resumption.

    One attempt at a time (the SYSTEM steps jobs one by one); each request has its own connection, so
    nothing is shared between attempts except the preflight cache.
    """

    def __init__(self, interop_version: int = 8, *, timeout: float = 5.0, max_resumptions: int = 3,
                 cut_first_creation_after: int | None = None, cut_creations: dict[str, int] | None = None,
                 cut_reset: bool = False, body: Callable[[AssetResource], bytes] = resource_bytes,
                 after_cut: Callable[[str], None] | None = None) -> None:
        if interop_version not in (3, 5, 6, 7, 8):
            raise ValueError(f"interop version {interop_version} not supported (3, 5, 6, 7, 8)")
        self.version = interop_version
        self.timeout = timeout
        self.max_resumptions = max_resumptions
        self.cut_reset = cut_reset
        self.body = body
        self._cut_next = cut_first_creation_after
        self._cuts = dict(cut_creations or {})
        # called with the upload's Location after a cut made on purpose, before the resumption asks for the offset:
        # a test's sync point (the server may not have taken in the bytes sent before the cut yet; either offset
        # is a correct answer, a test that checks a resumption from the middle needs the one after them)
        self.after_cut = after_cut
        self.preflights: Counter[str] = Counter()    # origin -> OPTIONS requests sent
        self.capabilities: dict[str, bool] = {}       # origin -> resumable (the cached preflight answer)
        self.limits: dict[str, dict[str, Any]] = {}   # origin -> its Upload-Limit members
        self.log: list[AttemptLog] = []

    # --- the Transport protocol ------------------------------------------------------------------
    def attempt(self, destination: Request, resource: AssetResource) -> AttemptResult:
        log = AttemptLog(resource.resource_id, _origin(destination.url))
        self.log.append(log)
        result = self._attempt(destination, resource, log)
        log.succeeded = result.succeeded
        if result.error is not None:
            log.error = log.error or result.error.code.name
        return result

    def _attempt(self, destination: Request, resource: AssetResource, log: AttemptLog) -> AttemptResult:
        resumable = self._preflight(destination.url, log)
        if isinstance(resumable, URLErrorCode):
            return AttemptResult(False, None, URLError(resumable))
        log.resumable = resumable
        data = self.body(resource)
        own = [(n, v) for n, v in destination.headers if n.lower() not in _FRAMING]
        fields: list[tuple[str, str]] = []
        if resumable:
            own = [(n, v) for n, v in own if n.lower() not in _UPLOAD_FIELDS - {"content-type"}]
            fields = [("Upload-Draft-Interop-Version", str(self.version)), completion_field(self.version)]
            if self.version >= 6:
                fields.append(("Upload-Length", str(len(data))))
        cut = self._cuts.pop(resource.resource_id, None)
        if cut is None and self._cut_next is not None:
            cut, self._cut_next = self._cut_next, None
        created = self._exchange(log, destination.method, destination.url, own + fields, data, cut_after=cut, wait=resumable)
        if created.complete:
            return self._final(created, log)
        failure = created.failure or URLErrorCode.NETWORK_CONNECTION_LOST
        if resumable and created.location:
            if created.cut_after is not None and self.after_cut is not None:
                self.after_cut(created.location)
            resumed = self._resume(created.location, own, data, log)
            if isinstance(resumed, AttemptResult):
                return resumed
            failure = resumed or failure
        return AttemptResult(False, None, URLError(failure))

    def _final(self, rec: SentRequest, log: AttemptLog) -> AttemptResult:
        """AMB-23 through `map_outcome`; repeated fields joined (RFC 9110 5.3), names lower-cased."""
        log.status = rec.status
        joined: dict[str, str] = {}
        for name, value in rec.raw_headers:
            key = name.lower()
            joined[key] = f"{joined[key]}, {value}" if key in joined else value
        return map_outcome(UploadOutcome.http(rec.status or 0, joined))

    # --- preflight (NET-02, NET-05) ----------------------------------------------------------------
    def _preflight(self, url: str, log: AttemptLog) -> bool | URLErrorCode:
        origin = _origin(url)
        if origin in self.capabilities:
            return self.capabilities[origin]
        self.preflights[origin] += 1
        rec = self._exchange(log, "OPTIONS", url, [("Upload-Draft-Interop-Version", str(self.version))], None)
        if not rec.complete:
            return rec.failure or URLErrorCode.NETWORK_CONNECTION_LOST  # not cached: ask again next time
        limit = _sf(rec.header("upload-limit"), "dictionary") if rec.status == 200 else None
        self.capabilities[origin] = limit is not None
        if limit is not None:
            self.limits[origin] = {k: v[0] for k, v in limit.items()}
        return self.capabilities[origin]

    # --- resumption (NET-01, NET-07) -----------------------------------------------------------------
    def _resume(self, location: str, own: list[tuple[str, str]], data: bytes,
                log: AttemptLog) -> AttemptResult | URLErrorCode | None:
        """HEAD for the offset, PATCH the rest; again after another interruption or a 409, up to the bound."""
        interop = [("Upload-Draft-Interop-Version", str(self.version))]
        keep = [(n, v) for n, v in own if n.lower() not in _UPLOAD_FIELDS]  # credentials and metadata go along
        failure: URLErrorCode | None = None
        for _ in range(self.max_resumptions):
            log.resumptions += 1
            head = self._exchange(log, "HEAD", location, interop + keep, None)
            if not head.complete:
                failure = head.failure
                continue
            offset = _sf(head.header("upload-offset"), "item")
            if head.status not in (200, 204) or type(offset) is not int or not 0 <= offset <= len(data):
                return failure  # the upload is gone or unreadable: the interruption stands
            name, value = completion_field(self.version)
            done = _sf(head.header(name.lower()), "item")
            if (done is False if self.version <= 3 else done is True) and offset == len(data):
                return self._final(head, log)  # stored whole; only the final response was lost
            fields = [*interop, ("Upload-Offset", str(offset)), (name, value)]
            if self.version >= 6:
                fields += [("Content-Type", PARTIAL_UPLOAD), ("Upload-Length", str(len(data)))]
            patch = self._exchange(log, "PATCH", location, fields + keep, data[offset:])
            if patch.complete and patch.status != 409:
                return self._final(patch, log)
            failure = patch.failure
        return failure

    # --- one request on its own connection ---------------------------------------------------------
    def _exchange(self, log: AttemptLog, method: str, url: str, headers: list[tuple[str, str]],
                  body: bytes | None, *, cut_after: int | None = None, wait: bool = False) -> SentRequest:
        """Send one request (body in chunks, reading 1xx/early answers between them) and read its answer;
        with `cut_after`, close after that many body bytes (once a 1xx or final answer came, with `wait`)."""
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sent = [("Host", parts.netloc), *headers]
        if body is not None:
            sent.append(("Content-Length", str(len(body))))
        rec = SentRequest(method, redact_url(url), [[n, redact_headers({n: v})[n]] for n, v in sent])
        log.requests.append(rec)
        if parts.scheme != "http":
            rec.error, rec.failure = f"only http:// is spoken here, not {parts.scheme}://", URLErrorCode.BAD_URL
            return rec
        try:
            sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=self.timeout)
        except TimeoutError:
            rec.error, rec.failure = "connect timed out", URLErrorCode.TIMED_OUT
            return rec
        except OSError as exc:
            rec.error, rec.failure = f"connect failed: {exc}", URLErrorCode.CANNOT_CONNECT_TO_HOST
            return rec
        wire = _Wire(sock, rec, url)
        try:
            if wire.send(h11.Request(method=method, target=target, headers=sent)) and body is not None:
                wire.send_body(body, log, cut_after, wait)
            if rec.cut_after is None:
                wire.pump(block=True)
            if not rec.complete and rec.failure is None:
                rec.error, rec.failure = "connection closed before a final response", URLErrorCode.NETWORK_CONNECTION_LOST
        finally:
            wire.close(reset=self.cut_reset and rec.cut_after is not None)
        return rec


class _Wire:
    """A socket plus h11 client state, feeding every event it receives into one `SentRequest`."""

    def __init__(self, sock: socket.socket, rec: SentRequest, url: str) -> None:
        self.sock, self.rec, self.url = sock, rec, url
        self.conn = h11.Connection(h11.CLIENT)

    def send(self, event: Any) -> bool:
        try:
            data = self.conn.send(event)
            if data:
                self.sock.sendall(data)
            return True
        except TimeoutError:
            self._fail("send timed out", URLErrorCode.TIMED_OUT)
        except (OSError, h11.LocalProtocolError) as exc:
            self._fail(f"send failed: {exc}", URLErrorCode.NETWORK_CONNECTION_LOST)
        return False

    def send_body(self, body: bytes, log: AttemptLog, cut_after: int | None, wait: bool) -> None:
        """Chunks until the end, an early final answer, a failure or the client-side cut."""
        view = memoryview(body)
        end = len(body) if cut_after is None else min(cut_after, len(body))
        for start in range(0, end, CHUNK):
            chunk = view[start:min(start + CHUNK, end)]
            if not self.send(h11.Data(data=chunk)):
                return
            self.rec.bytes_sent += len(chunk)
            log.bytes_sent += len(chunk)
            self.pump(block=False)
            if self.rec.complete:
                return  # answered before the body's end: the answer decides, the rest is not sent
        if cut_after is not None and cut_after < len(body):
            if wait:  # deterministic: the 104 is in before the cut, as NET-07 needs for a resumption
                self.pump(block=True, until=lambda r: bool(r.informational) or r.status is not None)
            self.rec.cut_after = self.rec.bytes_sent
            self.rec.error, self.rec.failure = f"cut by the client after {self.rec.bytes_sent} bytes", URLErrorCode.NETWORK_CONNECTION_LOST
            return
        self.send(h11.EndOfMessage())

    def pump(self, *, block: bool, until: Callable[[SentRequest], bool] | None = None) -> None:
        """Take in received events; with `block`, read until `until(rec)` or the final response's end."""
        while not self.rec.complete and not (until and until(self.rec)):
            try:
                event = self.conn.next_event()
            except h11.ProtocolError as exc:
                self._fail(f"connection ended mid-response: {exc}", URLErrorCode.NETWORK_CONNECTION_LOST)
                return
            if event is h11.NEED_DATA:
                if not block and not select.select([self.sock], [], [], 0)[0]:
                    return
                try:
                    data = self.sock.recv(CHUNK)
                except TimeoutError:
                    self._fail("timed out waiting for the server", URLErrorCode.TIMED_OUT)
                    return
                except OSError:
                    data = b""  # reset: whatever was queued before it has been read already
                self.conn.receive_data(data)
                continue
            if isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return
            self._on(event)

    def _on(self, event: Any) -> None:
        rec = self.rec
        if isinstance(event, h11.InformationalResponse):
            pairs = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in event.headers]
            rec.informational.append({"status": event.status_code, "headers": [[n, redact_headers({n: v})[n]] for n, v in pairs]})
            location = next((v for n, v in pairs if n == "location"), None)
            if event.status_code == 104 and location and rec.location is None:
                rec.location = urljoin(self.url, location)
        elif isinstance(event, h11.Response):
            rec.status = event.status_code
            rec.raw_headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in event.headers]
            rec.response_headers = [[n, redact_headers({n: v})[n]] for n, v in rec.raw_headers]
        elif isinstance(event, h11.EndOfMessage):
            rec.complete = True

    def _fail(self, message: str, code: URLErrorCode) -> None:
        if self.rec.failure is None:
            self.rec.error, self.rec.failure = message, code

    def close(self, *, reset: bool = False) -> None:
        try:
            if reset:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.sock.close()
