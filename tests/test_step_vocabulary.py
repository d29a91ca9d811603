"""One step vocabulary, talking only to role contracts (issue 3, 'Steps')."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from bru_conformance.catalogue.step_listing import step_definitions

STEPS = Path(__file__).resolve().parents[1] / "steps"


def test_no_step_module_imports_the_reference() -> None:
    for path in STEPS.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.split(".")[0] == "reference_impl" for n in names), f"{path.name} imports reference_impl"


def test_no_two_steps_share_a_pattern() -> None:
    counts = Counter((s.kind, s.pattern) for s in step_definitions())
    assert [k for k, n in counts.items() if n > 1] == []


def test_every_step_module_is_registered() -> None:
    import steps

    modules = {f"steps.{p.stem}" for p in STEPS.glob("*_steps.py")}
    assert modules == set(steps.MODULES)


def test_the_vocabulary_is_listed_with_locations() -> None:
    listed = step_definitions()
    assert len(listed) > 50
    assert all(s.where.startswith("steps.") and ":" in s.where for s in listed)
