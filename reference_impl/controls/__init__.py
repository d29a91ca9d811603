"""Positive controls: deliberately *different but compliant* variants of the reference SYSTEM and APP.

Mutants (`reference_impl.mutants`) measure what the suite catches; controls measure what it wrongly
blames. Each control is a small variant that does something the specification digest allows and the
reference does not (other timings where Apple gives none, another refusal form where the outcome is
implementation-defined, another app policy where Apple gives advice but no rule, Apple's own sample
flow, ...). Each cites the digest text that allows it. `bru-conformance mutants` runs every control
through the whole suite of its role; a control must come out `conformant`, or
`conformant-with-warnings` only on the SHOULD rules it declares it departs from on purpose.

Every control is addressable as an adapter: `--adapter reference_impl.controls:<name>`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bru_conformance.contracts import CAPABILITIES, Implementation

__all__ = ["CONTROLS", "Control", "all_controls", "get", "register"]


@dataclass(frozen=True)
class Control:
    """One registered control: what it does differently, and the digest text that allows it."""

    name: str
    role: str  # "system" or "app"
    allowed_by: str  # the digest's words (paraphrased) or IDs that allow the difference, e.g. "AMB-17"
    description: str
    cls: type
    departs_from: tuple[str, ...] = field(default=())  # SHOULD rules it departs from on purpose (warnings allowed)
    profiles: tuple[str, ...] = field(default=())  # profiles to run beyond the default subset
    assume: tuple[str, ...] = field(default=())  # assumption readings (AMB-nn=reading) to run under

    def implementation(self) -> Implementation:
        from .. import ReferenceSystemUnderTest

        if self.role == "system":
            cls = self.cls
            return Implementation(name=f"control {self.name}", version="0", system=lambda p, a: ReferenceSystemUnderTest(cls(p, a)),
                                  capabilities=frozenset(CAPABILITIES))
        if self.role == "server":
            return self.cls.implementation(f"control {self.name}")  # a reference_impl.ServerVariant
        return Implementation(name=f"control {self.name}", version="0", app=self.cls)

    @property
    def adapter(self) -> str:
        return f"{__name__}:{self.name}"  # reference_impl.controls (bru_conformance.reference_impl.controls when installed)


CONTROLS: dict[str, Control] = {}


def register(name: str, role: str, allowed_by: str, description: str, departs_from: tuple[str, ...] = (),
             profiles: tuple[str, ...] = (), assume: tuple[str, ...] = ()) -> Callable[[type], type]:
    """Class decorator: add the class to the controls under `name` (a Python identifier)."""

    def wrap(cls: type) -> type:
        if name in CONTROLS:
            raise ValueError(f"duplicate control {name}")
        if role not in ("system", "app", "server"):
            raise ValueError(f"control {name}: role is system, app or server, not {role!r}")
        CONTROLS[name] = Control(name, role, allowed_by, description, cls, tuple(departs_from), tuple(profiles), tuple(assume))
        return cls

    return wrap


_SUBMODULES = ("system_timing", "system_jobs", "system_activation", "app_controls", "apple_sample_app", "server_controls")


def _load() -> dict[str, Control]:
    """Import the control modules (registration is their side effect); return every control."""
    import importlib

    for sub in _SUBMODULES:
        importlib.import_module(f"{__name__}.{sub}")
    return CONTROLS


def all_controls() -> list[Control]:
    return list(_load().values())


def get(name: str) -> Control:
    _load()
    try:
        return CONTROLS[name]
    except KeyError:
        raise KeyError(f"no control {name!r}; known: {', '.join(sorted(CONTROLS))}") from None


def __getattr__(name: str) -> Any:
    """`reference_impl.controls:<control name>` is that control's adapter factory."""
    if name.startswith("_") or name in _SUBMODULES:
        raise AttributeError(name)
    _load()
    if name in CONTROLS:
        return CONTROLS[name].implementation
    raise AttributeError(f"module {__name__!r} has no control {name!r}")
