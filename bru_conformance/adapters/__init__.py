"""The implementation under test: loading it, and speaking to it out of process.

`load_implementation` (here): `--adapter package.module:factory` names a callable returning an
`Implementation` (or the module attribute itself being one). Without an adapter the bundled reference
plays every role. The out-of-process adapter protocol (JSON-RPC 2.0 on stdio): its methods and schema
(`methods`), the JSON forms of the value types (`forms`), the contract calls on the wire (`codec`), the
endpoint (`rpc`), the harness side (`remote`), the adapter side serving the reference (`serve`), and
`adapter-check` (`check`).

May import: model, scenario
"""

from __future__ import annotations

import importlib
import os
import sys

from bru_conformance.contracts import Implementation


class AdapterError(Exception):
    """The adapter itself is broken (cannot load, wrong shape): not a conformance failure."""


def load_implementation(spec: str | None) -> Implementation:
    from bru_conformance import reference

    if not spec:
        return reference.implementation()
    spec = reference.adapter_spec(spec)
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise AdapterError(f"--adapter takes package.module:factory, got {spec!r}")
    cwd = os.getcwd()
    if cwd not in sys.path and os.path.abspath("") not in map(os.path.abspath, sys.path):
        sys.path.insert(0, cwd)  # as pytest finds a project's modules from its rootdir: an adapter beside the caller
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
