"""Plugging implementations in: in-process (`--adapter`) and out-of-process (`--adapter-cmd`)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.cli import bru

ROOT = Path(__file__).resolve().parents[1]


def run(tmp_path: Path, *args: str) -> tuple[int, str, dict]:
    report = tmp_path / "reports"
    proc = bru("run", "--quiet", "--no-allure", "--report-dir", str(report), *args, cwd=ROOT, timeout=900)
    path = report / "results.json"
    return proc.returncode, proc.stdout + proc.stderr, json.loads(path.read_text()) if path.exists() else {}


def scenario_outcomes(results: dict) -> list[tuple[str, str, str]]:
    return sorted((r["id"], s["name"], f"{s['profile']}:{s['outcome']}") for r in results["rules"] for s in r["scenarios"])


def test_an_in_process_adapter_runs_only_its_role_and_declared_profiles(tmp_path: Path) -> None:
    code, out, results = run(tmp_path, "--adapter", "tests.adapters.app_only:factory", "-k", "ACT or CON")
    assert code == 1, out[-3000:]  # MUST rules in undeclared profiles are unchecked: the claim is partial
    assert results["verdict"] == "partial" and not results["gate"]["passed"]
    assert results["run"]["adapter"] == {"name": "app-only example", "version": "9.9", "roles": ["app"]}
    ran = [(r, s) for r in results["rules"] for s in r["scenarios"]]
    assert ran and all("app" in r["roles"] for r, _ in ran)
    assert {s["profile"] for _, s in ran if s["outcome"] == "passed"} == {"ios-27.0"}
    assert {s["outcome"] for _, s in ran if s["profile"] != "ios-27.0"} == {"unsupported"}


@pytest.mark.slow
@pytest.mark.parametrize("role", ["app", "system"])
def test_the_reference_out_of_process_passes_exactly_as_in_process(tmp_path: Path, role: str) -> None:
    code_in, out_in, inside = run(tmp_path / "in", "--role", role)
    serve = f"{sys.executable} -m bru_conformance serve-reference --role {role}"
    code_out, out_out, outside = run(tmp_path / "out", "--role", role, "--adapter-cmd", serve)
    assert code_in == 0, out_in[-3000:]
    assert code_out == 0, out_out[-3000:]
    assert scenario_outcomes(inside) == scenario_outcomes(outside)
    assert outside["run"]["adapter"]["name"].startswith("bru-conformance reference")


# The Node.js example app passing the APP scenarios of every profile: tests/test_examples.py, where the
# conformance workflow runs it as written (the same run; it was made twice).


CROSSED = f"{sys.executable} -m tests.adapters.crossed_protocol_system"
PROTOCOL_RULES = "TER-01 or TER-02 or VER-04"


def test_the_harness_traces_the_extension_method_a_system_adapter_really_called(tmp_path: Path) -> None:
    """Protocol 1.2: the wire names the method called, so a SYSTEM adapter calling the other protocol's
    method fails the protocol checks (in 1.1 the harness chose by profile and could not see it)."""
    served = f"{sys.executable} -m bru_conformance serve-reference --role system"
    code, out, reference = run(tmp_path / "reference", "--role", "system", "-k", PROTOCOL_RULES, "--adapter-cmd", served)
    assert code == 0, out[-3000:]
    assert {s["outcome"] for r in reference["rules"] for s in r["scenarios"]} == {"passed"}
    code, out, crossed = run(tmp_path / "crossed", "--role", "system", "-k", PROTOCOL_RULES, "--adapter-cmd", CROSSED)
    assert code == 1, out[-3000:]
    runs = [(r["id"], s) for r in crossed["rules"] for s in r["scenarios"]]
    assert len(runs) == sum(len(r["scenarios"]) for r in reference["rules"])
    failed = {(rule, s["name"], s["profile"]): s["message"] for rule, s in runs if s["outcome"] == "failed"}
    protocol_checks = {(rule, s["name"], s["profile"]) for rule, s in runs
                       if rule in ("TER-01", "TER-02") or "processJobs() entry point" in s["name"]}
    assert set(failed) == protocol_checks and {rule for rule, _, _ in failed} == {"TER-01", "TER-02", "VER-04"}
    assert all(s["outcome"] == "passed" for rule, s in runs if (rule, s["name"], s["profile"]) not in failed)
    for (_, _, profile), message in failed.items():
        really = "process()" if "27.0" in profile else "processJobs()"
        assert f"the system called {really} on a {profile} extension" in message, message
    check = bru("adapter-check", "--adapter-cmd", CROSSED, cwd=ROOT, timeout=120)
    assert check.returncode == 3, check.stdout
    assert "FAIL system: calls extension.processJobs and extension.willTerminate, its profile's pair" in check.stdout


def test_each_extension_method_of_the_harness_sends_its_own_wire_method() -> None:
    """The harness's proxy of an APP's extension process: the wire method follows the Python method the
    SYSTEM called, not the session's profile (here a 26.x session receives the 27 methods too)."""
    from bru_conformance.contracts import AppAccount
    from bru_conformance.profiles import get_profile
    from reference_impl import ReferenceSystem
    from reference_impl.system import drive

    impl, proc = _served("app")
    sent: list[str] = []
    call = proc.call
    proc.call = lambda method, params: (sent.append(method), call(method, params))[1]  # type: ignore[method-assign]
    try:
        assert impl.app is not None
        library = ReferenceSystem(get_profile("ios-26.1"))
        app = impl.app(library, library.profile, AppAccount())
        fresh = app.make_extension
        fresh().process(), drive(fresh().process_jobs()), fresh().notify_termination(), drive(fresh().will_terminate())
        assert [m for m in sent if m.startswith("extension.")] == [
            "extension.process", "extension.processJobs", "extension.notifyTermination", "extension.willTerminate"]
        app.close()
    finally:
        proc.close()


