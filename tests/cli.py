"""`python -m bru_conformance ARGS` for the tests, run in a forked child of the warm test process
(`bru_conformance.proving.forked`): the same program, exit code and output, without an interpreter start and
the imports per call (a one-scenario run: 0.27 s of CPU forked against 0.95 s in a fresh interpreter). Tests
about the program's own process (signals reaching it, the installed wheel, a replay line run as typed, its
memory) start real interpreters instead; out-of-process adapters are real processes either way, so the tests
of adapters left behind fork the harness too."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from bru_conformance.proving.forked import run_cli


def bru(*args: str, cwd: str | Path | None = None, env: Mapping[str, str] | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return run_cli(list(args), cwd=cwd, env=env, timeout=timeout)
