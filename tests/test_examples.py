"""The examples work as written (issue 12): the GitHub Actions workflows' `run:` steps executed locally
against an installed wheel and the Node.js example adapter, the waivers example against the control it
was written for, and `report --allure-html` with Allure 3 (`npx allure`) or an Allure 2 on PATH.

The workflows are run by a small local runner: the `run:` steps of one job in order, with bash as the
workflow's `defaults.run.shell` says (GitHub runs `bash --noprofile --norc -eo pipefail`), the workflow,
job and step `env:` (matrix expressions substituted), GITHUB_STEP_SUMMARY pointing at a file, and
GitHub's step conditions: after a failed step only `if: always()` steps run. `uses:` steps are emulated
where they matter (checkout: a workspace holding tools/<wheel> and adapter/main.js; artifacts: copies).

Installing the wheel: `python -m venv` without pip, plus a .pth file that puts this interpreter's
installed dependencies (everything but the suite itself) on the new venv's path; the workflow's own
`python -m pip install "$BRU_CONFORMANCE"` then installs only the wheel, offline (PIP_NO_INDEX), in
about 2 s. (A fresh venv with pip and a wheelhouse of the ~30 dependencies takes 15-25 s here and needs
the wheels from PyPI first.)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli import bru

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
WORKFLOWS = EXAMPLES / "github-actions"
NODE = shutil.which("node")
NPX = shutil.which("npx")
MUTANT = "app_photos_only"  # fails 3 scenarios of 106: a short run (one that fails 22 took twice as long)
MATRIX_EXPRESSION = re.compile(r"\$\{\{\s*matrix\.([A-Za-z_][\w-]*)\s*\}\}")


# ------------------------------------------------------------------ a local runner for the workflows


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path


@dataclass
class Step:
    step: dict[str, Any]
    proc: subprocess.CompletedProcess[str] | None  # None: skipped

    @property
    def code(self) -> int | None:
        return None if self.proc is None else self.proc.returncode

    def log(self) -> str:
        return "(skipped)" if self.proc is None else f"exit {self.proc.returncode}\n{self.proc.stdout[-3000:]}\n{self.proc.stderr[-3000:]}"


def load_workflow(name: str) -> dict[str, Any]:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert workflow["defaults"]["run"]["shell"] == "bash", "the local runner runs steps with bash, as the workflow must say"
    return workflow


def expand(value: Any, matrix: dict[str, Any] | None = None) -> str:
    text = MATRIX_EXPRESSION.sub(lambda m: str((matrix or {})[m.group(1)]), str(value))
    assert "${{" not in text, f"an expression the local runner does not evaluate: {text}"
    return text


def workspace(directory: Path, installed: Installed) -> Path:
    """A team's repository as `actions/checkout` leaves it: the wheel in tools/, the adapter in adapter/."""
    (directory / "tools").mkdir(parents=True)
    shutil.copy2(installed.wheel, directory / "tools")
    (directory / "adapter").mkdir()
    shutil.copy2(EXAMPLES / "node-app" / "main.js", directory / "adapter" / "main.js")
    return directory


def run_job(workflow: dict[str, Any], job: str, cwd: Path, installed: Installed, summary: Path,
            overrides: dict[str, str] | None = None, matrix: dict[str, Any] | None = None) -> list[Step]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP") and not k.startswith(("GITHUB_", "PYTEST_"))}
    env["PATH"] = f"{installed.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", GITHUB_STEP_SUMMARY=str(summary))
    env.update({k: expand(v) for k, v in workflow.get("env", {}).items()})
    env.update({k: expand(v, matrix) for k, v in workflow["jobs"][job].get("env", {}).items()})
    env.update(overrides or {})
    if "BRU_CONFORMANCE" in env:
        assert (cwd / env["BRU_CONFORMANCE"]).is_file(), (
            f"BRU_CONFORMANCE names {env['BRU_CONFORMANCE']}, the build made tools/{installed.wheel.name}: update the examples")
    script = cwd.parent / f".{cwd.name}-step.sh"
    steps, failed = [], False
    for step in workflow["jobs"][job]["steps"]:
        if "run" not in step:
            continue
        condition = step.get("if")
        assert condition in (None, "always()"), f"a step condition the local runner does not evaluate: {condition}"
        if failed and condition != "always()":
            steps.append(Step(step, None))
            continue
        script.write_text(expand(step["run"]), encoding="utf-8")
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd, capture_output=True, text=True,
                              env={**env, **{k: expand(v, matrix) for k, v in step.get("env", {}).items()}}, timeout=900)
        steps.append(Step(step, proc))
        failed |= proc.returncode != 0
    return steps


