"""A forked run (`proving.forked`) behaves as `python -m bru_conformance` would, from an empty frame stack.

The child inherits the parent's memory, so the command it runs can be swapped in the parent: these tests put
a stand-in for `cli.entry` there and read what the child reports."""

from __future__ import annotations

import gc
import inspect
import os
import signal
import sys
import threading

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
    parent made after its warm-up; a parent that had frozen nothing collects as before."""
    forked.warm()
    gc.unfreeze()  # this worker's earlier tests may have frozen their own heap (exploration does)
    made_since = [[] for _ in range(20_000)]  # tracked by the collector, made after the warm-up

    def entry() -> None:  # how many of them the child's collections would walk
        in_sight = {id(o) for o in gc.get_objects()}
        print(sum(id(x) in in_sight for x in made_since))

    monkeypatch.setattr(cli, "entry", entry)
    proc = forked.run_cli(["--version"])
    assert (proc.returncode, proc.stdout.strip()) == (0, "0"), f"{proc.stdout.strip()} of {len(made_since)} in sight {proc.stderr}"
    assert gc.get_freeze_count() == 0, "the parent's heap stayed frozen: its cyclic garbage would never be collected"


def test_the_command_runs_on_the_child_s_main_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Signal handlers can be installed and run there, as the runner's SIGTERM handler must (exit 130)."""
    def entry() -> None:
        signal.signal(signal.SIGTERM, signal.getsignal(signal.SIGTERM))  # raises ValueError off the main thread
        print(threading.current_thread() is threading.main_thread())

    monkeypatch.setattr(cli, "entry", entry)
    proc = forked.run_cli(["--version"])
    assert (proc.returncode, proc.stdout.strip()) == (0, "True"), proc.stderr


def test_a_forked_child_forks_again_and_keeps_its_inherited_heap_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """`bru-conformance mutants` run through `run_cli` forks runs of its own: the fork lock it inherited (taken by
    a thread it does not have) must not hold it up, and what it inherited frozen stays frozen."""
    def entry() -> None:
        if os.environ.get("BRU_TEST_NESTED"):
            print("grandchild", gc.get_freeze_count() > 0)
            return
        frozen = gc.get_freeze_count()
        inner = forked.run_cli(["--version"], env={**os.environ, "BRU_TEST_NESTED": "1"}, timeout=60)
        print(inner.stdout.strip(), inner.returncode, frozen > 0 and gc.get_freeze_count() >= frozen)

    monkeypatch.setattr(cli, "entry", entry)
    proc = forked.run_cli(["--version"], timeout=120)
    assert (proc.returncode, proc.stdout.strip()) == (0, "grandchild True 0 True"), proc.stderr
