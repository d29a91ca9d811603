"""Loading the implementation under test.

`--adapter package.module:factory` names a callable returning an `Implementation` (or the module
attribute itself being one). Without an adapter the bundled reference plays every role.
"""

from __future__ import annotations

import importlib

from bru_conformance.contracts import Implementation


class AdapterError(Exception):
    """The adapter itself is broken (cannot load, wrong shape): not a conformance failure."""


def load_implementation(spec: str | None) -> Implementation:
    if not spec:
        from bru_conformance.world import reference_implementation

        return reference_implementation()
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise AdapterError(f"--adapter takes package.module:factory, got {spec!r}")
    try:
        target = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise AdapterError(f"cannot load adapter {spec!r}: {exc}") from exc
    impl = target() if callable(target) and not isinstance(target, Implementation) else target
    if not isinstance(impl, Implementation):
        raise AdapterError(f"adapter {spec!r} returned {type(impl).__name__}, expected bru_conformance.contracts.Implementation")
    if not impl.roles:
        raise AdapterError(f"adapter {spec!r} provides neither a SYSTEM nor an APP factory")
    return impl
