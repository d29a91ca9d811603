"""`bru-conformance serve-reference --role app|system`: the reference as an out-of-process adapter.

It speaks the adapter protocol on stdin/stdout exactly as a team's adapter would, which proves the
protocol carries every contract call: the whole suite runs against it through `--adapter-cmd` and
must pass exactly as in-process.
"""

from __future__ import annotations

import sys
from typing import Any

from bru_conformance import __version__
from bru_conformance.adapters.codec import EXTENSION_BY_WIRE, HandleTable, WireExtension, WireLibrary, killable, serve_call, serve_extension
from bru_conformance.adapters.methods import PROTOCOL_VERSION
from bru_conformance.adapters.rpc import Endpoint, LineSource
from bru_conformance.assumptions import Assumptions
from bru_conformance.contracts import CAPABILITIES, AppAccount
from bru_conformance.profiles import PROFILES, Profile, get_profile
from bru_conformance.protocol import BruError


class RemoteHarnessApp:
    """For a served SYSTEM: the harness's APP, whose extension processes live in the harness."""

    def __init__(self, rpc: Any, session: str) -> None:
        self._rpc, self._session, self._n = killable(rpc), session, 0

    def make_extension(self) -> Any:
        self._n += 1
        key = f"h{self._n}"
        self._rpc("extension.make", {"session": self._session, "extension": key})
        return WireExtension(self._rpc, self._session, key)  # sends the method the served SYSTEM calls


class Session:
    def __init__(self, role: str, profile: Profile, target: Any) -> None:
        self.role, self.profile, self.target = role, profile, target
        self.handles = HandleTable()
        self.extensions: dict[str, Any] = {}
        self.token = ""  # the APP account's credential, as the harness last sent it


class ReferenceServer:
    def __init__(self, role: str, variant: type | None = None) -> None:
        self.role = role
        self.variant = variant  # a mutant class standing in for the reference of `role` (mutation tests)
        self.sessions: dict[str, Session] = {}
        # The harness validates every message in both directions; an adapter need not check twice.
        self.endpoint = Endpoint(LineSource(sys.stdin.buffer), sys.stdout.buffer, self.handle, "adapter", timeout=None,
                                 validate=False)

    def rpc(self, method: str, params: dict[str, Any]) -> Any:
        return self.endpoint.call(method, params)

    def handle(self, method: str, params: dict[str, Any]) -> Any:
        if method == "initialize":
            what = "reference" if self.variant is None else f"mutant {self.variant.__name__}"
            return {"name": f"bru-conformance {what} ({self.role}, out-of-process)", "version": __version__,
                    "roles": [self.role], "profiles": list(PROFILES), "protocolVersion": PROTOCOL_VERSION,
                    "capabilities": sorted(CAPABILITIES) if self.role == "system" else []}
        if method in ("shutdown", "echo"):
            return params.get("value")
        sid = params.get("session")
        if method == "session.create":
            self.sessions[sid] = self._create(params)
            return None
        session = self.sessions.get(sid)
        if session is None:
            raise BruError(f"unknown session {sid!r}")
        if method == "session.dispose":
            del self.sessions[sid]
            return None
        if session.role == "system":
            return serve_call(session.target, session.handles, method, params)
        return self._app_call(session, method, params)

    def _create(self, params: dict[str, Any]) -> Session:
        from bru_conformance import reference

        ri = reference.module()

        profile = get_profile(params["profile"])
        if params["role"] != self.role:
            raise BruError(f"this adapter serves the {self.role} role, not {params['role']}")
        sid = params["session"]
        if self.role == "system":
            system = (self.variant or ri.ReferenceSystem)(profile, Assumptions(params.get("assumptions") or {}))
            system.attach_app(RemoteHarnessApp(self.rpc, sid))  # type: ignore[arg-type]
            return Session("system", profile, system)

        def rpc(method: str, params: dict[str, Any]) -> Any:
            return self.rpc(method, {"session": sid, **params})

        acc = params.get("account") or {}
        session = Session("app", profile, None)
        session.token = acc.get("token", "")
        account = AppAccount(upload_url=acc.get("uploadUrl", AppAccount().upload_url), token=lambda: session.token,
                             server_id_header=acc.get("serverIdHeader", "x-server-id"), max_attempts=int(acc.get("maxAttempts", 3)),
                             filename_header=acc.get("filenameHeader", AppAccount().filename_header))
        session.target = (self.variant or ri.create_app)(WireLibrary(rpc, profile), profile, account)  # type: ignore[arg-type]
        return session

    def _app_call(self, session: Session, method: str, params: dict[str, Any]) -> Any:
        app = session.target
        if method == "account.setToken":
            session.token = params["token"]
            return None
        if method == "app.turnOnBackup":
            return app.turn_on_backup()
        if method == "app.signOut":
            app.sign_out()
            return None
        if method == "app.makeExtension":
            session.extensions[params["extension"]] = app.make_extension()
            return None
        if method == "app.uploadedResources":
            return app.uploaded_resources()
        if method == "app.failedResources":
            return sorted(app.failed_resources())
        ext = session.extensions.get(params.get("extension", ""))
        if ext is None:
            raise BruError(f"unknown extension {params.get('extension')!r}")
        if method in EXTENSION_BY_WIRE:  # the method the harness's SYSTEM called, whatever the profile
            return serve_extension(ext, method)
        raise BruError(f"unknown method {method}")


def serve(role: str, variant: type | None = None) -> None:
    ReferenceServer(role, variant).endpoint.serve_forever()
