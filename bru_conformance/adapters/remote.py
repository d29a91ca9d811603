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
from collections import deque
from typing import Any

from bru_conformance import __version__
from bru_conformance.adapters import AdapterError
from bru_conformance.adapters.codec import (
    EXTENSION_BY_WIRE,
    HandleTable,
    WireEnvironment,
    WireExtension,
    WireLibrary,
    serve_call,
    serve_extension,
)
from bru_conformance.adapters.methods import PROTOCOL_VERSION
from bru_conformance.adapters.rpc import Endpoint, Killed, LineSource, ProtocolError
from bru_conformance.assumptions import Assumptions
from bru_conformance.contracts import AppAccount, BackupApp, Implementation, PhotoLibrary
from bru_conformance.profiles import Profile
from bru_conformance.protocol import BruError, ExtensionKilled

_sessions = itertools.count(1)


class SharedCpu:
    """Keeps the harness and its adapter on one CPU while they talk (Linux; elsewhere it does nothing).

    The protocol strictly alternates: one side runs while the other waits for its answer. Waking a
    process on another CPU costs far more than a switch on the same one (a pipe round trip measured
    50 µs across CPUs, 8.5 µs on one, on a 2-core VM), and a run makes tens of thousands of them.
    The CPU is picked by process id, so parallel runs spread over the CPUs; `release` restores the
    harness's own affinity.
    """

    def __init__(self) -> None:
        self._saved: set[int] | None = None

    def pin(self) -> None:
        if self._saved is not None or not hasattr(os, "sched_setaffinity"):
            return
        allowed = sorted(os.sched_getaffinity(0))
        self._saved = set(allowed)
        os.sched_setaffinity(0, {allowed[os.getpid() % len(allowed)]})  # the adapter inherits it at start

    def release(self) -> None:
        if self._saved is not None:
            os.sched_setaffinity(0, self._saved)
            self._saved = None


class AdapterProcess:
    """One adapter subprocess, restarted after a fault."""

    def __init__(self, command: str, timeout: float = 10.0, cpu: str = "shared") -> None:
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
        self.cpu = SharedCpu() if cpu == "shared" else None

    # ------------------------------------------------------------------------------- life cycle
    def start(self) -> None:
        if self.cpu is not None:
            self.cpu.pin()
        try:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         start_new_session=True)
        except OSError as exc:
            raise AdapterError(f"cannot start adapter {self.command!r}: {exc}") from exc
        assert self.proc.stdout and self.proc.stdin and self.proc.stderr
        # each process gets its own buffer: an error shows the stderr of the process that failed, never the
        # last words of one that was replaced before it (its reader may still be draining into the old one)
        self.stderr_lines = deque(maxlen=40)
        self._stderr_reader = threading.Thread(target=self._drain_stderr, args=(self.proc.stderr, self.stderr_lines), daemon=True)
        self._stderr_reader.start()
        self.endpoint = Endpoint(LineSource(self.proc.stdout), self.proc.stdin, self._handle, "harness", self.timeout)
        self.broken = False
        self.identity = self.call("initialize", {"suiteVersion": __version__, "protocolVersion": PROTOCOL_VERSION})
        spoken = self.identity.get("protocolVersion")
        if spoken != PROTOCOL_VERSION:
            self.stop()
            raise AdapterError(
                f"the adapter speaks adapter protocol {spoken or '1.1 or older (no protocolVersion in its initialize answer)'}; "
                f"this harness speaks {PROTOCOL_VERSION} only. Since 1.2 the extension's entry points have a wire method "
                "each (extension.process / extension.notifyTermination on 26.x, extension.processJobs / "
                "extension.willTerminate on 27 and macOS) and the adapter answers initialize with "
                f'"protocolVersion": "{PROTOCOL_VERSION}" (docs/adapter-protocol.md, "Versions")')

    @staticmethod
    def _drain_stderr(stream: Any, into: deque[str]) -> None:
        for raw in iter(stream.readline, b""):
            into.append(raw.decode(errors="replace").rstrip()[:500])

    def ensure(self) -> None:
        if self.proc is None or self.broken or self.proc.poll() is not None:
            if self.proc is not None:
                self.restarts += 1
            self.stop()
            self.start()

    def close(self) -> None:
        """The end of the run: stop the adapter and give the harness its CPUs back."""
        self.stop()
        if self.cpu is not None:
            self.cpu.release()

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
            reader = getattr(self, "_stderr_reader", None)
            if reader is not None:  # errors only: give the reader up to 0.2 s to catch the adapter's last words
                reader.join(timeout=0.2)
            tail = self.stderr_tail()
            raise AdapterError(f"adapter protocol error during {method}: {exc}"
                               + (f"\n--- adapter stderr (last lines) ---\n{tail}" if tail else "")) from exc
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM while waiting on the adapter: its answer may still come, out
            self.broken = True  # of turn, so nothing more is asked of it (the teardown stops it, never waits on it)
            raise

    def _handle(self, method: str, params: dict[str, Any]) -> Any:
        session = self.sessions.get(str(params.get("session")))
        if session is None:
            raise BruError(f"unknown session {params.get('session')!r}")
        return session.handle(method, params)

    def open_session(self, role: str, profile: Profile, assumptions: Assumptions, account: dict[str, Any] | None,
                     host: SessionHost) -> str:
        """`account` is the wire form of the APP's account (`session.create`'s `account`), None for a SYSTEM."""
        self.ensure()
        sid = f"s{next(_sessions)}"
        self.sessions[sid] = host
        self.call("session.create", {"session": sid, "role": role, "profile": profile.name, "assumptions": dict(assumptions),
                                     "account": account})
        return sid

    def close_session(self, sid: str) -> None:
        if self.sessions.pop(sid, None) is not None and not self.broken and self.proc and self.proc.poll() is None:
            self.call("session.dispose", {"session": sid})


