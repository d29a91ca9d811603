"""The suite proving itself in both directions: mutants must fail, controls must pass.

Each *mutant* (`reference_impl.mutants`, a deliberately broken variant) and each *control*
(`reference_impl.controls`, a different but compliant variant) runs through the ordinary adapter path
(`bru-conformance run --adapter reference_impl.<mutants|controls>:<name> --role <role>`) in its own
subprocess, over the whole suite of its role (no `-k` selection), on a representative subset of the
profiles plus the ones it asks for.

* A mutant is *killed* when any rule failed, *blamed right* when every rule it declares failed.
* A control *passes* when the verdict is `conformant`, or `conformant-with-warnings` with failures only
  on the SHOULD rules it declares it departs from; any other failed rule means the suite wrongly blamed
  a compliant implementation (`blamed`).

The matrix holds when every mutant is killed by its target and every control passes.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bru_conformance import __version__
from bru_conformance.proving import forked

DEFAULT_PROFILES = ("ios-26.1", "ios-27.0")
SERVER_PROFILES = ("interop-3", "interop-5", "interop-6", "interop-7", "interop-8")  # a server run is cheap: every version


def _profiles_for(item: Any, profiles: tuple[str, ...] | None) -> tuple[str, ...]:
    """Lifecycle profiles for a SYSTEM or APP variant; every interop version for a SERVER one."""
    base = SERVER_PROFILES if item.role == "server" else (profiles or DEFAULT_PROFILES)
    return tuple(dict.fromkeys(base + tuple(item.profiles)))
FAILED = ("failed", "error")


def _failed_rules(document: dict[str, Any]) -> list[str]:
    """Failed conformance rules (a mutant killed only by recommended practice is not killed)."""
    return sorted(r["id"] for r in document["rules"] if r["verdict"] in FAILED and r.get("class", "conformance") == "conformance")


def _run(adapter: str, role: str, profiles: tuple[str, ...], assume: tuple[str, ...], tmp: str,
         select: str | None = None, rules: tuple[str, ...] = ()) -> tuple[subprocess.CompletedProcess[str], dict[str, Any] | None]:
    """One `bru-conformance run` of a variant in a process of its own. With `rules` (targets only) just the
    feature files stating them are bound, which is most of a small run's collection time."""
    args = ["run", "--adapter", adapter, "--role", role, "--report-dir", tmp, "--no-allure", "--results-only", "--quiet"]
    for p in profiles:
        args += ["--profile", p]
    for reading in assume:
        args += ["--assume", reading]
    if rules:
        args += ["--features", _features_of(rules, Path(tmp) / "features")]
    if select:
        args += ["-k", select]
    proc = forked.run_cli(args)
    results = Path(tmp) / "results.json"
    return proc, (json.loads(results.read_text(encoding="utf-8")) if results.exists() else None)


def _features_of(rules: tuple[str, ...], into: Path) -> str:
    """A directory of links to the feature files that state `rules`."""
    from bru_conformance import catalogue
    from bru_conformance.resources import features_dir

    into.mkdir(parents=True, exist_ok=True)
    for name in sorted({r.feature_file for r in catalogue.load().rules if r.id in rules}):
        (into / name).symlink_to(features_dir() / name)
    return str(into)


def run_control(control: Any, profiles: tuple[str, ...] | None = None, workdir: Path | None = None) -> dict[str, Any]:
    """One control through the whole suite of its role in a subprocess; its row of the matrix."""
    chosen = _profiles_for(control, profiles)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"control-{control.name}-", dir=workdir) as tmp:
        proc, document = _run(control.adapter, control.role, chosen, control.assume, tmp)
    seconds = round(time.perf_counter() - started, 2)
    error = None if document is not None and proc.returncode in (0, 1) else \
        f"exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-500:]}"
    failed = [] if document is None else [r for r in document["rules"] if r["verdict"] in FAILED and r["class"] == "conformance"]
    blamed = sorted(r["id"] for r in failed if not (r["level"] == "should" and r["id"] in control.departs_from))
    warnings = sorted(r["id"] for r in failed if r["id"] not in blamed)
    verdict = document["verdict"] if document is not None else "error"
    status = "error" if error else "blamed" if blamed or verdict not in ("conformant", "conformant-with-warnings") else "passed"
    return {"name": control.name, "role": control.role, "description": control.description, "allowed_by": control.allowed_by,
            "departs_from": list(control.departs_from), "profiles": list(chosen), "assume": list(control.assume),
            "verdict": verdict, "blamed_rules": blamed, "warnings": warnings, "status": status, "error": error, "seconds": seconds}


