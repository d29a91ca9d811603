"""An in-process adapter that provides only the APP role, in one profile (for the adapter tests)."""

from bru_conformance.contracts import Implementation
from reference_impl import create_app


def factory() -> Implementation:
    return Implementation(name="app-only example", version="9.9", app=create_app, profiles=("ios-27.0",))
