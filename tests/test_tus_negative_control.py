"""A negative control nobody here wrote: a stock `@tus/server` must fail the SERVER role.

`@tus/server` (examples/tus-negative-control) speaks the tus v1 protocol, not the IETF "Resumable
Uploads for HTTP" draft: its OPTIONS preflight is answered 204 with Tus-* fields and no Upload-Limit,
and a creation without `Tus-Resumable` gets a 412 with no 104 before it. So a real run of
`bru-conformance run --role server` against it must end non-conformant (exit 1) with NET-03 (preflight
200 + Upload-Limit) and NET-06 (104 with Location) failed, and failed on the server's answers, not on a
harness or connection error.

The test skips where Node.js or the example's node_modules are missing (install them with
`npm ci --prefix examples/tus-negative-control`; `.ci/run` tries that, best effort). Loopback only;
nothing sleeps: the server's port is read from its first stdout line, with a deadline.
"""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import IO

import pytest

from bru_conformance.schemas import validate
from tests.cli import bru

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "tus-negative-control"
NODE = shutil.which("node")
READY_TIMEOUT = 30.0
INSTALL = f"npm ci --prefix {EXAMPLE.relative_to(ROOT)}"


def first_line(stream: IO[str], timeout: float) -> str | None:
    """The stream's first line, or None if none arrives within `timeout` (read on a daemon thread, no polling)."""
    lines: queue.Queue[str] = queue.Queue(maxsize=1)
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return None


def failed_run(rule: dict, profile: str) -> dict:
    runs = [s for s in rule["scenarios"] if s["profile"] == profile]
    assert runs, f"{rule['id']} has no scenario run for {profile}"
    failed = [s for s in runs if s["outcome"] == "failed"]
    assert failed, f"{rule['id']} on {profile}: outcomes {[s['outcome'] for s in runs]}, none failed"
    return failed[0]


def test_tus_server_fails_the_preflight_and_104_rules(tmp_path: Path) -> None:
    if NODE is None:
        pytest.skip(f"node is not on PATH: install Node.js >= 20.19, then run `{INSTALL}` from the repository root")
    if not (EXAMPLE / "node_modules" / "@tus" / "server").is_dir():
        pytest.skip(f"@tus/server is not installed in {EXAMPLE.relative_to(ROOT)}: run `{INSTALL}` from the repository root")

    stderr_path = tmp_path / "tus-server.stderr"
    report = tmp_path / "report"
    with stderr_path.open("w", encoding="utf-8") as stderr:
        server = subprocess.Popen([NODE, "server.js", "0"], cwd=EXAMPLE, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=stderr, text=True)
        try:
            assert server.stdout is not None
            line = first_line(server.stdout, READY_TIMEOUT)
            assert line and line.startswith("listening http://127.0.0.1:"), \
                f"tus server did not report ready (stdout {line!r}, exit {server.poll()}): {stderr_path.read_text()[-2000:]}"
            url = line.split()[1]
            proc = bru("run", "--role", "server", "--server-url", url, "--server-interop", "8", "--no-allure", "--quiet",
                       "--report-dir", str(report), cwd=tmp_path, timeout=600)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    out = (proc.stdout + proc.stderr)[-4000:]

    # a real verdict, not a harness error: results written and valid, nothing interrupted, no error outcome
    results_path = report / "results.json"
    assert results_path.exists(), f"no results.json (exit {proc.returncode}): {out}"
    results = json.loads(results_path.read_text(encoding="utf-8"))
    validate("results", results)
    assert not results["run"]["interrupted"], out
    assert results["totals"]["executed"] > 0 and "error" not in results["totals"]["scenarios"], results["totals"]

    assert proc.returncode == 1, f"expected exit 1 (non-conformant), got {proc.returncode}: {out}"
    assert results["verdict"] == "non-conformant"
    assert results["gate"]["exit_code"] == 1 and not results["gate"]["passed"]

    rules = {r["id"]: r for r in results["rules"]}
    assert rules["NET-03"]["verdict"] == "failed", rules["NET-03"]["verdict"]
    assert rules["NET-06"]["verdict"] == "failed", rules["NET-06"]["verdict"]

    # each failed on what the tus server answered over the wire (a status, no connection error)
    for rule_id, call in (("NET-03", "OPTIONS /upload"), ("NET-06", "POST /upload")):
        run = failed_run(rules[rule_id], "interop-8")
        answered = [e["result"] for e in run["trace"] if e.get("call") == call and isinstance(e.get("result"), dict)]
        assert answered, f"{rule_id}: no {call} in the trace: {run['trace']}"
        assert all(a.get("status") is not None and not a.get("error") for a in answered), f"{rule_id}: {answered}"
        assert not any(a.get("informational") for a in answered), f"{rule_id}: tus sent an informational response: {answered}"
