"""One server-side HTTP/1.1 connection on h11: read events, send 1xx and final responses, drain bodies.

h11 does the framing (Content-Length, chunked, keep-alive, 1xx before the final response) so the
reference server cannot get HTTP itself wrong; what it does with the upload fields stays in
`handler.py`. A peer that vanishes, a read timeout or a malformed body all surface as `Interrupted`,
which is what the drafts call an interrupted upload.
"""

from __future__ import annotations

import socket

import h11

CHUNK = 65536


class Interrupted(Exception):
    """The request stopped before its end: peer closed, reset, timed out or sent garbage."""


class Wire:
    """h11 state for one accepted socket."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        self.sock = sock
        self.conn = h11.Connection(h11.SERVER)
        sock.settimeout(timeout)
        self.closed = False

    def next_event(self):
        """The next h11 event, reading from the socket as needed."""
        while True:
            try:
                event = self.conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise Interrupted(f"protocol error: {exc}") from exc
            if event is not h11.NEED_DATA:
                return event
            try:
                data = self.sock.recv(CHUNK)
            except (TimeoutError, OSError):
                data = b""
            self.conn.receive_data(data)

    def body(self):
        """Yield the request body's chunks until its end; `Interrupted` if it never comes."""
        while True:
            event = self.next_event()
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return
            else:
                raise Interrupted(f"connection ended mid-body ({type(event).__name__})")

    def drain(self) -> int:
        """Read and discard what is left of the request body (after an early or error answer)."""
        total = 0
        try:
            if self.conn.their_state is h11.SEND_BODY:
                for chunk in self.body():
                    total += len(chunk)
        except Interrupted:
            pass
        return total

    def _send(self, event) -> None:
        try:
            data = self.conn.send(event)
            if data:
                self.sock.sendall(data)
        except (OSError, h11.LocalProtocolError) as exc:
            raise Interrupted(f"could not send: {exc}") from exc

    def interim(self, status: int, headers: list[tuple[str, bytes | str]], reason: bytes = b"") -> None:
        self._send(h11.InformationalResponse(status_code=status, headers=_encode(headers), reason=reason))

    def final(self, status: int, headers: list[tuple[str, bytes | str]], body: bytes = b"", *, head: bool = False) -> None:
        headers = list(headers)
        if status != 204 and status >= 200:
            headers.append(("content-length", str(0 if head else len(body))))
        self._send(h11.Response(status_code=status, headers=_encode(headers)))
        if body and not head:
            self._send(h11.Data(data=body))
        self._send(h11.EndOfMessage())

    def next_cycle(self) -> bool:
        """Get ready for the next request on a keep-alive connection; False if it must close."""
        if self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE:
            try:
                self.conn.start_next_cycle()
                return True
            except h11.LocalProtocolError:
                return False
        return False

    def abort(self) -> None:
        """Drop the connection on the spot (the drop_mid_body fault)."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass


def _encode(headers: list[tuple[str, bytes | str]]) -> list[tuple[bytes, bytes]]:
    return [(n.encode("ascii"), v if isinstance(v, bytes) else str(v).encode("latin-1")) for n, v in headers]
