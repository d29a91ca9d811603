"""The SERVER role from the command line (issue 14): a server already running, named by URL, is checked in
the interop versions it declares; `serve-reference --role server` runs the reference for a team's client."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reference_impl.server import ServerConfig, running_server
from tests.cli import bru


def run(tmp_path: Path, *args: str) -> tuple[int, str, dict | None]:
    report = tmp_path / "reports"
    proc = bru("run", "--quiet", "--no-allure", "--report-dir", str(report), *args, timeout=300)
    path = report / "results.json"
    return proc.returncode, proc.stdout + proc.stderr, json.loads(path.read_text()) if path.exists() else None


def test_a_running_server_is_checked_in_the_versions_it_declares(tmp_path: Path) -> None:
    with running_server(ServerConfig(interop_versions=(6, 8))) as (base, server):
        code, out, results = run(tmp_path, "--server-url", base, "--server-interop", "6,8")
        seen = len(server.exchanges)
    assert code == 0, out[-3000:]
    assert results is not None and results["verdict"] == "conformant" and results["run"]["roles"] == ["server"]
    ran = {s["profile"]: s["outcome"] for r in results["rules"] for s in r["scenarios"] if s["outcome"] != "unsupported"}
    assert set(ran) == {"interop-6", "interop-8"}
    unsupported = {s["profile"] for r in results["rules"] for s in r["scenarios"] if s["outcome"] == "unsupported"}
    assert unsupported == {"interop-3", "interop-5", "interop-7"}
    assert seen > 100  # the probe really talked to that server


def test_a_broken_server_named_by_url_fails_its_rule(tmp_path: Path) -> None:
    with running_server(ServerConfig(interop_versions=(8,), no_104=True)) as (base, _server):
        code, out, results = run(tmp_path, "--server-url", base, "-k", "NET-06")
    assert code == 1 and results is not None, out[-3000:]
    assert {r["id"]: r["verdict"] for r in results["rules"]}["NET-06"] == "failed"


@pytest.mark.parametrize(("args", "message"), [
    (("--server-url", "https://127.0.0.1:9"), "http://"),
    (("--server-url", "http://127.0.0.1:9", "--server-interop", "4"), "interop versions"),
])
def test_bad_server_options_are_usage_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    code, out, _ = run(tmp_path, *args)
    assert code == 2 and message in out, out[-2000:]


def test_serve_reference_runs_the_reference_server_for_a_client() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "bru_conformance", "serve-reference", "--role", "server", "--interop", "8"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("serving interop [8] at http://127.0.0.1:"), line
        from bru_conformance.scenario.probe import Probe

        answer = Probe(line.split(" at ")[1].strip(), interop=8).preflight()
        assert answer.status == 200 and answer.header("upload-limit")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
