"""The `bru-conformance` command line: the top of the harness, with `__main__`.

Exit codes of `run`: 0 conformant (warnings allowed), 1 non-conformant, 2 usage or configuration
error, 3 harness or adapter error (including a run that executed no scenario).

May import: model, catalogue, scenario, adapters, reporting, run, proving, bench
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click

from bru_conformance import __version__
from bru_conformance.proving import BENCH_EXAMPLES, EXPLORE_BUDGET

EXIT_CONFORMANT, EXIT_NONCONFORMANT, EXIT_USAGE, EXIT_HARNESS = 0, 1, 2, 3


@click.group()
@click.version_option(__version__, prog_name="bru-conformance")
def main() -> None:
    """Conformance suite for PhotoKit's Background Resource Upload protocol."""


def entry() -> None:
    """The program (`bru-conformance`, `python -m bru_conformance`): the command line, then a quick exit.

    After a run the interpreter's own teardown frees every object one by one and collects them a last time,
    which cost up to 3 s of a 10 s default run for nothing anybody reads. So once the command is done, this
    does what that teardown does that matters (non-daemon threads joined, `atexit` handlers run, standard
    streams flushed) and ends the process with the command's exit code. Every file the suite writes is
    closed by then; an exception other than the command's exit takes the ordinary way out."""
    try:
        main()
        code: int = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:  # what the interpreter does with a non-integer exit code
            print(exc.code, file=sys.stderr)
            code = 1
    import atexit
    import threading

    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="where results.json and the reports go")
@click.option("--profile", "profiles", multiple=True, help="API profile to run (repeatable; default: every profile)")
@click.option("--role", type=click.Choice(["system", "app", "server", "all"]), default="all", show_default=True)
@click.option("--server-url", default=None, metavar="URL",
              help="SERVER role: check the upload server running at URL (loopback unless you mean otherwise; default: the bundled reference server)")
@click.option("--server-interop", default=None, metavar="V[,V...]",
              help="interop versions of the resumable-upload draft that server implements (3,5,6,7,8; default with --server-url: 8)")
@click.option("--assume", multiple=True, metavar="AMB-nn=READING", help="select an assumption reading (repeatable)")
@click.option("--adapter", default=None, metavar="MODULE:FACTORY", help="in-process implementation under test")
@click.option("--adapter-cmd", default=None, metavar="COMMAND", help="out-of-process implementation (JSON-RPC 2.0 on stdio)")
@click.option("--adapter-timeout", default=10.0, show_default=True, help="seconds an out-of-process adapter may take per call")
@click.option("--adapter-cpu", type=click.Choice(["shared", "any"]), default="shared", show_default=True,
              help="shared: run the harness and the adapter on one CPU (Linux; the protocol alternates, so this saves "
                   "a cross-CPU wake-up per message); any: leave scheduling to the OS (e.g. a multi-threaded adapter)")
@click.option("--field", "include_field", is_flag=True, help="also run @field observations (reported apart, never in the verdict)")
@click.option("--strict", is_flag=True, help="SHOULD failures fail the gate too")
@click.option("--require-practice", is_flag=True, help="recommended-practice failures fail the gate too")
@click.option("--patience", default="24h", show_default=True, metavar="DURATION",
              help="virtual time a check waits for what the digest only says happens eventually (e.g. 90m, 24h, 2d)")
@click.option("--waivers", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="YAML/JSON file of waivers (rule or scenario, reason, link, expiry)")
@click.option("--seed", default=0, show_default=True, help="seed recorded in the results")
@click.option("--allure/--no-allure", default=True, show_default=True, help="also write reports/allure-results/")
@click.option("--results-only", is_flag=True,
              help="write results.json alone (no junit.xml, report.html, summary.md, badge.json; `report` renders them "
                   "later), e.g. for shards and matrix runs")
@click.option("--quiet", is_flag=True, help="less output, for logs")
@click.option("--workers", default=None, metavar="N|auto",
              help="spread the scenario runs over N processes (pytest-xdist; auto: one per CPU); same verdict and outputs")