def run_mutant(mutant: Any, profiles: tuple[str, ...] | None = None, workdir: Path | None = None,
               targets_only: bool = False) -> dict[str, Any]:
    """One mutant through `bru-conformance run` in a subprocess; its kill-matrix row.

    `targets_only` runs just the targeted rules' scenarios (`-k`): enough to tell killed-by-target from
    not, and what the project's test uses to stay fast; the full matrix (the default) also shows every
    unrelated rule that fails."""
    chosen = _profiles_for(mutant, profiles)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"mutant-{mutant.name}-", dir=workdir) as tmp:
        proc, document = _run(mutant.adapter, mutant.role, chosen, mutant.assume, tmp,
                              " or ".join(mutant.rules) if targets_only else None, mutant.rules if targets_only else ())
    seconds = round(time.perf_counter() - started, 2)
    error = None
    failed: list[str] = _failed_rules(document) if document is not None else []
    if proc.returncode not in (0, 1) or document is None:
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
               progress: Any = None, targets_only: bool = False, controls: list[Any] | None = None) -> dict[str, Any]:
    """Every mutant and every control, `workers` at a time; the matrix document (schemas/mutants.schema.json)."""
    started = time.perf_counter()
    jobs: list[tuple[str, Any]] = [("mutant", m) for m in mutants] + [("control", c) for c in (controls or [])]

    def one(job: tuple[str, Any]) -> tuple[str, dict[str, Any]]:
        kind, item = job
        row = run_mutant(item, profiles, targets_only=targets_only) if kind == "mutant" else run_control(item, profiles)
        return kind, row

    rows: list[dict[str, Any]] = []
    control_rows: list[dict[str, Any]] = []
    if forked.CAN_FORK:
        forked.warm()  # before the pool's threads start
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for kind, row in pool.map(one, jobs):
            (rows if kind == "mutant" else control_rows).append(row)
            if progress is not None:
                progress(kind, row)
    totals = {s: sum(1 for r in rows if r["status"] == s) for s in ("killed", "killed-by-others", "survived", "error")}
    control_totals = {s: sum(1 for r in control_rows if r["status"] == s) for s in ("passed", "blamed", "error")}
    return {"suite_version": __version__, "profiles": list(profiles or DEFAULT_PROFILES), "workers": workers,
            "seconds": round(time.perf_counter() - started, 2), "totals": totals, "mutants": rows,
            "control_totals": control_totals, "controls": control_rows,
            "holds": totals["killed"] == len(rows) and control_totals["passed"] == len(control_rows),
            "coverage": coverage()}


def coverage() -> dict[str, Any]:
    """Required rules (testable MUST of any role, SHOULD of APP) with and without a mutant."""
    from bru_conformance import reference

    NO_MUTANT, all_mutants = reference.module("mutants").NO_MUTANT, reference.module("mutants").all_mutants  # noqa: N806

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
        if (rule.level == "must" and roles & {"system", "app", "server"}) or (rule.level == "should" and "app" in roles):
            out.append(rule.id)
    return out


def attach(results_path: Path, document: dict[str, Any]) -> None:
    """Put the kill matrix into an existing results document (its optional `mutants` array)."""
    from bru_conformance.reporting.reports import write_reports

    results = json.loads(results_path.read_text(encoding="utf-8"))
    results["mutants"] = [{k: row[k] for k in ("name", "role", "targets", "failed_rules", "killed", "blamed_right", "status")}
                          for row in document["mutants"]]
    results["controls"] = [{k: row[k] for k in ("name", "role", "allowed_by", "verdict", "blamed_rules", "warnings", "status")}
                           for row in document.get("controls", [])]
    write_reports(results, results_path.parent)


def print_matrix(document: dict[str, Any]) -> None:
    """The kill matrix and the control table, with their totals."""
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
    if document.get("controls"):
        controls = Table(title="positive controls (compliant variants: must pass)", title_justify="left")
        for column in ("control", "role", "allowed by", "verdict", "blamed rules", "status"):
            controls.add_column(column)
        for row in document["controls"]:
            colour = "green" if row["status"] == "passed" else "red"
            controls.add_row(row["name"], row["role"], row["allowed_by"][:48], row["verdict"], ", ".join(row["blamed_rules"]) or "-",
                             f"[{colour}]{row['status']}[/]")
        console.print(controls)
        c = document["control_totals"]
        console.print(f"{len(document['controls'])} controls: {c['passed']} passed, {c['blamed']} wrongly blamed, {c['error']} errors")
    cov = document.get("coverage")
    if cov:
        console.print(f"coverage: {len(cov['with_mutant'])}/{cov['required']} required rules have a mutant, "
                      f"{len(cov['no_mutant'])} excused (NO_MUTANT), missing: {', '.join(cov['missing']) or 'none'}")


def main(only: list[str], profiles: list[str], workers: int, report_dir: Path, side: str = "both") -> int:
    """`bru-conformance mutants`: run, print, write `mutants.json` and attach the matrix to `results.json`.
    Exit 0 only when every mutant run is killed by its target and every control run passes."""
    from bru_conformance import reference
    from bru_conformance.profiles import get_profile
    from bru_conformance.reporting.reports import write_reports  # noqa: F401 - fail early if reports cannot render
    from bru_conformance.schemas import validator

    control_catalogue, mutants = reference.module("controls"), reference.module("mutants")
    MUTANTS, all_mutants, get = mutants.MUTANTS, mutants.all_mutants, mutants.get  # noqa: N806

    for name in profiles:
        get_profile(name)
    all_mutants()
    if only:
        chosen = [get(n) for n in only if n in MUTANTS]
        chosen_controls = [control_catalogue.get(n) for n in only if n not in MUTANTS]
    else:
        chosen = all_mutants() if side in ("both", "mutants") else []
        chosen_controls = control_catalogue.all_controls() if side in ("both", "controls") else []
    document = run_matrix(chosen, tuple(profiles) or None, workers, controls=chosen_controls,
                          progress=lambda kind, r: print(f"  {kind:<8} {r['status']:<17} {r['name']}", flush=True))
    validator("mutants").validate(document)
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "mutants.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print_matrix(document)
    if (report_dir / "results.json").exists():
        attach(report_dir / "results.json", document)
    print(f"matrix: {report_dir / 'mutants.json'}")
    return 0 if document["holds"] else 1