class SessionHost:
    """What the harness serves for one session: the SYSTEM (for an APP adapter) or the APP (for a SYSTEM adapter)."""

    def __init__(self, library: PhotoLibrary | None = None) -> None:
        self.library = library
        self.handles = HandleTable()
        self.app: BackupApp | None = None
        self.extensions: dict[str, Any] = {}
        self.killed = False

    def handle(self, method: str, params: dict[str, Any]) -> Any:
        """A request of the adapter: an APP's PhotoKit calls, or the SYSTEM's callbacks into the harness's APP."""
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
        if method in EXTENSION_BY_WIRE:  # the method the SYSTEM adapter called, traced as such (never by profile)
            return serve_extension(self.extensions[params["extension"]], method)
        raise BruError(f"unexpected method {method} from the adapter")


class _SystemHost(SessionHost):
    """The host of a SYSTEM session, which also knows the SYSTEM's clock while it cannot have moved."""

    def __init__(self) -> None:
        super().__init__()
        self.clock: float | None = None  # the SYSTEM adapter's last `env.now` answer while it is still valid
        self.callbacks = 0               # how deep the harness is inside calls the SYSTEM made

    def handle(self, method: str, params: dict[str, Any]) -> Any:
        """The SYSTEM calls back only while it runs: its clock may move, so it is read afresh meanwhile and after."""
        self.callbacks += 1
        try:
            return super().handle(method, params)
        finally:
            self.callbacks -= 1
            self.clock = None


class RemoteExtension(WireExtension):
    """An extension process of the APP adapter: each Python method sends its own wire method, so the APP
    is called through the protocol the harness's SYSTEM used."""

    def __init__(self, app: RemoteApp, key: str) -> None:
        super().__init__(self._send, app.sid, key)
        self.app = app

    def _send(self, method: str, params: dict[str, Any]) -> Any:
        """A processing call starts a fresh life (and may use the credential); a notice may come in the
        middle of one, so it pushes no token. KILLED ends the call as a dead process."""
        if method not in ("extension.process", "extension.processJobs"):
            return self.app.proc.call(method, params)
        self.app.host.killed = False
        self.app.send_token()
        try:
            return self.app.proc.call(method, params)
        except Killed as exc:
            raise ExtensionKilled(str(exc)) from None


