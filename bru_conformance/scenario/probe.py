"""The harness's eye on an upload server: raw HTTP/1.1 exchanges over sockets, driven through h11.

A conformance verdict about a server can only be as good as the record of what crossed the wire, so
the probe builds requests the way a resumable-upload client of a given interop version would
(preflight, creation, offset retrieval, append, cancellation) and records *every* response it gets,
each informational (1xx) response included, exactly as received: a 104 without the interop header is
still reported as a 104; judging it is the caller's business. It can also misbehave like a real
network: cut a body after N bytes by really closing (or resetting) the socket, or hold a request
half-open (body partly sent, socket open) while other requests run.

Every exchange becomes a `ProbeExchange`; `to_dict()` gives its JSON form with `Authorization`,
cookies and other secrets masked through `bru_conformance.scenario.redact`. Structured Fields are parsed with
`http_sf` (`parse_dictionary`, `parse_item`) for callers that judge field syntax.
"""

from __future__ import annotations

import select
import socket
import struct
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import h11
import http_sf

from bru_conformance.scenario.redact import redact, redact_headers, redact_text

CHUNK = 65536
BODY_PREVIEW = 4096
PARTIAL_UPLOAD = "application/partial-upload"
_DEFAULT: Any = object()

# --- per-version request vocabulary (from the drafts; independent of the reference server) ------


def completion_header(version: int, complete: bool) -> tuple[str, str]:
    """Interop 3 says `Upload-Incomplete` (true = more to come); 4 and later say `Upload-Complete`."""
    if version <= 3:
        return "Upload-Incomplete", "?0" if complete else "?1"
    return "Upload-Complete", "?1" if complete else "?0"


def has_upload_length(version: int | None) -> bool:
    return version is not None and version >= 6


def needs_partial_upload(version: int | None) -> bool:
    return version is not None and version >= 6


def parse_dictionary(value: str | bytes | None) -> dict[str, Any] | None:
    """A Structured-Fields Dictionary as {key: value} (parameters dropped); None if absent or invalid."""
    if value is None:
        return None
    try:
        parsed = http_sf.parse(value.encode("latin-1") if isinstance(value, str) else value, tltype="dictionary")
    except http_sf.StructuredFieldError:
        return None
    return {k: (v[0] if isinstance(v, tuple) else v) for k, v in parsed.items()}


def parse_item(value: str | bytes | None) -> Any:
    """A Structured-Fields Item's bare value (int, bool, str, ...); None if absent or invalid."""
    if value is None:
        return None
    try:
        item, _params = http_sf.parse(value.encode("latin-1") if isinstance(value, str) else value, tltype="item")
    except http_sf.StructuredFieldError:
        return None
    return item


# --- records -------------------------------------------------------------------------------------


def _find(headers: list[tuple[str, str]], name: str) -> str | None:
    name = name.lower()
    return next((v for n, v in headers if n.lower() == name), None)


def _masked(headers: list[tuple[str, str]]) -> list[list[str]]:
    return [[n, redact_headers({n: v})[n]] for n, v in headers]


@dataclass
class Interim:
    """One informational (1xx) response as received."""

    status: int
    reason: str
    headers: list[tuple[str, str]]

    def header(self, name: str) -> str | None:
        return _find(self.headers, name)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason, "headers": _masked(self.headers)}


