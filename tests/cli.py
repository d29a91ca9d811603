"""`python -m bru_conformance ARGS` for the tests, run in a forked child of the warm test process
(`bru_conformance.proving.forked`): the same program, exit code and output, without an interpreter start and
the imports per call. Tests about processes themselves (signals, adapters left behind, the installed wheel)
start real subprocesses instead."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from bru_conformance.proving.forked import run_cli


def bru(*args: str, cwd: str | Path | None = None, env: Mapping[str, str] | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return run_cli(list(args), cwd=cwd, env=env, timeout=timeout)