@click.option("--shard", default=None, metavar="K/N", help="run only the K-th of N deterministic slices (merge them with `merge`)")
@click.option("--features", "features", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="run the feature files of this directory instead of the bundled catalogue (e.g. reports/counterexamples)")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def run(report_dir: Path, profiles: tuple[str, ...], role: str, server_url: str | None, server_interop: str | None,
        assume: tuple[str, ...], adapter: str | None,
        adapter_cmd: str | None, adapter_timeout: float, adapter_cpu: str, include_field: bool, strict: bool,
        require_practice: bool, patience: str, waivers: Path | None, seed: int,
        allure: bool, results_only: bool, quiet: bool, workers: str | None, shard: str | None, features: Path | None,
        pytest_args: tuple[str, ...]) -> None:
    """Run the conformance suite (default: against the bundled reference, every profile).

    Arguments after the options go to pytest, e.g. `-k retry` to select scenarios by name.
    """
    from bru_conformance.assumptions import Assumptions
    from bru_conformance.profiles import INTEROP_VERSIONS, get_any_profile
    from bru_conformance.run.runner import RunOptions
    from bru_conformance.run.runner import run as run_suite

    try:
        for name in profiles:
            get_any_profile(name)
        if server_interop is not None:
            versions = [v.strip() for v in server_interop.split(",")]
            if not all(v.isdigit() and int(v) in INTEROP_VERSIONS for v in versions):
                raise ValueError(f"--server-interop takes interop versions among {INTEROP_VERSIONS}, not {server_interop!r}")
        if server_url is not None:
            from urllib.parse import urlsplit

            if urlsplit(server_url).scheme != "http" or not urlsplit(server_url).hostname:
                raise ValueError(f"--server-url takes an http:// URL (the probe speaks HTTP/1.1 in the clear), not {server_url!r}")
            if role == "all":
                role = "server"
        Assumptions.parse(list(assume))
        patience_seconds = parse_duration(patience)
        extra = list(pytest_args)
        if workers is not None:
            if workers != "auto" and not (workers.isdigit() and int(workers) >= 1):
                raise ValueError(f"--workers takes a positive number or auto, not {workers!r}")
            extra = ["-n", workers, *extra]
        if shard is not None:
            k, _, n = shard.partition("/")
            if not (k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
                raise ValueError(f"--shard takes K/N with 1 <= K <= N, not {shard!r}")
            extra = ["--bru-shard", shard, *extra]
        if waivers is not None:
            from bru_conformance import catalogue
            from bru_conformance.reporting import waivers as waiver_file

            waiver_file.load(waivers, catalogue.load())
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if adapter and adapter_cmd:
        raise click.UsageError("--adapter and --adapter-cmd exclude each other")
    _check_before_run(report_dir, features)
    outcome = run_suite(RunOptions(report_dir=report_dir, profiles=list(profiles), role=role, assume=list(assume),
                                   adapter=adapter, adapter_cmd=adapter_cmd, server_url=server_url, server_interop=server_interop,
                                   adapter_timeout=adapter_timeout,
                                   adapter_cpu=adapter_cpu, include_field=include_field, strict=strict, waivers=waivers, seed=seed, allure=allure,
                                   require_practice=require_practice, patience=patience_seconds, results_only=results_only,
                                   quiet=quiet, extra=extra, features=features))
    document = _this_runs_results(outcome)
    if document is None:
        if outcome.exit_code == 4:  # pytest's usage error: the plugin's one-line message was printed
            sys.exit(EXIT_HARNESS)  # (an adapter that could not start) or a bad pytest argument
        if outcome.exit_code in (0, 1, 5):
            click.echo(f"no scenario was executed (pytest exit {outcome.exit_code}); the previous reports in {report_dir} are "
                       "left as they were", err=True)
        else:
            click.echo(f"harness error: pytest exited {outcome.exit_code}; no results written, previous reports left as they were",
                       err=True)
        sys.exit(EXIT_HARNESS)
    print_summary(document, outcome.results_path.parent, outcome.seconds)
    sys.exit(document["gate"]["exit_code"])


def _this_runs_results(outcome) -> dict | None:  # type: ignore[no-untyped-def]
    """The results document this run wrote (its run id matches), or None: a results.json left by an earlier run
    is never taken for this one's."""
    if not outcome.results_path.exists():
        return None
    try:
        document = json.loads(outcome.results_path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return document if document.get("run", {}).get("run_id") == outcome.run_id else None


def _check_before_run(report_dir: Path, features: Path | None) -> None:
    """What can be known before the run: broken feature files (file:line: message) and a report directory that
    cannot be written are usage errors (exit 2), not findings after minutes of running."""
    from bru_conformance.catalogue import load
    from bru_conformance.resources import features_dir

    problems = [p for p in load(features.resolve() if features else features_dir()).problems
                if ".feature:" in p]  # parse errors name a file and line; other catalogue issues are the tests' business
    if problems:
        for problem in problems[:20]:
            click.echo(problem, err=True)
        sys.exit(EXIT_USAGE)
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        probe = report_dir / f".bru-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        click.echo(f"--report-dir {report_dir} cannot be written: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_USAGE)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """`90m`, `24h`, `2d`, `3600` (seconds): a positive duration in seconds."""
    value = text.strip().lower()
    factor = _UNITS.get(value[-1:])
    number = value[:-1] if factor else value
    try:
        seconds = float(number) * (factor or 1)
    except ValueError:
        raise ValueError(f"--patience takes a duration such as 90m, 24h or 2d, not {text!r}") from None
    if seconds <= 0:
        raise ValueError(f"--patience must be positive, not {text!r}")
    return seconds


def print_summary(document: dict, report_dir: Path, seconds: float | None = None) -> None:
    """The compact end-of-run table, the verdict, the gate and where the reports are."""
    from rich.console import Console
    from rich.table import Table

    from bru_conformance.reporting.reports import area_table

    console = Console(stderr=False, highlight=False, width=110)
    table = Table(title="conformance by area", title_justify="left")
    for column in ("area", "rules passed", "failed", "untested", "waived", "runs passed", "runs failed", "adapter errors"):
        table.add_column(column, justify="left" if column == "area" else "right")
    for a in area_table(document):
        r, sc = a["rules"], a["scenarios"]
        table.add_row(f"{a['area']} {a['name']}", str(r["passed"]), str(r["failed"] + r["error"]), str(r["untested"]),
                      str(r["waived"]), str(sc["passed"]), str(sc["failed"] + sc["error"]), str(sc["adapter-error"]))
    console.print(table)
    totals, gate = document["totals"], document["gate"]
    click.echo(f"verdict: {document['verdict']}  rules: {totals['rules']}  scenarios: {totals['scenarios']}")
    click.echo(f"gate: {'passed' if gate['passed'] else 'FAILED'}" + (f" ({'; '.join(gate['reasons'])})" if gate["reasons"] else ""))
    failures = [(r["id"], r["level"], s["name"], s["profile"], s["outcome"], s.get("message") or "")
                for r in document["rules"] if r.get("class", "conformance") == "conformance"
                for s in r["scenarios"] if s["outcome"] in ("failed", "error", "adapter-error") and s.get("kind") != "field"]
    for rule_id, level, name, profile, outcome, message in failures[:20]:  # a log names failures by rule
        click.echo(f"{outcome.upper()} {rule_id} [{level.upper()}] {name} [{profile}]: {message.splitlines()[0][:160] if message else ''}")
    if len(failures) > 20:
        click.echo(f"… and {len(failures) - 20} more failed scenario runs (report.html lists them all)")
    practice = document.get("practice")
    if practice and practice.get("judged"):
        click.echo(f"recommended practice: {practice['passed']}/{practice['judged']} passed"
                   + (f" (failed: {', '.join(practice['failed'])})" if practice["failed"] else ""))
    outputs = [name for name in ("results.json", "junit.xml", "report.html", "summary.md", "badge.json", "mutants.json")
               if (report_dir / name).exists()]
    if (report_dir / "allure-results").is_dir():
        outputs.append("allure-results/")
    click.echo(f"reports: {report_dir} ({', '.join(outputs)})")
    if seconds is not None:
        click.echo(f"wall {seconds:.2f} s for {totals['executed']} scenario runs")


@main.command()
@click.argument("parts", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"), show_default=True)
def merge(parts: tuple[Path, ...], report_dir: Path) -> None:
    """Fold the results.json of shards (`run --shard K/N`) into one document and render every report from it.

    Refuses parts of different suites, implementations, profiles, readings or gate options (exit 2).
    """
    from bru_conformance.reporting.reports import write_reports
    from bru_conformance.reporting.results import merge as merge_documents
    from bru_conformance.schemas import SchemaError, validate

    try:
        documents = [json.loads(p.read_text(encoding="utf-8")) for p in parts]
        for doc in documents:
            validate("results", doc)
        document = merge_documents(documents)
        path = write_reports(document, report_dir)
    except (ValueError, SchemaError) as exc:
        click.echo(str(exc) if str(exc).startswith("cannot merge") else f"cannot merge: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    print_summary(document, path.parent)
    sys.exit(document["gate"]["exit_code"])


@main.command()
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="where to write (default: beside RESULTS)")
@click.option("--allure-html", is_flag=True,
              help="also build the Allure HTML site (allure-report/) from the allure-results/ beside RESULTS: with `npx allure` "
                   "(Allure 3, needs Node.js) or an Allure 2 or 3 on PATH; exit 2 when there are no Allure results or no Allure, "
                   "3 when Allure fails")
def report(results: Path, report_dir: Path | None, allure_html: bool) -> None:
    """Re-render every report from a saved results.json (validated first)."""
    from bru_conformance.reporting.reports import rerender
    from bru_conformance.schemas import SchemaError

    try:
        path = rerender(results, report_dir)
    except (SchemaError, ValueError) as exc:
        click.echo(f"invalid results file: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    document = json.loads(path.read_text(encoding="utf-8"))
    print_summary(document, path.parent)
    if allure_html:
        from bru_conformance.reporting.allure import AllureError, build_html

        try:
            site = build_html(path.parent, results.parent / "allure-results")
        except AllureError as exc:
            click.echo(f"allure HTML site not built: {exc}", err=True)
            sys.exit(exc.exit_code)
        click.echo(f"allure HTML site: {site} (serve it with `npx allure open {site}`)")
    sys.exit(document["gate"]["exit_code"])


@main.command()
@click.option("--json", "as_json", is_flag=True, help="print the catalogue as JSON (schemas/catalogue.schema.json)")
def rules(as_json: bool) -> None:
    """Print the rule catalogue extracted from the feature files."""
    from bru_conformance.catalogue import load
    from bru_conformance.schemas import validate

    catalogue = load()
    if as_json:
        document = {"suite_version": __version__, "rules": [r.to_json() for r in catalogue.rules],
                    "problems": catalogue.problems}
        validate("catalogue", document)
        click.echo(json.dumps(document, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"bru-conformance {__version__}: {len(catalogue.rules)} rules")
    for column in ("ID", "level", "role", "profiles", "scen.", "title / untestable reason", "source"):
        table.add_column(column, overflow="fold")
    for rule in catalogue.rules:
        profiles = [p.name for p in rule.tags.profiles()]
        table.add_row(rule.id, rule.level, ",".join(rule.roles),
                      f"{profiles[0]}..{profiles[-1]}" if len(profiles) > 1 else ",".join(profiles),
                      str(len(rule.scenarios)),
                      rule.title + (f"\n[untestable] {rule.untestable_reason}" if rule.tags.untestable else ""),
                      "\n".join(s["url"] for s in rule.to_json()["sources"]))
    Console(width=200).print(table)
    for problem in catalogue.problems:
        click.echo(f"problem: {problem}", err=True)


@main.command("serve-reference")
@click.option("--role", type=click.Choice(["app", "system", "server"]), required=True)
@click.option("--mutant", default=None, metavar="NAME", help="serve this mutant of reference_impl.mutants instead (its role)")
@click.option("--port", default=0, show_default=True, help="server role: the loopback port (0: a free one, printed)")
@click.option("--interop", "interop", multiple=True, type=int, help="server role: an interop version to serve (repeatable; default all)")
@click.option("--max-size", default=None, type=int, help="server role: announce and enforce this max-size")
def serve_reference(role: str, mutant: str | None, port: int, interop: tuple[int, ...], max_size: int | None) -> None:
    """Serve the reference ROLE (or one of its mutants) over the adapter protocol on stdin/stdout; with
    `--role server`, run the reference upload server on 127.0.0.1 until interrupted (for trying a client)."""
    from bru_conformance.adapters.serve import serve

    if role == "server":
        from bru_conformance import reference

        serve_http = reference.module("server.__main__").main

        argv = ["--port", str(port), *(a for v in interop for a in ("--interop", str(v)))]
        if max_size is not None:
            argv += ["--max-size", str(max_size)]
        if mutant:
            variant = reference.module("mutants").get(mutant)
            if variant.role != "server":
                raise click.UsageError(f"mutant {mutant} is a {variant.role} mutant, not a server one")
            argv += [a for name, value in variant.cls.CONFIG.items() if name != "max_size"
                     for a in ("--fault", name if value is True else f"{name}={value}")]
        sys.exit(serve_http(argv))

    variant = None
    if mutant:
        from bru_conformance import reference

        try:
            variant = reference.module("mutants").get(mutant)
        except KeyError as exc:
            raise click.UsageError(str(exc)) from exc
        if variant.role != role:
            raise click.UsageError(f"mutant {mutant} is a {variant.role} mutant, not a {role} one")
    serve(role, None if variant is None else variant.cls)


@main.command("adapter-check")
@click.option("--adapter", default=None, metavar="MODULE:FACTORY", help="an in-process implementation")
@click.option("--adapter-cmd", default=None, metavar="COMMAND", help="an out-of-process implementation")
@click.option("--adapter-timeout", default=10.0, show_default=True)
def adapter_check(adapter: str | None, adapter_cmd: str | None, adapter_timeout: float) -> None:
    """Smoke-test an adapter before a full run: it loads (or starts and shakes hands), each role it provides
    gets a short session in each extension protocol of its profiles; a clear verdict per check."""
    from bru_conformance.adapters.check import check, check_in_process

    if bool(adapter) == bool(adapter_cmd):
        raise click.UsageError("give exactly one of --adapter and --adapter-cmd")
    ok = True
    for passed, line in (check_in_process(adapter) if adapter else check(adapter_cmd, adapter_timeout)):
        ok &= passed
        click.echo(f"{'ok  ' if passed else 'FAIL'} {line}")
    click.echo("adapter-check: " + ("the adapter speaks the protocol" if ok else "the adapter is broken; fix it before a full run"))
    sys.exit(EXIT_CONFORMANT if ok else EXIT_HARNESS)


@main.command()
def steps() -> None:
    """Print the step vocabulary: pattern, docstring, where it is defined."""
    from bru_conformance.catalogue.step_listing import step_definitions

    for step in step_definitions():
        click.echo(f"{step.kind:<5} {step.pattern}")
        if step.doc:
            click.echo(f"      {step.doc}")
        click.echo(f"      ({step.where})")


@main.command()
@click.option("--assets", default=100_000, show_default=True, help="library size")
@click.option("--job-limit", default=50, show_default=True)
@click.option("--profile", default="ios-27.0", show_default=True)
@click.option("--scaling", is_flag=True, help="run 10,000, 100,000 and 1,000,000 assets and print the wall-time ratios")
@click.option("--adapters", is_flag=True, help="time the whole suite in-process vs out-of-process (serve-reference)")
@click.option("--http", "http", is_flag=True,
              help="real HTTP on loopback: --uploads uploads of --size bytes to the reference server, and a resumption's cost")
@click.option("--uploads", default=1000, show_default=True, help="with --http: how many uploads")
@click.option("--size", default=1_000_000, show_default=True, help="with --http: bytes per upload")
def bench(assets: int, job_limit: int, profile: str, scaling: bool, adapters: bool, http: bool, uploads: int, size: int) -> None:
    """Benchmarks of the reference; each prints figures.

    Default: initial backup of an N-asset library by the reference APP on the reference SYSTEM (virtual time).
    """
    from bru_conformance import bench as b

    if http:
        from bru_conformance.bench.http import http_uploads

        lines = http_uploads(uploads, size)
    else:
        lines = b.suite_overhead() if adapters else b.scaling(job_limit=job_limit) if scaling else b.initial_backup(assets, job_limit, profile)
    for line in lines:
        click.echo(line)


@main.command()
@click.option("--adapter", default=None, metavar="MODULE:FACTORY", help="in-process implementation to explore (default: the reference)")
@click.option("--role", type=click.Choice(["system", "app", "all"]), default="all", show_default=True)
@click.option("--budget", type=click.IntRange(min=1), default=None,
              help=f"examples (random action sequences) per machine  [default: {EXPLORE_BUDGET}; with --bench: {BENCH_EXAMPLES}]")
@click.option("--steps", "steps_per_example", default=25, show_default=True, help="most actions in one example")
@click.option("--seed", default=0, show_default=True, help="seed of the exploration (same seed, same sequences)")
@click.option("--profile", "profiles", multiple=True, help="API profile(s) to explore (repeatable; default: all)")
@click.option("--assume", multiple=True, metavar="AMB-nn=READING", help="select an assumption reading (repeatable)")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"), show_default=True,
              help="counterexamples go to REPORT_DIR/counterexamples/<machine>-<seed>.feature")
@click.option("--bench", "as_bench", is_flag=True, help="print steps/s of the SYSTEM machine against the in-process reference")
@click.option("--adapter-cmd", default=None, metavar="COMMAND", help="out-of-process implementation to explore (JSON-RPC 2.0 on stdio)")
@click.option("--adapter-timeout", default=10.0, show_default=True, help="seconds an out-of-process adapter may take per call")
@click.option("--mutants", "against_mutants", is_flag=True,
              help="explore every mutant the invariants cover (of --role), each within its declared budget (reference_impl/mutants/explored.py)")
def explore(adapter: str | None, role: str, budget: int | None, steps_per_example: int, seed: int, profiles: tuple[str, ...],
            assume: tuple[str, ...], report_dir: Path, as_bench: bool, adapter_cmd: str | None, adapter_timeout: float,
            against_mutants: bool) -> None:
    """Stateful exploration: random action sequences against an adapter, shrunk to a replayable scenario.

    Exit 0 when no invariant failed, 1 when a counterexample was written, 3 on a harness error.
    With --mutants: exit 0 when every mutant declared in reach was found, 1 otherwise.
    """
    from bru_conformance.adapters import AdapterError
    from bru_conformance.profiles import get_profile
    from bru_conformance.proving import explore as ex

    if as_bench:
        for line in ex.bench(BENCH_EXAMPLES if budget is None else budget, seed):
            click.echo(line)
        return
    if against_mutants:
        sys.exit(_explore_mutants(seed, ("system", "app") if role == "all" else (role,)))
    if adapter and adapter_cmd:
        raise click.UsageError("--adapter and --adapter-cmd exclude each other")
    try:
        for name in profiles:
            get_profile(name)
        config = ex.make_config(adapter, list(profiles), list(assume), adapter_cmd, adapter_timeout)
    except AdapterError as exc:
        if not adapter_cmd:
            raise click.UsageError(str(exc)) from exc
        click.echo(f"harness error: {exc}", err=True)  # the adapter process failed, as `run` reports it
        sys.exit(EXIT_HARNESS)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    found = errors = False
    try:
        for machine in ex.roles_for(config, role):
            out = ex.explore(machine, config, budget=EXPLORE_BUDGET if budget is None else budget, seed=seed, steps_per_example=steps_per_example,
                             report_dir=report_dir)
            head = f"{machine}: {out.steps} steps in {out.seconds:.2f} s ({out.steps_per_second:.0f} steps/s)"
            if out.counterexample is not None:
                found = True
                click.echo(f"{head}: COUNTEREXAMPLE {out.counterexample.rule}: {out.counterexample.message}")
                click.echo(f"  written to {out.path}; replay: bru-conformance run --features {out.path.parent if out.path else '?'}"
                           + (f" {config.replay_option}" if config.plugged else "") + "".join(f" --assume {a}" for a in assume))
            elif out.error is not None:
                errors = True
                click.echo(f"{head}: harness error: {out.error}", err=True)
            else:
                click.echo(f"{head}: no invariant failed")
    finally:
        config.close()
    sys.exit(EXIT_NONCONFORMANT if found else EXIT_HARNESS if errors else EXIT_CONFORMANT)


def _explore_mutants(seed: int, roles: tuple[str, ...]) -> int:
    from bru_conformance import reference
    from bru_conformance.proving import explore as ex

    all_mutants, OUT_OF_REACH = reference.module("mutants").all_mutants, reference.module("mutants.explored").OUT_OF_REACH  # noqa: N806

    found = missed = 0
    started = time.perf_counter()
    for finding in ex.find_mutants(seed=seed, roles=roles):
        ce = finding.outcome.counterexample
        if ce is not None:
            found += 1
            click.echo(f"found   {finding.name} ({', '.join(finding.rules)}) within {finding.budget} examples: {ce.rule} "
                       f"({finding.outcome.seconds:.2f} s)")
        else:
            missed += 1
            click.echo(f"MISSED  {finding.name} ({', '.join(finding.rules)}) in {finding.budget} examples"
                       + (f": {finding.outcome.error}" if finding.outcome.error else ""))
    click.echo(f"{found} of {found + missed} mutants in the invariants' reach found, {missed} missed, in {time.perf_counter() - started:.1f} s; "
               f"{len(OUT_OF_REACH)} of {len(all_mutants())} out of reach (reasons: reference_impl/mutants/explored.py)")
    return EXIT_CONFORMANT if missed == 0 else EXIT_NONCONFORMANT


@main.command()
@click.option("--only", "only", multiple=True, metavar="NAME", help="run only this mutant (repeatable)")
@click.option("--profile", "profiles", multiple=True, help="profiles to run each mutant in (default: ios-26.1, ios-27.0, "
              "plus the ones a mutant needs)")
@click.option("--workers", default=2, show_default=True, help="mutants run in parallel")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="where mutants.json goes (and whose results.json gets the matrix, if present)")
@click.option("--side", type=click.Choice(["both", "mutants", "controls"]), default="both", show_default=True,
              help="run the mutants (must fail), the controls (must pass), or both")
def mutants(only: tuple[str, ...], profiles: tuple[str, ...], workers: int, report_dir: Path, side: str) -> None:
    """The two-sided matrix: the suite against deliberately broken variants (mutants) and deliberately
    different but compliant ones (controls).

    Exit 0 when every mutant is killed by the rule it targets and every control comes out conformant (or
    with warnings only on the SHOULD rules it declares it departs from); 1 otherwise. `--only NAME` takes
    mutant and control names alike.
    """
    from bru_conformance.proving import mutation

    try:
        exit_code = mutation.main(list(only), list(profiles), workers, report_dir, side)
    except (KeyError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
