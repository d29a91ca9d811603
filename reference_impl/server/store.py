"""What the reference server keeps: upload resources and a log of the exchanges it saw.

Tests judge a server by what came over the wire *and* by what it stored, so both are kept here and
handed out as immutable snapshots (`UploadView`, dicts) that never change under a test's feet while
connection threads keep running. One lock guards every upload: appends, offset reads, completion and
the hand-over of an upload from a stale transfer to a new request happen atomically.
"""

from __future__ import annotations

import copy
import secrets
import socket
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class UploadView:
    """A snapshot of one upload: its id, the bytes stored and its state."""

    id: str
    data: bytes
    complete: bool
    cancelled: bool
    invalid: bool
    length: int | None
    resumable: bool
    version: int | None
    location: str | None

    @property
    def offset(self) -> int:
        return len(self.data)

    @property
    def active(self) -> bool:
        return self.resumable and not (self.cancelled or self.invalid)


@dataclass
class _Upload:
    id: str
    resumable: bool
    version: int | None
    location: str | None
    data: bytearray = field(default_factory=bytearray)
    complete: bool = False
    cancelled: bool = False
    invalid: bool = False
    length: int | None = None
    last_reported: int | None = None   # the offset the last HEAD reported (decreasing_offset fault)
    heads: int = 0
    owner: int = 0                     # token of the request allowed to append
    owner_sock: socket.socket | None = None

    def view(self) -> UploadView:
        return UploadView(self.id, bytes(self.data), self.complete, self.cancelled, self.invalid,
                          self.length, self.resumable, self.version, self.location)


class UploadStore:
    """Upload resources by id, plus the exchange log; thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)  # notified whenever an exchange record changes
        self._uploads: dict[str, _Upload] = {}
        self._tokens = 0
        self.exchanges: list[dict[str, Any]] = []

    # --- uploads -------------------------------------------------------------------------------

    def create(self, *, resumable: bool, version: int | None, base_url: str, prefix: str) -> _Upload:
        with self.lock:
            uid = secrets.token_hex(8)
            while uid in self._uploads:
                uid = secrets.token_hex(8)
            location = f"{base_url}{prefix}{uid}" if resumable else None
            upload = _Upload(uid, resumable, version, location)
            self._uploads[uid] = upload
            return upload

    def fresh_location(self, base_url: str, prefix: str) -> str:
        """A Location that names no upload (for the wrong_location_on_final fault)."""
        return f"{base_url}{prefix}{secrets.token_hex(8)}"

    def get(self, uid: str) -> _Upload | None:
        with self.lock:
            return self._uploads.get(uid)

    def take_over(self, upload: _Upload, sock: socket.socket | None, *, terminate: bool) -> int:
        """Make a new request the only one allowed to append; the stale transfer is cut off.

        The drafts recommend terminating a previous creation/append still running on the same upload
        before serving a new request for it, so an offset the server reports stays valid. With
        `terminate=False` (the ignore_concurrency fault) nobody is cut off and the token -1 lets the
        new request append alongside the old one.
        """
        if not terminate:
            return -1
        with self.lock:
            self._tokens += 1
            old, upload.owner, upload.owner_sock = upload.owner_sock, self._tokens, sock
            token = self._tokens
        if old is not None and old is not sock:
            try:
                old.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return token

    def release(self, upload: _Upload, token: int) -> None:
        """The owning request ended: its connection must not be cut by a later take-over."""
        with self.lock:
            if upload.owner == token:
                upload.owner_sock = None

    def append(self, upload: _Upload, token: int, chunk: bytes, *, limit: int | None) -> tuple[bool, bool]:
        """Append what fits under `limit`; returns (still the owner, overflowed)."""
        with self.lock:
            if (token != -1 and upload.owner != token) or upload.cancelled or upload.invalid:
                return False, False
            if limit is not None and len(upload.data) + len(chunk) > limit:
                upload.data += chunk[: max(0, limit - len(upload.data))]
                return True, True
            upload.data += chunk
            return True, False

    @property
    def uploads(self) -> dict[str, UploadView]:
        with self.lock:
            return {uid: u.view() for uid, u in self._uploads.items()}

    # --- exchange log --------------------------------------------------------------------------

    def log(self, record: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.exchanges.append(record)
            self.changed.notify_all()
        return record

    def note(self, record: dict[str, Any], fields: dict[str, Any]) -> None:
        with self.lock:
            record.update(fields)
            self.changed.notify_all()

    def wait_for(self, predicate: Any, timeout: float) -> bool:
        """Block until `predicate(exchanges)` holds (checked whenever an exchange changes); False after `timeout`
        seconds without it, a bound for a server that hangs, never a pause."""
        with self.lock:
            return self.changed.wait_for(lambda: predicate(self.exchanges), timeout)

    def exchange_log(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self.exchanges)
