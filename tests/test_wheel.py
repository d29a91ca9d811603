"""Installed as a wheel, the suite works from any directory: features, steps, schemas and the
reference ship inside the distribution (issue 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    return next(out.glob("bru_conformance-*.whl"))


def test_the_wheel_carries_the_suite(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for expected in ("bru_conformance/_bundled/features/activation.feature", "bru_conformance/_bundled/schemas/results.schema.json",
                     "bru_conformance/suite/test_conformance.py", "bru_conformance/suite/pytest.ini",
                     "bru_conformance/reference_impl/system.py", "bru_conformance/steps/job_steps.py"):
        assert expected in names, f"{expected} missing from {wheel.name}"
    tops = {n.split("/")[0] for n in names if "/" in n and not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"bru_conformance"}, f"the wheel claims top-level import names {sorted(tops - {'bru_conformance'})}"


@pytest.mark.slow
def test_the_installed_wheel_runs_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    work = tmp_path / "elsewhere"
    work.mkdir()
    # a team's own pytest-bdd project beside the run: its `steps` package must not be taken for ours (issue 12)
    (work / "steps").mkdir()
    (work / "steps" / "__init__.py").write_text("TEAM_STEPS = True\n")
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import bru_conformance.resources as r; print(r.features_dir())"],
                           env=env, cwd=work, capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(str(target)), where
    proc = subprocess.run([sys.executable, "-m", "bru_conformance", "run", "--profile", "ios-27.0", "--quiet", "-k", "activation or enabl"],
                          env=env, cwd=work, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    results = json.loads((work / "reports" / "results.json").read_text())
    assert results["totals"]["executed"] > 0
