"""Mutation testing of the suite: run it against every mutant of `reference_impl.mutants`, build the kill matrix.

Each mutant runs through the ordinary adapter path (`bru-conformance run --adapter
reference_impl.mutants:<name> --role <role>`) in its own subprocess, over the whole suite of its role
(no `-k` selection, so a kill by unrelated rules shows), on a representative subset of the profiles plus
the ones the mutant asks for. A mutant is *killed* when any rule failed, *blamed right* when every rule
it declares failed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bru_conformance import __version__

DEFAULT_PROFILES = ("ios-26.1", "ios-27.0")
FAILED = ("failed", "error")


def _failed_rules(document: dict[str, Any]) -> list[str]:
    return sorted(r["id"] for r in document["rules"] if r["verdict"] in FAILED)


def run_mutant(mutant: Any, profiles: tuple[str, ...] | None = None, workdir: Path | None = None,
               targets_only: bool = False) -> dict[str, Any]:
    """One mutant through `bru-conformance run` in a subprocess; its kill-matrix row.

    `targets_only` runs just the targeted rules' scenarios (`-k`): enough to tell killed-by-target from
    not, and what the project's test uses to stay fast; the full matrix (the default) also shows every
    unrelated rule that fails."""
    chosen = tuple(dict.fromkeys((profiles or DEFAULT_PROFILES) + tuple(mutant.profiles)))
    with tempfile.TemporaryDirectory(prefix=f"mutant-{mutant.name}-", dir=workdir) as tmp:
        cmd = [sys.executable, "-m", "bru_conformance", "run", "--adapter", mutant.adapter, "--role", mutant.role,
               "--report-dir", tmp, "--no-allure", "--quiet"]
        for p in chosen:
            cmd += ["--profile", p]
        for reading in mutant.assume:
            cmd += ["--assume", reading]
        if targets_only:
            cmd += ["-k", " or ".join(mutant.rules)]
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        seconds = round(time.perf_counter() - started, 2)
        results = Path(tmp) / "results.json"
        error = None
        failed: list[str] = []
        if results.exists():
            failed = _failed_rules(json.loads(results.read_text(encoding="utf-8")))
        if proc.returncode not in (0, 1) or not results.exists():
            error = f"exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-500:]}"
    killed = bool(failed)
    blamed = killed and all(rule in failed for rule in mutant.rules)
    if targets_only and not blamed and not error:
        killed = False  # only the targets ran: not killed by them is all this run can tell
    return {"name": mutant.name, "role": mutant.role, "description": mutant.description, "targets": list(mutant.rules),
            "profiles": list(chosen), "assume": list(mutant.assume), "failed_rules": failed, "killed": killed, "blamed_right": blamed,
            "status": status_of(killed, blamed, error), "error": error, "seconds": seconds}


def status_of(killed: bool, blamed: bool, error: str | None) -> str:
    if error:
        return "error"
    if not killed:
        return "survived"
    return "killed" if blamed else "killed-by-others"


def run_matrix(mutants: list[Any], profiles: tuple[str, ...] | None = None, workers: int = 2,
               progress: Any = None, targets_only: bool = False) -> dict[str, Any]:
    """Every mutant, `workers` at a time; the mutants document (schemas/mutants.schema.json)."""
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for row in pool.map(lambda m: run_mutant(m, profiles, targets_only=targets_only), mutants):
            rows.append(row)
            if progress is not None:
                progress(row)
    totals = {s: sum(1 for r in rows if r["status"] == s) for s in ("killed", "killed-by-others", "survived", "error")}
    return {"suite_version": __version__, "profiles": list(profiles or DEFAULT_PROFILES), "workers": workers,
            "seconds": round(time.perf_counter() - started, 2), "totals": totals, "mutants": rows,
            "coverage": coverage()}


def coverage() -> dict[str, Any]:
    """Required rules (testable MUST of SYSTEM/APP, SHOULD of APP) with and without a mutant."""
    from reference_impl.mutants import NO_MUTANT, all_mutants

    targeted = {rule for m in all_mutants() for rule in m.rules}
    required = required_rules()
    return {"required": len(required), "with_mutant": sorted(r for r in required if r in targeted),
            "no_mutant": {r: NO_MUTANT[r] for r in required if r in NO_MUTANT},
            "missing": sorted(r for r in required if r not in targeted and r not in NO_MUTANT)}


def required_rules() -> list[str]:
    from bru_conformance import catalogue

    out = []
    for rule in catalogue.load().rules:
        if rule.untestable_reason:
            continue
        roles = set(rule.roles)
        if (rule.level == "must" and roles & {"system", "app"}) or (rule.level == "should" and "app" in roles):
            out.append(rule.id)
    return out


def attach(results_path: Path, document: dict[str, Any]) -> None:
    """Put the kill matrix into an existing results document (its optional `mutants` array)."""
    from bru_conformance.reports import write_reports

    results = json.loads(results_path.read_text(encoding="utf-8"))
    results["mutants"] = [{k: row[k] for k in ("name", "role", "targets", "failed_rules", "killed", "blamed_right", "status")}
                          for row in document["mutants"]]
    write_reports(results, results_path.parent)


def print_matrix(document: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="mutation kill matrix", title_justify="left")
    for column in ("mutant", "role", "targeted", "failed rules", "killed", "blamed right"):
        table.add_column(column)
    style = {"killed": "green", "killed-by-others": "yellow", "survived": "red", "error": "red"}
    for row in document["mutants"]:
        table.add_row(row["name"], row["role"], ", ".join(row["targets"]), ", ".join(row["failed_rules"]) or "-",
                      "yes" if row["killed"] else "SURVIVED", f"[{style[row['status']]}]{'yes' if row['blamed_right'] else 'no'}[/]")
    console = Console(highlight=False, width=160)
    console.print(table)
    t = document["totals"]
    console.print(f"{len(document['mutants'])} mutants: {t['killed']} killed by their target, {t['killed-by-others']} killed only "
                  f"by other rules, {t['survived']} survived, {t['error']} errors; wall {document['seconds']:.1f} s")
    cov = document.get("coverage")
    if cov:
        console.print(f"coverage: {len(cov['with_mutant'])}/{cov['required']} required rules have a mutant, "
                      f"{len(cov['no_mutant'])} excused (NO_MUTANT), missing: {', '.join(cov['missing']) or 'none'}")


def main(only: list[str], profiles: list[str], workers: int, report_dir: Path) -> int:
    """`bru-conformance mutants`: run, print, write `mutants.json` and attach the matrix to `results.json`."""
    from bru_conformance.profiles import get_profile
    from bru_conformance.reports import write_reports  # noqa: F401 - fail early if reports cannot render
    from bru_conformance.schemas import validator
    from reference_impl.mutants import all_mutants, get

    for name in profiles:
        get_profile(name)
    chosen = [get(n) for n in only] if only else all_mutants()
    document = run_matrix(chosen, tuple(profiles) or None, workers,
                          progress=lambda r: print(f"  {r['status']:<17} {r['name']}", flush=True))
    validator("mutants").validate(document)
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "mutants.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print_matrix(document)
    if (report_dir / "results.json").exists():
        attach(report_dir / "results.json", document)
    print(f"kill matrix: {report_dir / 'mutants.json'}")
    return 0 if document["totals"]["killed"] == len(document["mutants"]) else 1
