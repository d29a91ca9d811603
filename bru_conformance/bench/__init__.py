"""Benchmark: initial backup of an N-asset library by the reference APP on the reference SYSTEM.

Virtual time drives the run (no sleeping); the figures are wall-clock seconds and peak resident memory
of this process, printed as `wall <s> s` and `peak RSS <n> MB` lines. The trace recorder is left out
so the figures measure the model, not the evidence keeping.

The package: this benchmark and `http` (uploads through the real HTTP path).

May import: model, scenario
"""

from __future__ import annotations

import gc
import itertools
import resource
import sys
import time
from collections.abc import Iterator

from bru_conformance.assumptions import Assumptions
from bru_conformance.contracts import AppAccount
from bru_conformance.profiles import get_profile
from bru_conformance.protocol import Asset, AssetResource, ProcessingResult


def _reference() -> tuple[type, type]:
    from bru_conformance import reference

    package = reference.module()
    return package.ReferenceApp, package.ReferenceSystem


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def initial_backup(assets: int, job_limit: int = 50, profile: str = "ios-27.0") -> Iterator[str]:
    ReferenceApp, ReferenceSystem = _reference()  # noqa: N806

    choice = str(job_limit)
    overrides = {"AMB-11": choice} if choice in ("50", "20", "5") else {}
    system = ReferenceSystem(get_profile(profile), Assumptions(overrides))
    system.queue.job_limit = job_limit
    setup_started = time.perf_counter()
    system.install_app()
    system.set_authorization(system.user_answer)
    system.add_assets(Asset(f"a{i}", (AssetResource(f"r{i}", f"a{i}"),)) for i in range(assets))
    gc.collect()
    gc.freeze()  # the library is long-lived data: keep the collector from rescanning it on every pass
    setup = time.perf_counter() - setup_started
    started = time.perf_counter()
    app = ReferenceApp(system, system.profile, AppAccount())
    system.attach_app(app)
    if not app.turn_on_backup():
        raise RuntimeError("the reference app could not enable the extension")
    horizon = 0.0
    while True:
        horizon += 3600.0
        system.advance(3600.0)
        calls = system.processing_calls()
        if calls and calls[-1].result is ProcessingResult.COMPLETED and not system.in_flight():
            break
        if horizon > 3600.0 * 24 * 365:
            raise RuntimeError("the backup did not finish within a virtual year")
    wall = time.perf_counter() - started
    uploaded = len(app.uploaded_resources())
    stored = sum(system.server_received().values())
    if uploaded != assets or stored != assets:
        raise RuntimeError(f"backup incomplete: {uploaded} recorded, {stored} stored of {assets}")
    yield f"assets {assets} jobLimit {job_limit} profile {profile}"
    yield f"processing calls {len(system.processing_calls())}, virtual time {system.now() / 3600:.1f} h"
    yield f"library setup {setup:.2f} s (not counted)"
    yield f"wall {wall:.2f} s"
    yield f"assets/s {assets / wall:,.0f}"
    yield f"peak RSS {peak_rss_mb():.0f} MB"
    gc.unfreeze()


def _backup(assets: int, job_limit: int, profile: str = "ios-27.0") -> tuple[object, object]:
    """An initial backup of `assets` one-photo assets, run to its end; (system, app)."""
    ReferenceApp, ReferenceSystem = _reference()  # noqa: N806

    system = ReferenceSystem(get_profile(profile), Assumptions())
    system.queue.job_limit = job_limit
    system.install_app()
    system.set_authorization(system.user_answer)
    system.add_assets(Asset(f"a{i}", (AssetResource(f"r{i}", f"a{i}"),)) for i in range(assets))
    app = ReferenceApp(system, system.profile, AppAccount())
    system.attach_app(app)
    app.turn_on_backup()
    while not (system.processing_calls() and system.processing_calls()[-1].result is ProcessingResult.COMPLETED
               and not system.in_flight()):
        system.advance(3600.0)
    return system, app


