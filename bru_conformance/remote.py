"""The harness side of out-of-process adapters (`--adapter-cmd`).

`AdapterProcess` owns the subprocess and its JSON-RPC endpoint: it starts it, shakes hands, routes the
adapter's callbacks to the scenario session they belong to, captures the tail of its stderr, and after
any protocol breach kills it (whole process group: no orphans) and starts a fresh one for the next
scenario. `RemoteApp` and `RemoteSystem` present the adapter as ordinary role contracts, so the
scenarios run unchanged.
"""

from __future__ import annotations

import itertools
import os
import shlex
import signal
import subprocess
import threading
import time
from collections import deque
from typing import Any

from bru_conformance import __version__, wire
from bru_conformance.adapter_protocol import PROTOCOL_VERSION
from bru_conformance.adapters import AdapterError
from bru_conformance.assumptions import Assumptions
from bru_conformance.codec import HandleTable, WireEnvironment, WireLibrary, serve_call
from bru_conformance.contracts import AppAccount, BackupApp, Implementation, PhotoLibrary
from bru_conformance.profiles import Profile
from bru_conformance.protocol import BruError, ExtensionKilled, ProcessingResult
from bru_conformance.rpc import Endpoint, Killed, LineSource, ProtocolError

_sessions = itertools.count(1)


class AdapterProcess:
    """One adapter subprocess, restarted after a fault."""

    def __init__(self, command: str, timeout: float = 10.0) -> None:
        self.argv = shlex.split(command)
        if not self.argv:
            raise AdapterError("--adapter-cmd is empty")
        self.command = command
        self.timeout = timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.endpoint: Endpoint | None = None
        self.identity: dict[str, Any] = {}
        self.sessions: dict[str, SessionHost] = {}
        self.stderr_lines: deque[str] = deque(maxlen=40)
        self.broken = False
        self.restarts = 0

    # ------------------------------------------------------------------------------- life cycle
    def start(self) -> None:
        try:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         start_new_session=True)
        except OSError as exc:
            raise AdapterError(f"cannot start adapter {self.command!r}: {exc}") from exc
        assert self.proc.stdout and self.proc.stdin and self.proc.stderr
        threading.Thread(target=self._drain_stderr, args=(self.proc.stderr,), daemon=True).start()
        self.endpoint = Endpoint(LineSource(self.proc.stdout), self.proc.stdin, self._handle, "harness", self.timeout)
        self.broken = False
        self.identity = self.call("initialize", {"suiteVersion": __version__, "protocolVersion": PROTOCOL_VERSION})

    def _drain_stderr(self, stream: Any) -> None:
        for raw in iter(stream.readline, b""):
            self.stderr_lines.append(raw.decode(errors="replace").rstrip()[:500])

    def ensure(self) -> None:
        if self.proc is None or self.broken or self.proc.poll() is not None:
            if self.proc is not None:
                self.restarts += 1
            self.stop()
            self.start()

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        self.sessions.clear()
        if proc is None:
            return
        if proc.poll() is None and not self.broken and self.endpoint is not None:
            try:
                self.endpoint.timeout = 1.0
                self.endpoint.call("shutdown", {})
            except (ProtocolError, BruError, Killed):
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait(timeout=10)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass

    def stderr_tail(self, lines: int = 15) -> str:
        return "\n".join(list(self.stderr_lines)[-lines:])

    # ------------------------------------------------------------------------------- calls
    def call(self, method: str, params: dict[str, Any]) -> Any:
        if self.endpoint is None or self.broken:
            raise AdapterError("the adapter is not running")
        try:
            return self.endpoint.call(method, params)
        except ProtocolError as exc:
            self.broken = True
            time.sleep(0.2)  # an I/O grace period (errors only): let the stderr reader catch the adapter's last words
            tail = self.stderr_tail()
            raise AdapterError(f"adapter protocol error during {method}: {exc}"
                               + (f"\n--- adapter stderr (last lines) ---\n{tail}" if tail else "")) from exc

    def _handle(self, method: str, params: dict[str, Any]) -> Any:
        session = self.sessions.get(str(params.get("session")))
        if session is None:
            raise BruError(f"unknown session {params.get('session')!r}")
        return session.handle(method, params)

    def open_session(self, role: str, profile: Profile, assumptions: Assumptions, account: AppAccount | None,
                     host: SessionHost) -> str:
        self.ensure()
        sid = f"s{next(_sessions)}"
        self.sessions[sid] = host
        self.call("session.create", {"session": sid, "role": role, "profile": profile.name, "assumptions": dict(assumptions),
                                     "account": None if account is None else {"uploadUrl": account.upload_url,
                                                                              "serverIdHeader": account.server_id_header,
                                                                              "maxAttempts": account.max_attempts}})
        return sid

    def close_session(self, sid: str) -> None:
        if self.sessions.pop(sid, None) is not None and not self.broken and self.proc and self.proc.poll() is None:
            self.call("session.dispose", {"session": sid})


