"""The harness's layers hold: every import inside bru_conformance is one its package's docstring allows.

Each package of bru_conformance names, on a `May import:` line of its docstring, the packages of
bru_conformance it may import (the model's line is the root package's, the command line's is `cli`'s).
Every import is checked, function-level ones and `importlib.import_module("...")` of a constant
included. Only `bru_conformance.reference` reaches the reference implementation and the step
definitions; the allowed lines form no circle; and no module-level import circle exists.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "bru_conformance"
ROOT = "bru_conformance"
COMMAND_LINE = {"cli", "__main__"}  # the top: its line is `cli`'s
MODEL = "model"  # the root package's own modules: its line is the root docstring's
SHIPPED_BESIDE = ("reference_impl", "steps")  # reached only through `bru_conformance.reference`
THE_DOOR = f"{ROOT}.reference"


def subpackages() -> list[str]:
    return sorted(p.name for p in PKG.iterdir() if (p / "__init__.py").is_file())


def unit_of(module: str) -> str:
    """The layer a dotted module name of bru_conformance belongs to."""
    parts = module.split(".")
    assert parts[0] == ROOT, module
    if len(parts) == 1:
        return MODEL
    if parts[1] in subpackages():
        return parts[1]
    return "cli" if parts[1] in COMMAND_LINE else MODEL


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def owner_of(unit: str) -> Path:
    """The file whose docstring carries the unit's `May import:` line."""
    if unit == MODEL:
        return PKG / "__init__.py"
    if unit == "cli":
        return PKG / "cli.py"
    return PKG / unit / "__init__.py"


def allowed(unit: str) -> set[str]:
    doc = ast.get_docstring(ast.parse(owner_of(unit).read_text(encoding="utf-8"))) or ""
    lines = [line for line in doc.splitlines() if line.startswith("May import:")]
    assert len(lines) == 1, f"{owner_of(unit)}: its docstring needs exactly one line `May import: <packages>`"
    names = {n.strip() for n in lines[0].removeprefix("May import:").split(",") if n.strip()}
    unknown = names - {MODEL, "cli", *subpackages()}
    assert not unknown, f"{owner_of(unit)} names unknown packages {sorted(unknown)}"
    return names


@dataclass(frozen=True)
class Import:
    target: str  # dotted name as imported
    line: int
    top_level: bool  # executed when the module is imported (not inside a function or `if TYPE_CHECKING:`)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(source: str, module: str, is_package: bool) -> Iterator[Import]:
    """Every import a module makes: statements at any depth, and `import_module` / `__import__` of a constant."""
    package = module if is_package else module.rpartition(".")[0]

    def resolve(level: int, name: str | None) -> str:
        if not level:
            return name or ""
        base = package.split(".")
        base = base[:len(base) - (level - 1)]
        return ".".join(base + ([name] if name else []))

    def walk(node: ast.AST, top: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                inner = False
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(alias.name, child.lineno, top)
            elif isinstance(child, ast.ImportFrom):
                base = resolve(child.level, child.module)
                for alias in child.names:  # `from pkg import mod` imports pkg.mod when mod is a module
                    candidate = f"{base}.{alias.name}"
                    yield Import(candidate if _is_module(candidate) else base, child.lineno, top)
            elif isinstance(child, ast.Call) and child.args and isinstance(child.args[0], ast.Constant) \
                    and isinstance(child.args[0].value, str) and _call_name(child.func) in ("import_module", "__import__"):
                yield Import(child.args[0].value, child.lineno, top)
            yield from walk(child, inner)

    yield from walk(ast.parse(source), True)


def _call_name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _is_module(dotted: str) -> bool:
    if not dotted.startswith(ROOT + "."):
        return False
    path = PKG.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def modules() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


def violations(path: Path, source: str | None = None) -> list[str]:
    """What is wrong with one module's imports, as lines for the failure message."""
    module = module_name(path)
    source = path.read_text(encoding="utf-8") if source is None else source
    unit = unit_of(module)
    ok = allowed(unit) | {unit}
    out = []
    for imp in imports_of(source, module, path.name == "__init__.py"):
        where = f"{path.relative_to(PKG.parent)}:{imp.line}"
        head = imp.target.split(".")[0]
        if head in SHIPPED_BESIDE or imp.target.startswith(tuple(f"{ROOT}.{n}" for n in SHIPPED_BESIDE)):
            if module != THE_DOOR:
                out.append(f"{where} imports {imp.target}: only {THE_DOOR} reaches the reference and the steps")
            continue
        if head != ROOT:
            continue
        target = unit_of(imp.target)
        if target not in ok:
            out.append(f"{where} ({unit}) imports {imp.target} ({target}); {owner_of(unit).relative_to(PKG.parent)} allows "
                       f"{', '.join(sorted(allowed(unit))) or 'nothing'}")
    return out


def test_every_package_states_what_it_may_import() -> None:
    for unit in [MODEL, "cli", *subpackages()]:
        doc = ast.get_docstring(ast.parse(owner_of(unit).read_text(encoding="utf-8")))
        assert doc and len(doc.splitlines()[0]) > 10, f"{owner_of(unit)} needs a docstring saying what it owns"
        allowed(unit)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_imports_follow_the_layers(path: Path) -> None:
    problems = violations(path)
    assert not problems, "\n".join(problems)


def test_the_layers_form_no_circle() -> None:
    graph = {unit: allowed(unit) - {unit} for unit in [MODEL, "cli", *subpackages()]}
    assert _cycle(graph) is None, f"the `May import:` lines form a circle: {' -> '.join(_cycle(graph) or [])}"


def test_no_module_level_import_circle() -> None:
    graph: dict[str, set[str]] = {}
    for path in modules():
        module = module_name(path)
        graph[module] = {imp.target for imp in imports_of(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
                         if imp.top_level and imp.target.startswith(ROOT) and imp.target != module}
    cycle = _cycle(graph)
    assert cycle is None, f"module-level import circle: {' -> '.join(cycle or [])}"


def test_the_check_catches_a_forbidden_import() -> None:
    """A scenario module reaching up into the run (inside a function), the reference reached around its door,
    a relative import up a layer and an `import_module` of a constant: each is reported."""
    path = PKG / "scenario" / "world.py"
    fake = ("def f():\n    from bru_conformance.run.plugin import RunState\n"
            "import reference_impl.mutants\n"
            "from ..reporting import results\n"
            "import importlib\nimportlib.import_module('bru_conformance.proving.mutation')\n")
    found = violations(path, fake)
    assert len(found) == 4, found
    assert re.search(r"imports bru_conformance\.run\.plugin \(run\)", found[0]), found
    assert "only bru_conformance.reference reaches" in found[1]
    assert "bru_conformance.reporting.results (reporting)" in found[2]
    assert "bru_conformance.proving.mutation (proving)" in found[3]


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of a directed graph, as a path, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None
