"""The step vocabulary as data: every registered step pattern, its docstring and where it lives.

Used by `bru-conformance steps`, by the project's test that forbids two steps saying the same thing,
and by counterexample writers that must build scenarios from existing steps only.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass

from pytest_bdd.steps import step_function_context_registry


@dataclass(frozen=True)
class StepDefinition:
    kind: str
    pattern: str
    doc: str
    where: str


def step_definitions() -> list[StepDefinition]:
    from bru_conformance import reference

    original = reference.steps("vocabulary").ORIGINAL
    for module in reference.steps().MODULES:
        importlib.import_module(module)
    out = []
    for context in step_function_context_registry.values():
        func = context.step_func
        if not func.__module__.startswith(reference.STEPS + "."):
            continue
        line = inspect.getsourcelines(func)[1]
        doc = (inspect.getdoc(func) or "").split("\n")[0]
        out.append(StepDefinition(context.type or "*", original.get(context.parser.name, context.parser.name), doc, f"{func.__module__}:{line}"))
    return sorted(out, key=lambda s: (s.where.split(":")[0], int(s.where.split(":")[1]), s.kind))