@dataclass
class ProbeExchange:
    """One request and everything that came back for it (or the error that ended it)."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    body_length: int = 0
    bytes_sent: int = 0
    cut_after: int | None = None
    held: bool = False
    informational: list[Interim] = field(default_factory=list)
    status: int | None = None
    reason: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    complete: bool = False              # the final response arrived whole
    final_before_body_end: bool = False  # the final response came before the request body was sent
    peer_closed: bool = False
    error: str | None = None

    def header(self, name: str) -> str | None:
        """The final response's first value for `name` (case-insensitive)."""
        return _find(self.headers, name)

    def interims(self, status: int = 104) -> list[Interim]:
        return [i for i in self.informational if i.status == status]

    @property
    def location(self) -> str | None:
        """The upload URL: the first 104's Location, else the final response's."""
        for interim in self.interims(104):
            if interim.header("location"):
                return interim.header("location")
        return self.header("location")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready and redacted."""
        return {
            "method": self.method,
            "url": redact(self.url, "url"),
            "request_headers": _masked(self.request_headers),
            "body_length": self.body_length,
            "bytes_sent": self.bytes_sent,
            "cut_after": self.cut_after,
            "held": self.held,
            "informational": [i.to_dict() for i in self.informational],
            "status": self.status,
            "reason": self.reason,
            "headers": _masked(self.headers),
            "body": redact_text(self.body[:BODY_PREVIEW].decode("utf-8", "replace")),
            "complete": self.complete,
            "final_before_body_end": self.final_before_body_end,
            "peer_closed": self.peer_closed,
            "error": redact_text(self.error) if self.error else None,
        }


# --- one connection ------------------------------------------------------------------------------


class _Connection:
    """A socket plus h11 client state, feeding every received event into one `ProbeExchange`."""

    def __init__(self, url: str, timeout: float, record: ProbeExchange) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http":
            raise ValueError(f"the probe speaks plain HTTP/1.1 only, not {parts.scheme!r}")
        self.record = record
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.conn = h11.Connection(h11.CLIENT)
        self.sock = socket.create_connection((self.host, self.port), timeout=timeout)
        self.open = True
        self.body_done = False
        self.closing = False  # errors seen while the probe itself closes are not the server's

    def send_head(self, method: str, headers: list[tuple[str, str]]) -> None:
        self._send(h11.Request(method=method, target=self.target, headers=headers))

    def send_body(self, data: bytes) -> bool:
        """Send body bytes in chunks, reading whatever arrives in between; False if sending failed."""
        for start in range(0, len(data), CHUNK):
            chunk = data[start:start + CHUNK]
            if not self._send(h11.Data(data=chunk)):
                return False
            self.record.bytes_sent += len(chunk)
            self.pump(block=False)
        return True

    def end_body(self) -> bool:
        ok = self._send(h11.EndOfMessage())
        self.body_done = ok
        return ok

    def _send(self, event: Any) -> bool:
        try:
            data = self.conn.send(event)
            if data:
                self.sock.sendall(data)
            return True
        except (OSError, h11.LocalProtocolError) as exc:
            self.record.error = self.record.error or f"send failed: {exc}"
            return False

    def pump(self, *, block: bool, until: Any = None) -> None:
        """Process received events; with `block`, read until `until(record)` or the final response ends."""
        done = until or (lambda r: r.complete)
        while self.open and not done(self.record) and not self.record.complete:
            try:
                event = self.conn.next_event()
            except h11.RemoteProtocolError as exc:
                if self.record.peer_closed:
                    message = ("server closed the connection before the final response" if self.record.status is None
                               else "server closed the connection mid-response")
                else:
                    message = f"protocol error: {exc}"
                if not self.closing:
                    self.record.error = self.record.error or message
                self.record.peer_closed = True
                return
            if event is h11.NEED_DATA:
                if not block and not select.select([self.sock], [], [], 0)[0]:
                    return
                try:
                    data = self.sock.recv(CHUNK)
                except TimeoutError:
                    self.record.error = self.record.error or "timeout waiting for the server"
                    return
                except OSError as exc:
                    if not self.closing:
                        self.record.error = self.record.error or f"receive failed: {exc}"
                    data = b""
                if not data:
                    self.record.peer_closed = True
                self.conn.receive_data(data)
                continue
            self._on(event)
            if isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return

    def _on(self, event: Any) -> None:
        record = self.record
        if isinstance(event, h11.InformationalResponse):
            record.informational.append(Interim(event.status_code, event.reason.decode("latin-1"), _pairs(event.headers)))
        elif isinstance(event, h11.Response):
            record.status, record.reason = event.status_code, event.reason.decode("latin-1")
            record.headers = _pairs(event.headers)
            # bytes still unsent when the answer came (all of them sent but the end not yet marked is no early answer)
            record.final_before_body_end = record.bytes_sent < record.body_length
        elif isinstance(event, h11.Data):
            record.body += bytes(event.data)
        elif isinstance(event, h11.EndOfMessage):
            record.complete = True
        elif isinstance(event, h11.ConnectionClosed):
            record.peer_closed = True

    def close(self, *, reset: bool = False) -> None:
        """Really close the socket: FIN after what was sent, or RST with `reset`."""
        if not self.open:
            return
        self.closing = True
        self.pump(block=False)  # take in what already arrived, so it is recorded
        try:
            if reset:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self.sock.shutdown(socket.SHUT_WR)
                self.pump(block=False)
        except OSError:
            pass
        self.sock.close()
        self.open = False


def _pairs(headers: Any) -> list[tuple[str, str]]:
    return [(n.decode("latin-1"), v.decode("latin-1")) for n, v in headers]


# --- the probe -----------------------------------------------------------------------------------


class HeldExchange:
    """A request left half-open on purpose: headers and part of the body sent, socket still open."""

    def __init__(self, connection: _Connection, body: bytes) -> None:
        self._c = connection
        self._body = body
        self.record = connection.record

    def poll(self) -> ProbeExchange:
        """Take in whatever responses arrived, without waiting."""
        if self._c.open:
            self._c.pump(block=False)
        return self.record

    def wait_for(self, what: str | int = "interim") -> ProbeExchange:
        """Block (socket timeout as the only bound) until "interim" (any 1xx), "final", or a 1xx of that status."""
        def arrived(r: ProbeExchange) -> bool:
            if r.status is not None:
                return True
            if what == "interim":
                return bool(r.informational)
            return isinstance(what, int) and any(i.status == what for i in r.informational)
        if self._c.open:
            self._c.pump(block=True, until=arrived)
        return self.record

    def finish(self) -> ProbeExchange:
        """Send the rest of the body and read the final response."""
        if self._c.open:
            rest = self._body[self.record.bytes_sent:]
            if self._c.send_body(rest) and self._c.end_body():
                self._c.pump(block=True)
            self._c.close()
        return self.record

    def cut(self, *, reset: bool = False) -> ProbeExchange:
        """Close the socket now, body unfinished."""
        if self._c.open:
            self.record.cut_after = self.record.bytes_sent
            self._c.close(reset=reset)
        return self.record

    def __enter__(self) -> HeldExchange:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cut()


def _creation_fields(version: int | None, field_version: int | None, body: bytes, complete: bool, upload_length: Any) -> list[tuple[str, str]]:
    """A creation's procedure fields: the completion field of `field_version`, and `Upload-Length` (by default the
    body's length, only from the versions that have it and only when the body completes the upload: only then is
    it the whole representation; None leaves it out, an int sends that value)."""
    fields = [completion_header(field_version, complete)] if field_version is not None else []
    if upload_length is _DEFAULT:
        upload_length = len(body) if has_upload_length(version) and complete else None
    if upload_length is not None:
        fields.append(("Upload-Length", str(upload_length)))
    return fields


class Probe:
    """Builds and sends resumable-upload requests for one interop version (None = no interop header)."""

    def __init__(self, base_url: str, *, interop: int | None = None, timeout: float = 5.0,
                 headers: dict[str, str] | None = None, endpoint: str = "/upload") -> None:
        self.base_url = base_url.rstrip("/")
        self.interop = interop
        self.timeout = timeout
        self.extra_headers = dict(headers or {})
        self.endpoint = endpoint
        self.log: list[ProbeExchange] = []

    def records(self) -> list[dict[str, Any]]:
        """Every exchange so far, JSON-ready and redacted."""
        return [e.to_dict() for e in self.log]

    # --- building blocks ---

    def url(self, target: str | None) -> str:
        target = self.endpoint if target is None else target
        return target if "://" in target else f"{self.base_url}{target if target.startswith('/') else '/' + target}"

    def _headers(self, interop: int | None, extra: list[tuple[str, str]],
                 headers: dict[str, str] | None) -> list[tuple[str, str]]:
        """Interop header, procedure fields, the probe's own extra headers, then per-call ones."""
        out = [("Upload-Draft-Interop-Version", str(interop))] if interop is not None else []
        return out + extra + list(self.extra_headers.items()) + list((headers or {}).items())

    def _version(self, interop: Any) -> int | None:
        return self.interop if interop is _DEFAULT else interop

    def _open(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes, *, held: bool) -> _Connection:
        record = ProbeExchange(method, url, headers, body_length=len(body), held=held)
        self.log.append(record)
        connection = _Connection(url, self.timeout, record)
        if not connection._send(h11.Request(method=method, target=connection.target, headers=headers)):
            connection.close()
        return connection

    def request(self, method: str, target: str | None, *, headers: list[tuple[str, str]] | None = None,
                body: bytes = b"", cut_after: int | None = None, await_interim: bool = False,
                reset: bool = False, send_length: bool | None = None) -> ProbeExchange:
        """Send one request (headers as given plus Host/Content-Length) and record what comes back.

        With `cut_after`, only that many body bytes are sent; then (if `await_interim`) the probe waits
        for an interim or final response, and closes the socket for real (RST with `reset`).
        """
        url = self.url(target)
        if send_length is None:
            send_length = method in ("POST", "PUT", "PATCH") or bool(body)
        all_headers = [("Host", urlsplit(url).netloc)] + list(headers or [])
        if send_length:
            all_headers.append(("Content-Length", str(len(body))))
        try:
            c = self._open(method, url, all_headers, body, held=False)
        except OSError as exc:
            record = ProbeExchange(method, url, all_headers, body_length=len(body), error=f"connect failed: {exc}")
            self.log.append(record)
            return record
        record = c.record
        if not c.open:
            return record
        if cut_after is not None:
            c.send_body(body[:cut_after])
            if await_interim:
                c.pump(block=True, until=lambda r: bool(r.informational) or r.status is not None)
            record.cut_after = record.bytes_sent
            c.close(reset=reset)
            return record
        if c.send_body(body) and c.end_body():
            c.pump(block=True)
        else:
            c.pump(block=False)
        if not record.complete and record.error is None:
            record.error = "connection closed before a final response" if record.status is None else "final response cut short"
        c.close()
        return record

    # --- procedures ---

    def preflight(self, target: str | None = None, *, interop: Any = _DEFAULT,
                  headers: dict[str, str] | None = None) -> ProbeExchange:
        url = self.url(target)
        hdrs = self._headers(self._version(interop), [], headers)
        return self.request("OPTIONS", url, headers=hdrs, send_length=False)

    def create(self, body: bytes, *, target: str | None = None, interop: Any = _DEFAULT, complete: bool = True,
               completion: Any = _DEFAULT, upload_length: Any = _DEFAULT, method: str = "POST",
               cut_after: int | None = None, await_interim: bool | None = None, reset: bool = False,
               headers: dict[str, str] | None = None) -> ProbeExchange:
        """An upload creation: completion field per version (`completion=None` leaves it out, an int picks
        another version's field), `Upload-Length` from interop 6 when `complete` (`upload_length=None` leaves it
        out, an int sends that value)."""
        version = self._version(interop)
        field_version = version if completion is _DEFAULT else completion
        extra = _creation_fields(version, field_version, body, complete, upload_length)
        url = self.url(target)
        hdrs = self._headers(version, extra, headers)
        if await_interim is None:
            await_interim = version is not None
        return self.request(method, url, headers=hdrs, body=body, cut_after=cut_after, await_interim=await_interim, reset=reset)

    def head(self, url: str, *, interop: Any = _DEFAULT, headers: dict[str, str] | None = None) -> ProbeExchange:
        hdrs = self._headers(self._version(interop), [], headers)
        return self.request("HEAD", url, headers=hdrs, send_length=False)

    def append(self, url: str, offset: int, body: bytes, *, interop: Any = _DEFAULT, complete: bool | None = True,
               content_type: Any = _DEFAULT, upload_length: int | None = None, cut_after: int | None = None,
               headers: dict[str, str] | None = None) -> ProbeExchange:
        """PATCH at `offset`; `application/partial-upload` from interop 6; `complete=None` omits the field."""
        version = self._version(interop)
        extra = [("Upload-Offset", str(offset))]
        if complete is not None and version is not None:
            extra.append(completion_header(version, complete))
        if content_type is _DEFAULT:
            content_type = PARTIAL_UPLOAD if needs_partial_upload(version) else None
        if content_type is not None:
            extra.append(("Content-Type", content_type))
        if upload_length is not None:
            extra.append(("Upload-Length", str(upload_length)))
        hdrs = self._headers(version, extra, headers)
        return self.request("PATCH", url, headers=hdrs, body=body, cut_after=cut_after)

    def delete(self, url: str, *, interop: Any = _DEFAULT, headers: dict[str, str] | None = None) -> ProbeExchange:
        hdrs = self._headers(self._version(interop), [], headers)
        return self.request("DELETE", url, headers=hdrs, send_length=False)

    def hold(self, body: bytes, *, send: int, target: str | None = None, method: str = "POST",
             interop: Any = _DEFAULT, complete: bool = True, upload_length: Any = _DEFAULT,
             headers: dict[str, str] | None = None, wait_for: str | int | None = "interim") -> HeldExchange:
        """Start a creation, send `send` body bytes, keep the socket open; then `wait_for` (see `HeldExchange`)."""
        version = self._version(interop)
        extra = _creation_fields(version, version, body, complete, upload_length)
        url = self.url(target)
        hdrs = [("Host", urlsplit(url).netloc), *self._headers(version, extra, headers), ("Content-Length", str(len(body)))]
        c = self._open(method, url, hdrs, body, held=True)
        held = HeldExchange(c, body)
        if c.open:
            c.send_body(body[:send])
            if wait_for:
                held.wait_for(wait_for)
        return held