def step(steps: list[Step], needle: str) -> Step:
    """The one step whose script contains NEEDLE."""
    found = [s for s in steps if needle in s.step["run"]]
    assert len(found) == 1, f"{len(found)} steps run {needle!r}"
    return found[0]


def uses(workflow: dict[str, Any], job: str, action: str) -> dict[str, Any]:
    found = [s for s in workflow["jobs"][job]["steps"] if s.get("uses", "").startswith(action)]
    assert len(found) == 1, f"{len(found)} {action} steps in {job}"
    return found[0]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel (`pip wheel --no-deps -w tools <checkout>`, as the workflows say) and an empty venv that sees
    this interpreter's dependencies but not the suite: the workflows' install step puts the wheel in it."""
    base = tmp_path_factory.mktemp("installed")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(base / "tools"), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    wheel = next((base / "tools").glob("bru_conformance-*.whl"))
    own = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True, timeout=120)
    venv_lib = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              check=True, capture_output=True, text=True).stdout.strip()
    deps = base / "deps"
    deps.mkdir()
    for lib in dict.fromkeys((sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"])):
        for entry in Path(lib).iterdir():
            if (entry.name in own or entry.name.startswith(("bru_conformance", "__editable__", "_editable_impl_"))
                    or entry.suffix == ".pth" or entry.name == "__pycache__" or (deps / entry.name).exists()):
                continue
            (deps / entry.name).symlink_to(entry)
    (Path(venv_lib) / "_bru_conformance_test_deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    return Installed(wheel, venv)


# ------------------------------------------------------------------ conformance.yml


@pytest.mark.slow
@pytest.mark.skipif(NODE is None, reason="Node.js is not installed (the workflow's adapter is the Node.js example)")
def test_the_conformance_workflow_runs_as_written(installed: Installed, tmp_path: Path) -> None:
    workflow = load_workflow("conformance.yml")
    declared = [Step(s, None) for s in workflow["jobs"]["conformance"]["steps"] if "run" in s]
    assert "--strict" in step(declared, "bru-conformance run").step["run"]
    assert step(declared, "GITHUB_STEP_SUMMARY").step.get("if") == "always()"
    assert uses(workflow, "conformance", "actions/upload-artifact")["if"] == "always()"
    assert not (tmp_path / "conformance-waivers.yaml").exists()

    # 1. the Node.js example app: the gate passes, the summary is written, the reports are there to upload
    repo = workspace(tmp_path / "ok", installed)
    summary = tmp_path / "summary-ok.md"
    steps = run_job(workflow, "conformance", repo, installed, summary)
    assert [s.code for s in steps] == [0] * len(steps), "\n".join(s.log() for s in steps)
    where = subprocess.run([str(installed.venv / "bin" / "python"), "-c", "import bru_conformance; print(bru_conformance.__file__)"],
                           capture_output=True, text=True, check=True, cwd=repo).stdout
    assert where.startswith(str(installed.venv)), f"the suite was not imported from the installed wheel: {where}"
    assert "speaks the protocol" in step(steps, "adapter-check").proc.stdout  # type: ignore[union-attr]
    document = json.loads((repo / "reports" / "results.json").read_text())
    assert document["verdict"] == "conformant" and document["run"]["strict"] and document["run"]["waivers"] in (None, [])
    # the Node.js example app passes the APP scenarios of every profile, and says it is an APP
    assert document["run"]["adapter"]["roles"] == ["app"] and document["totals"]["executed"] > 100
    assert summary.read_text() == (repo / "reports" / "summary.md").read_text() != ""
    upload = uses(workflow, "conformance", "actions/upload-artifact")["with"]["path"]
    assert (repo / upload / "report.html").is_file()

    # 2. a mutant that makes no job for videos (one profile, to keep it short): the gate fails with
    # exit 1, the summary step still runs and writes the failing summary
    repo = workspace(tmp_path / "mutant", installed)
    summary = tmp_path / "summary-mutant.md"
    steps = run_job(workflow, "conformance", repo, installed, summary, overrides={
        "ADAPTER_CMD": f"bru-conformance serve-reference --role app --mutant {MUTANT}", "PROFILES": "ios-27.0"})
    gate = step(steps, "bru-conformance run")
    assert gate.code == 1, gate.log()
    assert step(steps, "GITHUB_STEP_SUMMARY").code == 0
    assert "non-conformant" in summary.read_text() and summary.read_text() == (repo / "reports" / "summary.md").read_text()
    assert json.loads((repo / "reports" / "results.json").read_text())["run"]["profiles"] == ["ios-27.0"]

    # 3. the team's waivers file is used when it exists: an expired one is a usage error (exit 2)
    repo = workspace(tmp_path / "waivers", installed)
    (repo / "conformance-waivers.yaml").write_text(yaml.safe_dump({"waivers": [
        {"rule": "ACK-02", "reason": "long gone", "link": "https://tracker.example.com/1", "expires": "2020-01-01"}]}))
    steps = run_job(workflow, "conformance", repo, installed, tmp_path / "summary-waivers.md")
    gate = step(steps, "bru-conformance run")
    assert gate.code == 2 and "expired" in gate.proc.stderr + gate.proc.stdout, gate.log()  # type: ignore[union-attr]

    # 4. a run that dies before writing reports (the adapter does not start): the gate step is skipped, the
    # summary step does not fail and says why there is no summary
    repo = workspace(tmp_path / "dead", installed)
    summary = tmp_path / "summary-dead.md"
    steps = run_job(workflow, "conformance", repo, installed, summary, overrides={"ADAPTER_CMD": "node adapter/missing.js"})
    assert step(steps, "adapter-check").code == 3 and step(steps, "bru-conformance run").code is None
    assert step(steps, "GITHUB_STEP_SUMMARY").code == 0
    assert not (repo / "reports").exists() and "No conformance summary" in summary.read_text()


# ------------------------------------------------------------------ sharded.yml


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    return {"verdict": document["verdict"], "gate": document["gate"], "totals": document["totals"],
            "profiles": document["run"]["profiles"], "rules": {r["id"]: r["verdict"] for r in document["rules"]},
            "runs": sorted((r["id"], s["name"], s["profile"], s["outcome"]) for r in document["rules"] for s in r["scenarios"])}


@pytest.mark.slow
@pytest.mark.skipif(NODE is None, reason="Node.js is not installed (the workflow's adapter is the Node.js example)")
def test_the_sharded_workflow_merges_each_profile_to_the_unsharded_verdict(installed: Installed, tmp_path: Path) -> None:
    workflow = load_workflow("sharded.yml")
    matrix, env = workflow["jobs"]["shard"]["strategy"]["matrix"], workflow["env"]
    assert env["PROFILES"].split() == matrix["profile"] and int(env["SHARDS"]) == len(matrix["shard"]) == 2
    assert workflow["jobs"]["merge"]["needs"] == "shard" and workflow["jobs"]["merge"]["if"] == "${{ !cancelled() }}"
    profiles = ["ios-26.1", "ios-27.0"]  # two of the matrix's profiles, both shards each: enough, and shorter
    overrides = {"PROFILES": " ".join(profiles)}
    upload = uses(workflow, "shard", "actions/upload-artifact")["with"]
    download = uses(workflow, "merge", "actions/download-artifact")["with"]
    merge_repo = workspace(tmp_path / "merge", installed)

    for profile in profiles:
        for shard in matrix["shard"]:
            cell = {"profile": profile, "shard": shard}
            repo = workspace(tmp_path / f"shard-{profile}-{shard}", installed)
            steps = run_job(workflow, "shard", repo, installed, tmp_path / "summary-shard.md", overrides, cell)
            assert [s.code for s in steps] == [0] * len(steps), "\n".join(s.log() for s in steps)
            part = json.loads((repo / upload["path"]).read_text())
            assert part["run"]["profiles"] == [profile] and part["run"]["shard"] == f"{shard}/2"
            # upload-artifact, then download-artifact with a pattern: one directory per artifact
            name = expand(upload["name"], cell)
            assert re.fullmatch(download["pattern"].replace("*", ".*"), name)
            (merge_repo / download["path"] / name).mkdir(parents=True)
            shutil.copy2(repo / upload["path"], merge_repo / download["path"] / name / Path(upload["path"]).name)

    summary = tmp_path / "summary-merge.md"
    steps = run_job(workflow, "merge", merge_repo, installed, summary, overrides)
    merge = step(steps, "bru-conformance merge")
    assert merge.code == 0, merge.log()
    assert all(s.code == 0 for s in steps), "\n".join(s.log() for s in steps)
    text = summary.read_text()
    for profile in profiles:
        assert f"## {profile}" in text and (merge_repo / "reports" / profile / "summary.md").read_text() in text

    # the merged verdict of each profile is the unsharded run's
    plain = workspace(tmp_path / "unsharded", installed)
    for profile in profiles:
        proc = subprocess.run([str(installed.venv / "bin" / "bru-conformance"), "run", "--quiet", "--strict", "--role", "app",
                               "--adapter-cmd", env["ADAPTER_CMD"], "--profile", profile, "--no-allure", "--report-dir", f"reports/{profile}"],
                              cwd=plain, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        unsharded = json.loads((plain / "reports" / profile / "results.json").read_text())
        merged = json.loads((merge_repo / "reports" / profile / "results.json").read_text())
        assert comparable(merged) == comparable(unsharded), profile
        assert merged["totals"]["executed"] > 0

    # merge refuses parts of different profiles: hence one merge per profile
    parts = sorted((merge_repo / download["path"]).glob("*/results.json"))
    mixed = subprocess.run([str(installed.venv / "bin" / "bru-conformance"), "merge", str(parts[0]), str(parts[-1]), "--report-dir", "mixed"],
                           cwd=merge_repo, capture_output=True, text=True, timeout=300)
    assert mixed.returncode == 2 and "profiles differs" in mixed.stderr, mixed.stderr

    # the merge job's exit code is the gate: a MUST failure in one shard fails it (exit 1) ...
    shutil.rmtree(merge_repo / "reports")
    planted = parts[0]
    original = planted.read_text()
    document = json.loads(original)
    scenario = next(s for r in document["rules"] if r["level"] == "must" and r["class"] == "conformance"
                    for s in r["scenarios"] if s["outcome"] == "passed")
    scenario.update(outcome="failed", failed_step=scenario["steps"][-1], message="planted failure")
    planted.write_text(json.dumps(document))
    steps = run_job(workflow, "merge", merge_repo, installed, tmp_path / "summary-planted.md", overrides)
    assert step(steps, "bru-conformance merge").code == 1, step(steps, "bru-conformance merge").log()
    assert "non-conformant" in (tmp_path / "summary-planted.md").read_text()
    planted.write_text(original)

    # ... and so does a shard that never delivered its results (exit 3); the summary step still reports
    shutil.rmtree(merge_repo / "reports")
    shutil.rmtree(parts[-1].parent)
    missing_profile = next(p for p in profiles if p in parts[-1].parent.name)
    summary = tmp_path / "summary-missing.md"
    steps = run_job(workflow, "merge", merge_repo, installed, summary, overrides)
    merge = step(steps, "bru-conformance merge")
    assert merge.code == 3 and f"{missing_profile}: 1 of 2 shard results" in merge.proc.stdout, merge.log()  # type: ignore[union-attr]
    assert step(steps, "GITHUB_STEP_SUMMARY").code == 0
    assert f"{missing_profile}: no merged summary" in summary.read_text()


# ------------------------------------------------------------------ waivers.yaml


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return bru(*args, cwd=ROOT, env=env, timeout=900)


@pytest.mark.slow
def test_the_waivers_example_lets_the_capped_queue_control_pass_the_strict_gate_and_without_it_fails(tmp_path: Path) -> None:
    example = EXAMPLES / "waivers.yaml"
    text = example.read_text()
    command = ["run", "--adapter", "reference_impl.controls:caps_at_twenty", "--role", "app"]
    assert "bru-conformance " + " ".join(command) in text and "--waivers examples/waivers.yaml --strict" in text
    entries = yaml.safe_load(text)["waivers"]
    assert len(entries) == 1 and entries[0]["expires"] > dt.date.today(), "renew the example waiver's expiry date"

    proc = cli(*command, "--waivers", "examples/waivers.yaml", "--strict", "--quiet", "--no-allure", "--report-dir", str(tmp_path / "waived"))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    document = json.loads((tmp_path / "waived" / "results.json").read_text())
    rules = {r["id"]: r for r in document["rules"]}
    assert document["verdict"] == "conformant" and document["gate"]["passed"]
    assert rules["CRE-12"]["verdict"] == "waived" and not [r for r in document["rules"] if r["verdict"] == "failed"]
    waived = {s["name"] for r in document["rules"] for s in r["scenarios"] if s["outcome"] == "waived"}
    assert waived == {entries[0]["scenario"]}
    assert any(s["outcome"] == "passed" for s in rules["CRE-12"]["scenarios"])  # the other CRE-12 scenario still counts

    copy = tmp_path / "no-waiver.yaml"
    copy.write_text(yaml.safe_dump({"waivers": [w for w in entries if w.get("scenario") != entries[0]["scenario"]]}))
    proc = cli(*command, "--waivers", str(copy), "--strict", "--quiet", "--no-allure", "--report-dir", str(tmp_path / "unwaived"))
    document = json.loads((tmp_path / "unwaived" / "results.json").read_text())
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert document["verdict"] == "conformant-with-warnings" and document["gate"]["reasons"] == ["SHOULD rule(s) failed under --strict"]
    assert [r["id"] for r in document["rules"] if r["verdict"] == "failed"] == ["CRE-12"]


# ------------------------------------------------------------------ report --allure-html


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    report = tmp_path_factory.mktemp("allure") / "reports"
    proc = cli("run", "--quiet", "--profile", "ios-27.0", "--report-dir", str(report), "-k", "ACT-01")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert list((report / "allure-results").glob("*-result.json"))
    return report


def copy_run(small_run: Path, target: Path, allure_results: bool = True) -> Path:
    target.mkdir(parents=True)
    shutil.copy2(small_run / "results.json", target / "results.json")
    if allure_results:
        shutil.copytree(small_run / "allure-results", target / "allure-results")
    return target


@pytest.mark.slow
@pytest.mark.skipif(NPX is None, reason="npx (Node.js) is not installed")
def test_allure_html_builds_the_site_with_npx_allure_and_a_broken_build_is_an_error(small_run: Path, tmp_path: Path) -> None:
    report = copy_run(small_run, tmp_path / "ok")
    written = len(list((report / "allure-results").glob("*-result.json")))
    for _ in range(2):  # a second build replaces the first
        proc = cli("report", str(report / "results.json"), "--allure-html")
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        assert f"allure HTML site: {report / 'allure-report'}" in proc.stdout
        assert (report / "allure-report" / "index.html").is_file()
    summary = report / "allure-report" / "summary.json"  # Allure 3; Allure 2 writes widgets/summary.json
    if summary.is_file():
        assert json.loads(summary.read_text())["stats"]["total"] == written
    assert not list(report.glob(".allure-report-*")), "the build's scratch directory is left behind"

    # re-rendered elsewhere: the site is built from the allure-results beside RESULTS, into the new directory
    elsewhere = tmp_path / "elsewhere"
    proc = cli("report", str(report / "results.json"), "--report-dir", str(elsewhere), "--allure-html")
    assert proc.returncode == 0 and (elsewhere / "allure-report" / "index.html").is_file(), proc.stderr[-2000:]

    # a results directory Allure cannot read: exit 3 with Allure's reason, no site
    broken = copy_run(small_run, tmp_path / "broken", allure_results=False)
    (broken / "allure-results").mkdir()
    (broken / "allure-results" / "0000-result.json").write_text("{not json")
    proc = cli("report", str(broken / "results.json"), "--allure-html")
    assert proc.returncode == 3, proc.stdout[-1000:] + proc.stderr[-1000:]
    assert "allure HTML site not built" in proc.stderr and "0000-result.json" in proc.stderr, proc.stderr
    assert not (broken / "allure-report").exists()


def fake_allure(directory: Path, version: str, fail: str | None = None) -> Path:
    """An `allure` executable that prints VERSION, records its arguments and writes a site like Allure 2 (or fails)."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "allure"
    script.write_text(f"""#!{sys.executable}
import json, pathlib, sys
args = sys.argv[1:]
if args == ["--version"]:
    print({version!r}); sys.exit(0)
pathlib.Path({str(directory / "calls.json")!r}).write_text(json.dumps(args))
if {fail!r}:
    print({fail!r}, file=sys.stderr); sys.exit(1)
out = pathlib.Path(args[args.index("-o") + 1])
(out / "widgets").mkdir(parents=True)
(out / "index.html").write_text("<html></html>")
total = len(list(pathlib.Path(args[1]).glob("*-result.json")))
(out / "widgets" / "summary.json").write_text(json.dumps({{"statistic": {{"total": total}}}}))
""")
    script.chmod(0o755)
    return directory


