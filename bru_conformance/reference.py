"""The harness's one door to what ships beside it: the reference implementation and the step definitions.

In a source checkout they are the top-level packages `reference_impl/` and `steps/` (the repository's
layout); an installed wheel carries them inside this package (`bru_conformance.reference_impl`,
`bru_conformance.steps`), so installing bru-conformance claims no generic top-level import name and a
team's own `steps/` package (usual in pytest-bdd and behave projects) is never taken for ours. Every
module of the harness reaches them through here, never by a hard-coded import.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

_HERE = Path(__file__).resolve().parent


def _package(name: str) -> str:
    return f"bru_conformance.{name}" if (_HERE / name / "__init__.py").is_file() else name


REFERENCE = _package("reference_impl")
STEPS = _package("steps")


def module(name: str = "") -> ModuleType:
    """A module of the reference implementation by its name inside it (`"mutants"`, `"server"`, `""` for the package)."""
    return _loaded(f"{REFERENCE}.{name}" if name else REFERENCE)


def steps(name: str = "") -> ModuleType:
    """A module of the step definitions by its name inside them (`"vocabulary"`, `"job_steps"`, `""` for the package)."""
    return _loaded(f"{STEPS}.{name}" if name else STEPS)


def _loaded(name: str) -> ModuleType:
    """The module, from `sys.modules` once imported: exploration asks for step modules 17,000 times a benchmark,
    and `import_module` takes the import machinery's locks each time (2 % of it, profiled). A module another
    thread is still importing goes through `import_module`, which waits for it."""
    found = sys.modules.get(name)
    if found is None or getattr(getattr(found, "__spec__", None), "_initializing", False):
        return importlib.import_module(name)
    return found


def implementation() -> Any:
    """The default implementation: the reference SYSTEM, APP and SERVER (an `Implementation`)."""
    return module().implementation()


def adapter_spec(spec: str) -> str:
    """`reference_impl.mutants:name` as written in docs and reports, resolved to where the reference is installed."""
    if spec == "reference_impl" or spec.startswith(("reference_impl.", "reference_impl:")):
        return REFERENCE + spec[len("reference_impl"):]
    return spec
