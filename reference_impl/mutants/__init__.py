"""A catalogue of deliberately non-conformant variants of the reference SYSTEM and APP (mutation testing).

Each mutant is a small subclass of `ReferenceSystem` or `ReferenceApp` that breaks one documented rule the
way a real implementation could (an off-by-one at the limit, a forbidden transition, a missing
acknowledge ...). It declares the rule(s) it breaks; `bru-conformance mutants` runs the whole suite of
the mutant's role against it through the ordinary adapter path and checks that the suite fails exactly
there. Every mutant is addressable as an adapter: `--adapter reference_impl.mutants:<name>`.

`NO_MUTANT` lists the required rules that have no mutant, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bru_conformance.contracts import CAPABILITIES, Implementation

__all__ = ["MUTANTS", "NO_MUTANT", "Mutant", "all_mutants", "get", "register"]


@dataclass(frozen=True)
class Mutant:
    """One registered mutant: what it breaks and how to build it as an adapter would."""

    name: str
    role: str  # "system" or "app"
    rules: tuple[str, ...]
    description: str
    cls: type
    profiles: tuple[str, ...] = field(default=())  # profiles its targeted scenarios need beyond the default subset
    assume: tuple[str, ...] = field(default=())  # assumption readings (AMB-nn=reading) its targeted scenarios need

    def implementation(self) -> Implementation:
        from .. import ReferenceSystemUnderTest

        if self.role == "system":
            cls = self.cls
            return Implementation(name=f"mutant {self.name}", version="0", system=lambda p, a: ReferenceSystemUnderTest(cls(p, a)),
                                  capabilities=frozenset(CAPABILITIES))
        if self.role == "server":
            return self.cls.implementation(f"mutant {self.name}")  # a reference_impl.ServerVariant
        return Implementation(name=f"mutant {self.name}", version="0", app=self.cls)

    @property
    def adapter(self) -> str:
        return f"{__name__}:{self.name}"  # reference_impl.mutants (bru_conformance.reference_impl.mutants when installed)


MUTANTS: dict[str, Mutant] = {}


def register(name: str, role: str, rules: str | tuple[str, ...], description: str,
             profiles: tuple[str, ...] = (), assume: tuple[str, ...] = ()) -> Callable[[type], type]:
    """Class decorator: add the class to the catalogue under `name` (a Python identifier)."""

    def wrap(cls: type) -> type:
        if name in MUTANTS:
            raise ValueError(f"duplicate mutant {name}")
        rule_ids = (rules,) if isinstance(rules, str) else tuple(rules)
        MUTANTS[name] = Mutant(name, role, rule_ids, description, cls, tuple(profiles), tuple(assume))
        return cls

    return wrap


def get(name: str) -> Mutant:
    _load()
    try:
        return MUTANTS[name]
    except KeyError:
        raise KeyError(f"no mutant {name!r}; known: {', '.join(sorted(MUTANTS))}") from None


_SUBMODULES = ("system_limits", "system_states", "system_activation", "system_scheduling", "system_versions", "app_mutants",
               "blind_spot_mutants", "server_mutants", "http_mutants")


def _load() -> dict[str, Mutant]:
    """Import the catalogue modules (registration is their side effect); return every mutant."""
    import importlib

    for sub in _SUBMODULES:
        importlib.import_module(f"{__name__}.{sub}")
    return MUTANTS


def all_mutants() -> list[Mutant]:
    return list(_load().values())


#: Required rules (testable MUST of any role, SHOULD of APP) without a mutant, and why.
NO_MUTANT: dict[str, str] = {
    "CAN-04": ("the catalogue's redundant job is one the harness made, whose identifier an app can learn only from the "
               "process fetch; an app that cancels without that fetch can cancel only jobs it made itself, which no "
               "scenario makes redundant (the former mutant, never cancelling, is a compliant app: cancelling is a MAY)"),
}


def __getattr__(name: str) -> Any:
    """`reference_impl.mutants:<mutant name>` is that mutant's adapter factory."""
    if name.startswith("_") or name in _SUBMODULES:
        raise AttributeError(name)
    _load()
    if name in MUTANTS:
        return MUTANTS[name].implementation
    raise AttributeError(f"module {__name__!r} has no mutant {name!r}")