def count_work(assets: int, job_limit: int = 5, profile: str = "ios-27.0") -> int:
    """Work done by an initial backup, counted as the interpreter's line events (every line run, every loop and
    comprehension iteration) through a trace hook, not a clock: the same count on any machine, however busy, so
    a quadratic path shows as a ratio, deterministically. A small jobLimit makes many processing calls, where a
    per-call scan of the library would show."""
    events = 0

    def count(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal events
        events += 1
        return count

    sys.settrace(count)
    try:
        _backup(assets, job_limit, profile)
    finally:
        sys.settrace(None)
    return events


_SCALING_TURNS = 3  # turns of each pair up to ...
_SCALING_TURNS_UP_TO = 100_000  # ... this large size; beyond it (1M against ten 100k runs: 90 s a turn), one


def _wall(lines: list[str]) -> float:
    return next(float(line.split()[1]) for line in lines if line.startswith("wall "))


def scaling(sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000), job_limit: int = 50) -> Iterator[str]:
    """The wall-time ratio of each size to the one before (linear: the size ratio), all in one process after a
    warm-up run; peak RSS is the largest size's.

    Each ratio compares equal work: one run of the large size against as many runs of the small one as make
    the same number of assets, taken in turns, and the best turn of each kept. Timed alone, a 0.3 s run is
    mostly the neighbours' noise, and a best of five short runs against a best of two long ones picks the
    short side's luck more often: both bias the ratio, the second always upwards (measured: 100k/10k 11.8 to
    13.9 on unchanged code, the spread of the machine, not of the reference)."""
    list(initial_backup(1_000, job_limit))
    for small, large in itertools.pairwise(sizes):
        if large <= small or large % small:
            raise ValueError(f"scaling compares sizes that are multiples of the one before, ascending: {sizes}")
        k = large // small
        turns = _SCALING_TURNS if large <= _SCALING_TURNS_UP_TO else 1
        best_small = best_large = float("inf")
        for _ in range(turns):
            best_small = min(best_small, sum(_wall(list(initial_backup(small, job_limit))) for _ in range(k)))
            lines = list(initial_backup(large, job_limit))
            best_large = min(best_large, _wall(lines))
        each = best_small / k
        yield (f"{small:,} assets: {k} runs in {best_small:.2f} s, {each:.3f} s each ({small / each:,.0f} assets/s), "
               f"best of {turns} turn{'s' if turns > 1 else ''}")
        yield f"{large:,} assets: wall {best_large:.2f} s ({large / best_large:,.0f} assets/s), best of {turns} turn{'s' if turns > 1 else ''}"
        yield f"ratio {large}/{small} wall {best_large / each:.1f} (linear would be {k})"
    yield f"peak RSS {peak_rss_mb():.0f} MB"


def suite_overhead(extra: tuple[str, ...] = ()) -> Iterator[str]:
    """Wall time of the whole suite against the reference, in-process vs out-of-process, per role.

    Measured twice: as `bru-conformance run` runs by default (with Allure output, the same cost on both
    sides), and with `--no-allure`, where the protocol's own cost is the largest share.
    """
    import subprocess
    import tempfile

    def timed(*args: str) -> float:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "bru_conformance", "run", "--quiet", "--report-dir", tmp, *args, *extra],
                                  capture_output=True, text=True)
            wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(f"run {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        return wall

    for label, options in (("default run", ()), ("--no-allure", ("--no-allure",))):
        totals = {"in": 0.0, "out": 0.0}
        for role in ("app", "system"):
            serve = f"{sys.executable} -m bru_conformance serve-reference --role {role}"
            inside = timed("--role", role, *options)
            outside = timed("--role", role, "--adapter-cmd", serve, *options)
            totals["in"] += inside
            totals["out"] += outside
            yield f"{label}, {role}: in-process wall {inside:.2f} s, out-of-process wall {outside:.2f} s, ratio {outside / inside:.2f}"
        yield (f"{label}, suite: in-process wall {totals['in']:.2f} s, out-of-process wall {totals['out']:.2f} s, "
               f"ratio {totals['out'] / totals['in']:.2f}")
