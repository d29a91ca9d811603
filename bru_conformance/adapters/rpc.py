"""Bidirectional JSON-RPC 2.0 over a pair of byte streams, one message per line (NDJSON).

Either side may call the other at any time, including while it waits for an answer: a call keeps
reading, serves requests that arrive meanwhile (re-entrantly), and returns when its own response comes.
That is what lets an APP under test call back into the SYSTEM while the harness waits on `process`.
Every message is validated against `schemas/adapter-protocol.schema.json` in both directions; any
breach (bad JSON, schema violation, unknown response id, silence past the timeout, a flood) is a
`ProtocolError`, which the harness reports as an adapter error, never as a rule failure.
"""

from __future__ import annotations

import itertools
import os
import select
import threading
import time
from collections.abc import Callable
from typing import IO, Any

import orjson

from bru_conformance.adapters import forms
from bru_conformance.protocol import BruError, ExtensionKilled

MAX_LINE = 1 << 20          # one message may not exceed 1 MiB
MAX_MESSAGES_PER_CALL = 1_000_000

Handler = Callable[[str, dict[str, Any]], Any]


class ProtocolError(Exception):
    """The peer broke the adapter protocol (not a conformance failure)."""


class RemoteError(BruError):
    """The peer answered a call with an error that maps to no protocol exception."""


class Killed(Exception):
    """The peer answered with KILLED: the extension process is gone."""


class LineSource:
    """Lines from a pipe, read in the caller's thread with `select`, so a wait can time out.

    No reader thread: a thread hand-off per message costs milliseconds under the GIL, which for
    thousands of round trips dominated a run.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self._fd = stream.fileno()
        self._buffer = bytearray()
        self._eof = False

    def get(self, timeout: float | None) -> bytes | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                line = bytes(self._buffer[: newline + 1])
                del self._buffer[: newline + 1]
                return line
            if len(self._buffer) > MAX_LINE:
                line = bytes(self._buffer)
                self._buffer.clear()
                return line  # the caller rejects it as a flood
            if self._eof:
                if self._buffer:
                    line = bytes(self._buffer)
                    self._buffer.clear()
                    return line
                return None
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self._fd], [], [], remaining)
            if not ready:
                raise ProtocolError(f"no message within {timeout:g} s (the adapter hangs)")
            try:
                chunk = os.read(self._fd, 1 << 16)
            except OSError:
                chunk = b""
            if chunk:
                self._buffer += chunk
            else:
                self._eof = True


class Endpoint:
    """One side of the connection. `side` is "harness" or "adapter" (selects which schema applies)."""

    def __init__(self, source: LineSource, sink: IO[bytes], handler: Handler, side: str,
                 timeout: float | None = 10.0, validate: bool = os.environ.get("BRU_NO_VALIDATE") != "1") -> None:
        self.source, self.sink, self.handler, self.side = source, sink, handler, side
        self.timeout = timeout
        self.validate = validate
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.closed = False

    # ------------------------------------------------------------------------------- sending
    def _send(self, message: dict[str, Any]) -> None:
        if self.validate:
            self._check(message, outgoing=True)
        try:  # orjson: a tenth of the stdlib's cost, and a run sends tens of thousands of messages
            data = orjson.dumps(message, option=orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS)
        except TypeError as exc:
            raise ProtocolError(f"cannot encode {message.get('method') or 'a response'} as JSON: {exc}") from exc
        with self._lock:
            try:
                self.sink.write(data)
                self.sink.flush()
            except (BrokenPipeError, OSError, ValueError) as exc:
                raise ProtocolError(f"the connection is closed ({exc})") from exc

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def call(self, method: str, params: dict[str, Any]) -> Any:
        ident = next(self._ids)
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        for _ in range(MAX_MESSAGES_PER_CALL):
            message = self._receive()
            if "method" in message:
                self._serve(message)
                continue
            if message.get("id") != ident:
                raise ProtocolError(f"response to unknown request id {message.get('id')!r} (waiting for {ident})")
            if "error" in message:
                err = message["error"]
                if err.get("code") == forms.KILLED:
                    raise Killed(err.get("message", "killed"))
                if err.get("code") != forms.APPLICATION_ERROR:
                    raise ProtocolError(f"{method} failed inside the peer: {err.get('code')} {err.get('message', '')[:500]}")
                raise forms.to_exception(err)
            result = message.get("result")
            if self.validate:
                self._check_result(method, result)
            return result
        raise ProtocolError(f"more than {MAX_MESSAGES_PER_CALL} messages while waiting for {method} (flood)")

    # ------------------------------------------------------------------------------- receiving
    def _receive(self) -> dict[str, Any]:
        line = self.source.get(self.timeout)
        if line is None:
            self.closed = True
            raise ProtocolError("the adapter closed the connection (exited)")
        if len(line) > MAX_LINE:
            raise ProtocolError(f"a message longer than {MAX_LINE} bytes (flood)")
        try:
            message = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise ProtocolError(f"invalid JSON from the adapter: {line[:120]!r}") from exc
        if self.validate:
            self._check(message, outgoing=False)
        return message

    def _serve(self, message: dict[str, Any]) -> None:
        ident = message.get("id")
        try:
            result = self.handler(message["method"], message.get("params") or {})
        except (Killed, ExtensionKilled) as exc:
            reply: dict[str, Any] = {"error": {"code": forms.KILLED, "message": f"killed: {exc}"}}
        except BruError as exc:
            reply = {"error": forms.error(exc)}
        except ProtocolError:
            raise
        except Exception as exc:
            reply = {"error": {"code": -32603, "message": f"{type(exc).__name__}: {exc}"}}
        else:
            reply = {"result": result}
        if ident is not None:
            self._send({"jsonrpc": "2.0", "id": ident, **reply})

    def serve_forever(self) -> None:
        """Adapter side: answer requests until the harness closes the connection or says shutdown."""
        while True:
            try:
                message = self._receive()
            except ProtocolError:
                return
            if "method" not in message:
                raise ProtocolError(f"unexpected response {message.get('id')!r} while idle")
            self._serve(message)
            if message["method"] == "shutdown":
                return

    def _check_result(self, method: str, result: Any) -> None:
        from bru_conformance.schemas import SchemaError, validate_result

        try:
            validate_result(method, result)
        except SchemaError as exc:
            raise ProtocolError(f"the answer to {method} breaks the protocol schema: {exc}") from exc

    def _check(self, message: dict[str, Any], outgoing: bool) -> None:
        from bru_conformance.schemas import SchemaError, validate_message

        sender = self.side if outgoing else ("adapter" if self.side == "harness" else "harness")
        try:
            validate_message(sender, message)
        except SchemaError as exc:
            raise ProtocolError(f"{'outgoing' if outgoing else 'incoming'} message breaks the protocol schema: {exc}") from exc