class SessionHost:
    """What the harness serves for one session: the SYSTEM (for an APP adapter) or the APP (for a SYSTEM adapter)."""

    def __init__(self, library: PhotoLibrary | None = None, account: AppAccount | None = None) -> None:
        self.library = library
        self.account = account
        self.handles = HandleTable()
        self.app: BackupApp | None = None
        self.extensions: dict[str, Any] = {}
        self.profile: Profile | None = None
        self.killed = False

    def handle(self, method: str, params: dict[str, Any]) -> Any:
        if method == "account.token":
            assert self.account is not None
            return self.account.token()
        if method.startswith(("library.", "changeRequest.")):
            if self.library is None:
                raise BruError(f"{method}: this session serves no library")
            if self.killed:
                raise ExtensionKilled("the extension was killed; it cannot call the system any more")
            try:
                return serve_call(self.library, self.handles, method, params)
            except ExtensionKilled:
                self.killed = True
                raise
        if method == "extension.make":
            assert self.app is not None, "no app attached"
            self.extensions[params["extension"]] = self.app.make_extension()
            return None
        if method == "extension.process":
            from reference_impl.system import drive

            ext = self.extensions[params["extension"]]
            assert self.profile is not None
            value = drive(ext.process_jobs()) if self.profile.async_extension else ext.process()
            return wire.result(ProcessingResult(value))
        if method == "extension.notifyTermination":
            ext = self.extensions[params["extension"]]
            from reference_impl.system import drive

            drive(ext.will_terminate()) if self.profile and self.profile.async_extension else ext.notify_termination()
            return None
        raise BruError(f"unexpected method {method} from the adapter")


class RemoteExtension:
    def __init__(self, app: RemoteApp, key: str) -> None:
        self.app, self.key = app, key

    def process(self) -> ProcessingResult:
        self.app.host.killed = False
        try:
            return wire.to_result(self.app.proc.call("extension.process", {"session": self.app.sid, "extension": self.key}))
        except Killed as exc:
            raise ExtensionKilled(str(exc)) from None

    def notify_termination(self) -> None:
        self.app.proc.call("extension.notifyTermination", {"session": self.app.sid, "extension": self.key})

    async def process_jobs(self) -> ProcessingResult:
        return self.process()

    async def will_terminate(self) -> None:
        self.notify_termination()


class RemoteApp:
    """An APP under test in another process, as a `BackupApp`."""

    def __init__(self, proc: AdapterProcess, library: PhotoLibrary, profile: Profile, account: AppAccount) -> None:
        self.proc = proc
        self.host = SessionHost(library, account)
        self.host.profile = profile
        self.sid = proc.open_session("app", profile, Assumptions(), account, self.host)
        self._extensions = itertools.count(1)

    def _call(self, method: str, **params: Any) -> Any:
        return self.proc.call(method, {"session": self.sid, **params})

    def turn_on_backup(self) -> bool:
        return bool(self._call("app.turnOnBackup"))

    def sign_out(self) -> None:
        self._call("app.signOut")

    def make_extension(self) -> RemoteExtension:
        key = f"x{next(self._extensions)}"
        self._call("app.makeExtension", extension=key)
        return RemoteExtension(self, key)

    def uploaded_resources(self) -> dict[str, str]:
        return dict(self._call("app.uploadedResources"))

    def failed_resources(self) -> set[str]:
        return set(self._call("app.failedResources"))

    def close(self) -> None:
        self.proc.close_session(self.sid)


class _RemoteEnvironment(WireEnvironment):
    def __init__(self, rpc: Any, profile: Profile, host: SessionHost) -> None:
        super().__init__(rpc, profile)
        self._host = host

    def attach_app(self, app: BackupApp) -> None:
        """The APP stays in the harness; the SYSTEM adapter asks for extension processes by `extension.make`."""
        self._host.app = app


class RemoteSystem:
    """A SYSTEM under test in another process, as a `SystemUnderTest`."""

    def __init__(self, proc: AdapterProcess, profile: Profile, assumptions: Assumptions) -> None:
        self.proc = proc
        self.host = SessionHost()
        self.host.profile = profile
        self.sid = proc.open_session("system", profile, assumptions, None, self.host)
        rpc = lambda method, params: proc.call(method, {"session": self.sid, **params})
        self.library = WireLibrary(rpc, profile)
        self.environment = _RemoteEnvironment(rpc, profile, self.host)

    def close(self) -> None:
        self.proc.close_session(self.sid)


def remote_implementation(command: str, timeout: float = 10.0) -> tuple[Implementation, AdapterProcess]:
    """Start the adapter, read its handshake, and describe it as an `Implementation`."""
    proc = AdapterProcess(command, timeout)
    proc.ensure()
    ident = proc.identity
    roles = set(ident["roles"])
    impl = Implementation(
        name=ident["name"], version=ident["version"],
        app=(lambda library, profile, account: RemoteApp(proc, library, profile, account)) if "app" in roles else None,
        system=(lambda profile, assumptions: RemoteSystem(proc, profile, assumptions)) if "system" in roles else None,
        profiles=tuple(ident["profiles"]), capabilities=frozenset(ident["capabilities"]))
    return impl, proc