class RemoteApp:
    """An APP under test in another process, as a `BackupApp`."""

    def __init__(self, proc: AdapterProcess, library: PhotoLibrary, profile: Profile, account: AppAccount) -> None:
        self.proc = proc
        self.host = SessionHost(library)
        self.account = account
        self.token = account.token()
        self.sid = proc.open_session("app", profile, Assumptions(), {
            "uploadUrl": account.upload_url, "token": self.token, "serverIdHeader": account.server_id_header,
            "maxAttempts": account.max_attempts, "filenameHeader": account.filename_header}, self.host)
        self._extensions = itertools.count(1)

    def send_token(self) -> None:
        """Tell the APP its credential changed (a scenario rotated it) before it may build a destination.

        The harness pushes the token instead of the APP asking for it per destination: one message per
        rotation rather than one per job.
        """
        token = self.account.token()
        if token != self.token:
            self.proc.call("account.setToken", {"session": self.sid, "token": token})
            self.token = token

    def _call(self, method: str, **params: Any) -> Any:
        self.send_token()
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


#: Environment calls that only read: a SYSTEM's clock cannot move while it answers them.
CLOCK_STILL = frozenset({"env.now", "env.processingCalls", "env.nextProcessingCallAt", "env.serverReceived",
                         "env.uploadAttempts", "env.jobSnapshot", "env.jobForResource"})


class _RemoteEnvironment(WireEnvironment):
    def __init__(self, rpc: Any, profile: Profile, host: _SystemHost) -> None:
        super().__init__(rpc, profile)
        self._host = host

    def now(self) -> float:
        """The SYSTEM's clock, asked again only when it may have moved (docs/adapter-protocol.md, "Time").

        The trace stamps every event with it; asking over the wire each time doubled the messages of a run.
        """
        host = self._host
        if host.clock is None or host.callbacks:
            host.clock = float(self._rpc("env.now", {}))
        return host.clock

    def attach_app(self, app: BackupApp) -> None:
        """The APP stays in the harness; the SYSTEM adapter asks for extension processes by `extension.make`."""
        self._host.app = app


class RemoteSystem:
    """A SYSTEM under test in another process, as a `SystemUnderTest`."""

    def __init__(self, proc: AdapterProcess, profile: Profile, assumptions: Assumptions) -> None:
        self.proc = proc
        self.host = _SystemHost()
        self.sid = proc.open_session("system", profile, assumptions, None, self.host)
        self.library = WireLibrary(self._rpc, profile)
        self.environment = _RemoteEnvironment(self._rpc, profile, self.host)

    def _rpc(self, method: str, params: dict[str, Any]) -> Any:
        """Every call to the SYSTEM adapter; those that may move its clock forget the cached `env.now`.

        Forgetting it afterwards is enough: while the call runs, the harness reads the clock only inside
        the SYSTEM's callbacks, where it is always asked afresh."""
        try:
            return self.proc.call(method, {"session": self.sid, **params})
        finally:
            if method.startswith("env.") and method not in CLOCK_STILL:
                self.host.clock = None

    def close(self) -> None:
        self.proc.close_session(self.sid)


def remote_implementation(command: str, timeout: float = 10.0, cpu: str = "shared") -> tuple[Implementation, AdapterProcess]:
    """Start the adapter, read its handshake, and describe it as an `Implementation`."""
    proc = AdapterProcess(command, timeout, cpu)
    proc.ensure()
    ident = proc.identity
    roles = set(ident["roles"])
    impl = Implementation(
        name=ident["name"], version=ident["version"],
        app=(lambda library, profile, account: RemoteApp(proc, library, profile, account)) if "app" in roles else None,
        system=(lambda profile, assumptions: RemoteSystem(proc, profile, assumptions)) if "system" in roles else None,
        profiles=tuple(ident["profiles"]), capabilities=frozenset(ident["capabilities"]))
    return impl, proc
