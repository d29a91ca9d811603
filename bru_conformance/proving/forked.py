"""The command line run in a forked child of a warm process: `python -m bru_conformance ARGS` without the
interpreter start and the imports (about 0.9 s of a 1.5 s targeted run).

The mutation matrix runs every variant this way (each in a process of its own, so nothing leaks between
variants), and so do the project's tests that run the command line. The parent imports what a run needs,
parses the feature files and matches their step lines once (`warm`), before any thread of its own starts,
so no import lock is held at fork time. The child behaves as `python -m` would: the working directory and
environment given, the working directory first on `sys.path`, its own stdout and stderr; it never returns
into the parent's code. The command line is run as a program, never imported: it sits above this package.
Where fork is not available (not Linux), the same call starts a fresh interpreter instead.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

CAN_FORK = hasattr(os, "fork") and hasattr(os, "pidfd_open") and sys.platform.startswith("linux")


def run_cli(args: list[str], *, cwd: str | Path | None = None, env: Mapping[str, str] | None = None,
            timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m bru_conformance ARGS` (in `cwd`, with environment `env`), its exit code and output, as
    `subprocess.run(..., capture_output=True, text=True)` gives them; `subprocess.TimeoutExpired` after
    `timeout` seconds, the child killed."""
    if not CAN_FORK:
        return subprocess.run([sys.executable, "-m", "bru_conformance", *args], capture_output=True, text=True,
                              cwd=cwd, env=None if env is None else dict(env), timeout=timeout, check=False)
    warm()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = _fork(lambda: _child(args, cwd, env, out.fileno(), err.fileno()))
        try:
            os.setpgid(pid, pid)  # set on both sides, so the group exists whichever runs first
        except OSError:
            pass
        code = _wait(pid, timeout, args)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(args, code, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


_FORKING = threading.Lock()


def _fork(child: Callable[[], None]) -> int:
    """Fork a child that runs `child` (which never returns), from a thread of its own; the child's pid.

    **A stack of its own.** The fork is made in a new thread, which starts with an empty frame stack, so the child
    runs from there, with that thread as its main thread (signal handlers included). Forked from the caller's own
    thread, the child carried on from the caller's frame depth (a pytest worker's, scores of frames deep), and there
    CPython 3.11 put a boundary between two chunks of its frame stack where the run's steps go in and out thousands
    of times: each crossing mapped a fresh chunk and unmapped it again. Measured on one SYSTEM control run: 85,000
    page faults and 0.6 s of system time, against 12,500 and 0.1 s from a shallow stack.

    **The heap out of the child's collections.** A child collects fully early in its run; walking the heap it
    inherited wrote to every page of it, which the kernel then copied. The heap is frozen for the fork (the pattern
    `gc.freeze` was made for), so the child's collections leave everything inherited alone, including what the
    parent made after its warm-up (the mutation matrix took 19 s instead of 25 s in a test worker that had explored
    before). A parent that had frozen nothing before unfreezes at once and collects as before; one that had (a
    forked child forking again, a process that settled its heap for exploration) stays frozen, since the collector
    has no partial unfreeze and unfreezing would hand the inherited heap back to every collection. One fork at a
    time: the matrix forks from two threads."""
    import gc

    forked: list[int | BaseException] = []

    def fork_here() -> None:
        try:
            pid = os.fork()
        except BaseException as exc:
            forked.append(exc)
            return
        if pid == 0:  # the child, where this thread is now the main thread and the only one
            global _FORKING
            _FORKING = threading.Lock()  # its copy was taken held by a thread the child does not have
            child()  # never returns
        forked.append(pid)

    with _FORKING:
        frozen_before = gc.get_freeze_count()
        gc.freeze()
        try:
            forking = threading.Thread(target=fork_here, name="bru-conformance fork")
            forking.start()
            forking.join()
        finally:
            if not frozen_before:
                gc.unfreeze()
    outcome = forked[0]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def _child(args: list[str], cwd: str | Path | None, env: Mapping[str, str] | None, out: int, err: int) -> None:
    import atexit
    import runpy

    code = 70
    try:
        # the parent's exit handlers are not the child's: among them the finalizers of the parent's temporary
        # directories, which would be removed under it when the program ends (`cli.entry` runs the handlers)
        atexit._clear()
        os.setpgid(0, 0)  # its own group: a timeout stops what it started too (adapters, servers)
        os.dup2(out, 1)
        os.dup2(err, 2)
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - the child's own fds, closed by _exit
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        if cwd is not None:
            os.chdir(cwd)
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        sys.path.insert(0, os.getcwd())  # as `python -m` does
        sys.argv = ["bru-conformance", *args]
        try:
            runpy.run_module("bru_conformance", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _wait(pid: int, timeout: float | None, args: list[str]) -> int:
    """The child's exit code. A child that outlives `timeout`, or a parent interrupted while it waits (Ctrl-C
    reaches the parent's process group, not the child's), stops the child's whole group first."""
    fd = os.pidfd_open(pid)
    try:
        done = select.select([fd], [], [], timeout)[0]  # a bound for a child that hangs, never a pause
    except BaseException:
        _stop(pid)
        raise
    finally:
        os.close(fd)
    if not done:
        _stop(pid)
        raise subprocess.TimeoutExpired(["bru-conformance", *args], timeout or 0)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _stop(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


_WARMED: list[bool] = []


def warm() -> None:
    """Import everything a run imports, parse the bundled feature files and match their step lines, once."""
    if _WARMED:
        return
    _WARMED.append(True)
    import importlib

    import pytest_bdd.feature

    from bru_conformance import reference
    from bru_conformance.resources import features_dir

    for module in ("click", "bru_conformance.run.runner", "bru_conformance.run.plugin", "bru_conformance.run.heap",
                   "bru_conformance.reporting.results", "bru_conformance.reporting.reports", "bru_conformance.scenario.server_world",
                   "bru_conformance.scenario.probe", "pytest_bdd", "pytest_bdd.plugin", "xdist", *reference.steps().MODULES):
        importlib.import_module(module)
    for name in ("system", "app", "server", "http_transport"):
        reference.module(name)
    # what each session loads again otherwise: pytest's own plugins, the installed pytest11 plugins (allure,
    # xdist, ...), the debugger pytest's debugging plugin pulls in, and rich for the command's summary table
    from importlib.metadata import entry_points

    from _pytest.config import default_plugins

    for module in [f"_pytest.{name}" for name in default_plugins] + [ep.module for ep in entry_points(group="pytest11")] \
            + ["pdb", "rich.console", "rich.table"]:
        try:
            importlib.import_module(module)
        except ImportError:  # a plugin that cannot load here is pytest's to report in the run, not the warm-up's
            pass
    from bru_conformance.reporting.reports import _env
    from bru_conformance.run.plugin import warm_step_matches

    for template in ("summary.md.j2", "report.html.j2"):  # compiled once, here, for every forked run
        _env().get_template(template)
    # parsed once into pytest-bdd's own cache, and each step line matched to its definition once
    warm_step_matches(pytest_bdd.feature.get_features([str(features_dir())]))
    from bru_conformance import catalogue

    catalogue.load()  # the rules' metadata, kept per process for unchanged files
    from bru_conformance.schemas import compile_ahead

    compile_ahead("results")  # every run validates its results document
    reference.module("mutants").all_mutants()
    reference.module("controls").all_controls()
    import gc

    gc.collect()  # what the warm-up left behind, not inherited by every child (`_fork` keeps the rest out of sight)
