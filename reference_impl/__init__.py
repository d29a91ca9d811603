"""The bundled reference implementation of the SYSTEM and APP roles (sans-IO, virtual time).

`create_system` and `create_app` are the factories the harness uses when no adapter replaces a role;
a team's adapter provides factories of the same shape (bru_conformance.contracts).
"""

from __future__ import annotations

from dataclasses import dataclass

from bru_conformance.assumptions import Assumptions
from bru_conformance.contracts import Implementation
from bru_conformance.profiles import Profile

from .app import ReferenceApp, create_app
from .scheduler import Timings
from .system import ReferenceSystem

__all__ = ["ReferenceApp", "ReferenceSystem", "Timings", "create_app", "create_system", "implementation"]
VERSION = "0.1.0"


@dataclass
class ReferenceSystemUnderTest:
    """The reference SYSTEM as a `SystemUnderTest`: one object serves both contracts."""

    system: ReferenceSystem

    @property
    def library(self) -> ReferenceSystem:
        return self.system

    @property
    def environment(self) -> ReferenceSystem:
        return self.system


def create_system(profile: Profile, assumptions: Assumptions) -> ReferenceSystemUnderTest:
    return ReferenceSystemUnderTest(ReferenceSystem(profile, assumptions))


def implementation() -> Implementation:
    """The reference as an adapter would describe itself."""
    from bru_conformance.contracts import CAPABILITIES
    from bru_conformance.profiles import PROFILES

    return Implementation(name="bru-conformance reference", version=VERSION, system=create_system,
                          app=create_app, profiles=tuple(PROFILES), capabilities=frozenset(CAPABILITIES),
                          server=reference_server, server_interop=SUPPORTED_INTEROP)


SUPPORTED_INTEROP = (3, 5, 6, 7, 8)


class ServerVariant:
    """A SERVER-role mutant or control: the reference server with other `ServerConfig` fields (`CONFIG`: fault
    switches for a mutant, allowed choices for a control), declaring the interop versions in `INTEROP`."""

    CONFIG: dict[str, object] = {}
    INTEROP: tuple[int, ...] = SUPPORTED_INTEROP

    @classmethod
    def implementation(cls, name: str) -> Implementation:
        return Implementation(name=name, version="0", server=lambda: reference_server(**cls.CONFIG), server_interop=cls.INTEROP)


def reference_server(**config: object):  # type: ignore[no-untyped-def]
    """The SERVER role's reference: the upload server of `reference_impl.server` on loopback (a context manager
    yielding its base URL); `config` sets `ServerConfig` fields (fault switches for mutants, choices for controls)."""
    import contextlib

    from .server import ServerConfig, running_server

    @contextlib.contextmanager
    def serve():  # type: ignore[no-untyped-def]
        with running_server(ServerConfig(**config)) as (base_url, _server):  # type: ignore[arg-type]
            yield base_url

    return serve()
