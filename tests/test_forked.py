"""A forked run (`proving.forked`) behaves as `python -m bru_conformance` would, from an empty frame stack.

The child inherits the parent's memory, so the command it runs can be swapped in the parent: these tests put
a stand-in for `cli.entry` there and read what the child reports."""

from __future__ import annotations

import gc
import inspect
import sys

import pytest

from bru_conformance import cli
from bru_conformance.proving import forked

pytestmark = pytest.mark.skipif(not forked.CAN_FORK, reason="fork is what is under test")


def _from_depth(depth: int) -> object:
    return _from_depth(depth - 1) if depth else forked.run_cli(["--version"])


def test_the_program_runs_on_a_stack_of_its_own_however_deep_the_parent_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """From the parent's depth, CPython 3.11 mapped and unmapped a frame-stack chunk thousands of times a run
    (85,000 page faults against 12,500 measured for one control run)."""
    monkeypatch.setattr(cli, "entry", lambda: print(len(inspect.stack(0))))
    proc = _from_depth(300)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) < 30, f"the command ran {proc.stdout.strip()} frames deep: on the parent's stack"


@pytest.mark.parametrize(("outcome", "code"), [(None, 0), (3, 3), ("a message", 1), (RuntimeError("broken"), 70)])
def test_the_exit_code_is_the_program_s(monkeypatch: pytest.MonkeyPatch, outcome: object, code: int) -> None:
    def entry() -> None:
        if isinstance(outcome, BaseException):
            raise outcome
        sys.exit(outcome)

    monkeypatch.setattr(cli, "entry", entry)
    proc = forked.run_cli(["--version"])
    assert proc.returncode == code, proc.stderr
    if code == 70:
        assert "RuntimeError: broken" in proc.stderr


def test_the_child_inherits_the_heap_frozen_and_the_parent_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    """The child's collections leave what it inherited alone (walking it copied every page), including what the
    parent made after its warm-up; the parent's own collections go on as before."""
    forked.warm()
    made_since = [[] for _ in range(20_000)]  # tracked by the collector, made after the warm-up
    monkeypatch.setattr(cli, "entry", lambda: print(gc.get_freeze_count()))
    tracked = len(gc.get_objects()) + gc.get_freeze_count()  # what the parent holds now, frozen or not
    proc = forked.run_cli(["--version"])
    assert proc.returncode == 0, proc.stderr
    assert len(made_since) and int(proc.stdout) >= 0.95 * tracked, \
        f"the child inherited {proc.stdout.strip()} objects frozen of the parent's {tracked}"
    assert gc.get_freeze_count() == 0, "the parent's heap stayed frozen: its cyclic garbage would never be collected"