def test_allure_html_uses_an_allure_2_on_path_with_clean_and_reports_its_failure(small_run: Path, tmp_path: Path) -> None:
    bin_dir = fake_allure(tmp_path / "bin", "2.32.0")
    env = {**os.environ, "PATH": str(bin_dir)}  # no npx on this PATH: the Allure 2 must be the one used
    report = copy_run(small_run, tmp_path / "ok")
    proc = cli("report", str(report / "results.json"), "--allure-html", env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    args = json.loads((bin_dir / "calls.json").read_text())
    assert args[:2] == ["generate", str((report / "allure-results").resolve())] and args[-1] == "--clean"
    assert (report / "allure-report" / "widgets" / "summary.json").is_file()

    failing = fake_allure(tmp_path / "failing", "2.32.0", fail="Could not find Java: JAVA_HOME is not set")
    proc = cli("report", str(report / "results.json"), "--allure-html", env={**os.environ, "PATH": str(failing)})
    assert proc.returncode == 3 and "Allure 2 exited 1" in proc.stderr and "JAVA_HOME is not set" in proc.stderr, proc.stderr


def test_allure_html_without_results_or_without_allure_is_a_usage_error(small_run: Path, tmp_path: Path) -> None:
    bare = copy_run(small_run, tmp_path / "bare", allure_results=False)
    proc = cli("report", str(bare / "results.json"), "--allure-html")
    assert proc.returncode == 2 and "allure-results" in proc.stderr and "--allure" in proc.stderr, proc.stderr

    report = copy_run(small_run, tmp_path / "report")
    empty_path = tmp_path / "empty-bin"
    empty_path.mkdir()
    proc = cli("report", str(report / "results.json"), "--allure-html", env={**os.environ, "PATH": str(empty_path)})
    assert proc.returncode == 2 and "no Allure" in proc.stderr and "npx" in proc.stderr, proc.stderr
