"""Faults of an out-of-process adapter are contained, explained and kept apart from conformance
verdicts; the run goes on with a fresh process and leaves no orphan (issue 4). The adapters are real
subprocesses; the harness that starts them runs as the command line does, forked from the warm test process
(`tests.cli.bru`: the same program without an interpreter start per run)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import bru

ADAPTER = Path(__file__).resolve().parent / "adapters" / "faulty_adapter.py"
SELECTION = "ACT-07 or ACT-13 or ACT-16"  # a few quick @app scenarios, the first one hits the fault


def run_with(tmp_path: Path, command: str, timeout: float = 2.0) -> tuple[int, str, dict | None]:
    env = {**os.environ, "BRU_FAULT_FLAG": str(tmp_path / "fault-done")}
    report = tmp_path / "reports"
    proc = bru("run", "--report-dir", str(report), "--quiet", "--no-allure", "--role", "app", "--profile", "ios-27.0",
               "--adapter-cmd", command, "--adapter-timeout", str(timeout), "-k", SELECTION, env=env, cwd=tmp_path, timeout=300)
    path = report / "results.json"
    return proc.returncode, proc.stdout + proc.stderr, json.loads(path.read_text()) if path.exists() else None


def orphans(tmp_path: Path) -> list[str]:
    """Faulty-adapter processes left by this test's run (found by the fault flag in their environment, so another
    worker's run at the same moment is not counted)."""
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    mine = f"BRU_FAULT_FLAG={tmp_path / 'fault-done'}".encode()
    left = []
    for line in out.splitlines():
        if str(ADAPTER) not in line or "ps -eo" in line:
            continue
        try:
            environ = Path(f"/proc/{line.split()[0]}/environ").read_bytes().split(b"\0")
        except OSError:  # ended in the meantime, or not ours to read: not left behind by this run
            continue
        if mine in environ:
            left.append(line)
    return left


@pytest.mark.parametrize(("mode", "explanation"), [
    ("exit", "closed the connection"),
    ("hang", "no message within"),
    ("bad-json", "invalid JSON"),
    ("schema", "breaks the protocol schema"),
    ("unknown-id", "unknown request id"),
    ("flood", "longer than"),
])
def test_each_fault_is_an_adapter_error_and_the_run_goes_on(tmp_path: Path, mode: str, explanation: str) -> None:
    code, out, results = run_with(tmp_path, f"{sys.executable} {ADAPTER} {mode}", timeout=1.5)
    assert code == 3, out[-3000:]
    assert results is not None
    scenarios = [s for r in results["rules"] for s in r["scenarios"]]
    faulty = [s for s in scenarios if s["outcome"] == "adapter-error"]
    assert len(faulty) == 1, [s["outcome"] for s in scenarios]
    assert explanation in faulty[0]["message"]
    if mode not in ("exit", "hang"):
        assert "injecting" in faulty[0]["message"]  # the adapter's stderr tail comes with the error
    assert [s["outcome"] for s in scenarios if s is not faulty[0]] and all(
        s["outcome"] == "passed" for s in scenarios if s is not faulty[0])  # a fresh process served the rest
    assert results["totals"]["adapter_errors"] == 1
    assert not [r for r in results["rules"] if r["verdict"] == "failed"]  # never counted as non-conformance
    summary = (tmp_path / "reports" / "summary.md").read_text(encoding="utf-8")
    assert re.search(r"^\| ACT activation \|.*\| 0 \| 1 \|$", summary, re.M), summary[:1500]  # apart from failures
    assert "### Failed rules" not in summary and "### Adapter errors (1)" in summary
    assert orphans(tmp_path) == []


def test_the_stderr_excerpt_is_the_failed_process_s_own(tmp_path: Path) -> None:
    """Issue 12: after a fresh process replaced a broken one, the next error shows only the new one's stderr."""
    code, out, results = run_with(tmp_path, f"{sys.executable} {ADAPTER} bad-json-twice", timeout=1.5)
    assert code == 3 and results is not None, out[-3000:]
    faulty = [s["message"] for r in results["rules"] for s in r["scenarios"] if s["outcome"] == "adapter-error"]
    assert len(faulty) == 2, faulty
    first, second = sorted(faulty, key=lambda m: "process 2" in m)
    assert "process 1 " in first and "process 2" not in first
    assert "process 2 " in second and "process 1 " not in second, second


def test_an_adapter_that_cannot_start_is_a_harness_error(tmp_path: Path) -> None:
    code, out, _ = run_with(tmp_path, "/nonexistent/adapter --flag")
    assert code == 3
    assert "cannot start adapter" in out
    assert "Traceback" not in out and "INTERNALERROR" not in out  # one clear line