def _served(role: str, cpu: str = "shared"):  # type: ignore[no-untyped-def]
    from bru_conformance.adapters.remote import remote_implementation

    return remote_implementation(f"{sys.executable} -m bru_conformance serve-reference --role {role}", 10.0, cpu)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux-only")
@pytest.mark.parametrize("cpu", ["shared", "any"])
def test_harness_and_adapter_share_one_cpu_and_the_harness_gets_its_cpus_back(cpu: str) -> None:
    before = os.sched_getaffinity(0)
    if len(before) < 2:
        pytest.skip("one CPU: nothing to pin")
    _, proc = _served("system", cpu)
    try:
        assert proc.proc is not None
        if cpu == "shared":
            assert len(os.sched_getaffinity(0)) == 1
            assert os.sched_getaffinity(proc.proc.pid) == os.sched_getaffinity(0)
        else:
            assert os.sched_getaffinity(0) == before == os.sched_getaffinity(proc.proc.pid)
    finally:
        proc.close()
    assert os.sched_getaffinity(0) == before


def test_the_systems_clock_is_asked_again_only_when_it_can_have_moved() -> None:
    """env.now is reused across PhotoKit calls outside a processing call, asked again after env calls that pass time."""
    from bru_conformance.assumptions import Assumptions
    from bru_conformance.profiles import get_profile

    impl, proc = _served("system")
    sent: list[str] = []
    call = proc.call
    proc.call = lambda method, params: (sent.append(method), call(method, params))[1]  # type: ignore[method-assign]
    try:
        assert impl.system is not None
        system = impl.system(get_profile("ios-27.0"), Assumptions())
        env, library = system.environment, system.library
        first = env.now()
        library.job_limit()
        assert env.now() == first and sent.count("env.now") == 1
        env.advance(30.0)
        assert env.now() == first + 30.0 and sent.count("env.now") == 2
        env.server_received()  # a read: the clock stays known
        assert env.now() == first + 30.0 and sent.count("env.now") == 2
        system.close()
    finally:
        proc.close()


def test_a_rotated_credential_is_pushed_once_before_the_app_builds_a_destination() -> None:
    from bru_conformance.contracts import AppAccount
    from bru_conformance.profiles import get_profile
    from reference_impl import ReferenceSystem

    impl, proc = _served("app")
    sent: list[tuple[str, dict]] = []
    call = proc.call
    proc.call = lambda method, params: (sent.append((method, params)), call(method, params))[1]  # type: ignore[method-assign]
    token = ["token-1"]
    try:
        assert impl.app is not None
        library = ReferenceSystem(get_profile("ios-27.0"))
        app = impl.app(library, library.profile, AppAccount(token=lambda: token[0]))
        create = next(p for m, p in sent if m == "session.create")
        assert create["account"]["token"] == "token-1"
        app.uploaded_resources()
        token[0] = "token-2"
        app.uploaded_resources()
        app.uploaded_resources()
        pushes = [p for m, p in sent if m == "account.setToken"]
        assert [p["token"] for p in pushes] == ["token-2"]
        app.close()
    finally:
        proc.close()
