"""`UploadServer`: the reference resumable-upload server on a loopback socket, one thread per connection.

Plain sockets rather than `socketserver` so that stopping is deterministic: the listener and every
open connection (including ones a probe holds half-open on purpose) are shut down, and every thread
is joined before `running_server` returns. Nothing waits on wall-clock time except socket I/O.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from .config import ServerConfig
from .handler import ConnectionHandler
from .store import UploadStore, UploadView


class UploadServer:
    """A running reference server; `uploads` and `exchanges` tell what it stored and saw."""

    def __init__(self, config: ServerConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or ServerConfig()
        self.store = UploadStore()
        self._listener = socket.create_server((host, port))
        self.host, self.port = self._listener.getsockname()[:2]
        self.base_url = f"http://{self.host}:{self.port}"
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._conns: set[socket.socket] = set()
        self._stopping = False
        self._acceptor = threading.Thread(target=self._accept_loop, name=f"bru-server-{self.port}", daemon=True)
        self.leaked_threads: list[str] = []

    def start(self) -> UploadServer:
        self._acceptor.start()
        return self

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._stopping:
                    conn.close()
                    return
                thread = threading.Thread(target=self._serve, args=(conn,), daemon=True,
                                          name=f"bru-conn-{self.port}")
                self._threads.add(thread)
                self._conns.add(conn)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            ConnectionHandler(conn, self).run()
        finally:
            with contextlib.suppress(OSError):
                conn.close()
            with self._lock:
                self._conns.discard(conn)
                self._threads.discard(threading.current_thread())

    def stop(self, timeout: float = 5.0) -> None:
        """Close the listener and every connection, then join all threads."""
        with self._lock:
            self._stopping = True
            conns, threads = list(self._conns), list(self._threads)
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._acceptor.is_alive():
            self._acceptor.join(timeout)
        for thread in threads:
            thread.join(timeout)
        self.leaked_threads = [t.name for t in threads + [self._acceptor] if t.is_alive()]

    @property
    def uploads(self) -> dict[str, UploadView]:
        """Upload id -> snapshot (bytes stored, complete/cancelled/invalid, length, location)."""
        return self.store.uploads

    @property
    def exchanges(self) -> list[dict[str, Any]]:
        """Every request seen, in arrival order, with its (redacted) headers and what was answered."""
        return self.store.exchange_log()

    def wait_for_exchanges(self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 10.0) -> bool:
        """Block until `predicate` holds for the exchange log (a test's sync point with the connection threads);
        False when `timeout` seconds pass without it."""
        return self.store.wait_for(predicate, timeout)

    def upload_at(self, location: str | None) -> UploadView | None:
        """The upload a Location names, if any."""
        if not location:
            return None
        upload = self.store.get(location.rstrip("/").rsplit("/", 1)[-1])  # one upload, not a copy of them all
        if upload is None:
            return None
        with self.store.lock:
            return upload.view()


@contextlib.contextmanager
def running_server(config: ServerConfig | None = None, **overrides: Any) -> Iterator[tuple[str, UploadServer]]:
    """Start a reference server on 127.0.0.1 (free port); yield (base_url, server); stop it after."""
    if overrides:
        config = replace(config or ServerConfig(), **overrides)
    server = UploadServer(config).start()
    try:
        yield server.base_url, server
    finally:
        server.stop()