def test_adapter_check_gives_a_clear_verdict(tmp_path: Path) -> None:
    good = bru("adapter-check", "--adapter-cmd", f"{sys.executable} -m bru_conformance serve-reference --role app", timeout=120)
    assert good.returncode == 0 and "speaks the protocol" in good.stdout and "FAIL" not in good.stdout
    assert "ok   app: account.setToken" in good.stdout  # every harness -> APP message type is exercised
    for method in ("process", "notifyTermination", "processJobs", "willTerminate"):  # both protocols' pairs
        assert f"ok   app: extension.{method}\n" in good.stdout
    env = {**os.environ, "BRU_FAULT_FLAG": str(tmp_path / "flag")}
    bad = bru("adapter-check", "--adapter-timeout", "1", "--adapter-cmd", f"{sys.executable} {ADAPTER} bad-json", env=env, timeout=120)
    assert bad.returncode == 3 and "FAIL" in bad.stdout and "invalid JSON" in bad.stdout


SAMPLES = [
    ("harness", {"jsonrpc": "2.0", "id": 1, "method": "library.fetchJobs", "params": {"session": "s", "action": "retry"}}),
    ("harness", {"jsonrpc": "2.0", "id": 1, "method": "library.fetchJobs", "params": {"session": "s", "action": "all"}}),
    ("adapter", {"jsonrpc": "2.0", "id": 1, "method": "library.fetchJobs", "params": {"session": "s", "action": "retry"}}),
    ("adapter", {"jsonrpc": "2.0", "id": 2, "method": "app.turnOnBackup", "params": {"session": "s"}}),
    ("harness", {"jsonrpc": "2.0", "id": 2, "method": "app.turnOnBackup", "params": {"session": "s"}}),
    ("harness", {"jsonrpc": "2.0", "id": 2, "method": "app.turnOnBackup", "params": {}}),
    ("adapter", {"jsonrpc": "2.0", "id": 3, "result": "completed"}),
    ("adapter", {"jsonrpc": "2.0", "id": 3, "result": 1, "error": {"code": 1, "message": "x"}}),
    ("adapter", {"jsonrpc": "2.0", "id": 3, "error": {"code": -32000, "message": "x", "data": {"type": "PhotoKitError"}}}),
    ("adapter", {"jsonrpc": "2.0", "id": 3, "error": {"code": "bad", "message": "x"}}),
    ("adapter", {"jsonrpc": "1.0", "id": 3, "result": None}),
    ("adapter", {"jsonrpc": "2.0", "method": "nonexistent", "params": {}}),
    ("adapter", {"jsonrpc": "2.0", "id": 4, "method": "account.setToken", "params": {"session": "s", "token": "t"}}),
    ("harness", {"jsonrpc": "2.0", "id": 4, "method": "account.setToken", "params": {"session": "s", "token": "t"}}),
    ("harness", {"jsonrpc": "2.0", "id": 4, "method": "account.setToken", "params": {"session": "s"}}),
]


@pytest.mark.parametrize(("sender", "message"), SAMPLES)
def test_fast_message_validation_agrees_with_the_schema_document(sender: str, message: dict) -> None:
    from jsonschema import Draft202012Validator

    from bru_conformance.schemas import SchemaError, _registry, load_schema, validate_message

    schema = load_schema("adapter-protocol")
    ref = "fromHarness" if sender == "harness" else "fromAdapter"
    full = Draft202012Validator({"$ref": f"{schema['$id']}#/$defs/{ref}"}, registry=_registry())
    expected = full.is_valid(message)
    try:
        validate_message(sender, message)
        fast = True
    except SchemaError:
        fast = False
    assert fast == expected


def test_the_schema_file_is_generated_from_the_method_table() -> None:
    from bru_conformance.adapters.methods import schema_document
    from bru_conformance.schemas import load_schema

    assert load_schema("adapter-protocol") == schema_document(), "regenerate schemas/adapter-protocol.schema.json"


OLD_ADAPTER = """
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    identity = {"name": "old", "version": "1", "roles": ["app"], "profiles": [], "capabilities": []}
    print(json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": identity if msg["method"] == "initialize" else None}), flush=True)
"""


def test_an_adapter_of_protocol_1_1_is_refused_with_a_plain_reason(tmp_path: Path) -> None:
    """1.1 had one wire method for both extension protocols; a 1.2 harness cannot run a 1.1 adapter correctly."""
    from bru_conformance.adapters import AdapterError
    from bru_conformance.adapters.remote import AdapterProcess

    script = tmp_path / "old_adapter.py"
    script.write_text(OLD_ADAPTER)
    proc = AdapterProcess(f"{sys.executable} {script}", timeout=5.0, cpu="any")
    with pytest.raises(AdapterError, match=r"1\.1 or older .*speaks 1\.2 only.*extension\.processJobs") as caught:
        proc.ensure()
    assert '"protocolVersion": "1.2"' in str(caught.value)
    assert proc.proc is None  # stopped, not left running
