"""bru-conformance as a pytest plugin (entry point `pytest11`): the options, and the suite on request.

Installing bru-conformance registers this module in every pytest session; it only adds the `--bru*`
options. With `--bru` it registers the conformance plugin (`bru_conformance.run.plugin`), so a team can run
the catalogue inside its own pytest setup: a test module that imports the bundled scenarios

    # tests/test_photokit_conformance.py
    from bru_conformance.suite.test_conformance import *  # noqa: F401,F403

and `pytest --bru --bru-adapter mypkg.adapter:factory --bru-report-dir reports tests/test_photokit_conformance.py`
writes the same results and reports as `bru-conformance run`. The team's other tests in that session are
left alone.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bru-conformance")
    group.addoption("--bru", action="store_true", help="run the PhotoKit Background Resource Upload conformance catalogue")
    group.addoption("--bru-profile", action="append", default=[], help="API profile(s) to run (default: all)")
    group.addoption("--bru-role", choices=("system", "app", "server", "all"), default="all")
    group.addoption("--bru-server-url", default=None,
                    help="base URL of a running upload server to check (the SERVER role; default: the bundled reference server)")
    group.addoption("--bru-server-interop", default=None,
                    help="interop versions that server implements, comma-separated (default with --bru-server-url: 8)")
    group.addoption("--bru-assume", action="append", default=[], help="AMB-nn=reading")
    group.addoption("--bru-adapter", default=None, help="package.module:factory of an in-process implementation")
    group.addoption("--bru-adapter-cmd", default=None, help="command of an out-of-process implementation (JSON-RPC on stdio)")
    group.addoption("--bru-adapter-timeout", type=float, default=10.0, help="seconds an adapter may take per call")
    group.addoption("--bru-adapter-cpu", choices=("shared", "any"), default="shared",
                    help="shared: harness and adapter run on one CPU (fast for the alternating protocol); any: no pinning")
    group.addoption("--bru-field", action="store_true", help="also run @field observations")
    group.addoption("--bru-report-dir", default=None, help="write results.json here")
    group.addoption("--bru-results-only", action="store_true", default=False,
                    help="write results.json alone, not the reports derived from it")
    group.addoption("--bru-strict", action="store_true", help="SHOULD failures fail the gate")
    group.addoption("--bru-progress", choices=("live", "off"), default="off", help="progress display")
    group.addoption("--bru-waivers", default=None, help="waivers file (YAML or JSON)")
    group.addoption("--bru-seed", type=int, default=0, help="seed recorded in the results (and used by exploration)")
    group.addoption("--bru-patience", type=float, default=24 * 3600.0,
                    help="virtual seconds a check waits for what the digest only says happens eventually (AMB-17 documented)")
    group.addoption("--bru-require-practice", action="store_true", help="recommended-practice failures fail the gate too")
    group.addoption("--bru-run-id", default="", help="a token recorded in results.json (the CLI checks it)")
    group.addoption("--bru-shard", default=None, metavar="K/N", help="run only the K-th of N deterministic slices of the scenario runs")



def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("--bru"):
        return
    import importlib

    for name in ("bru_conformance.run.plugin", "bru_conformance.run.heap"):  # the run, and its garbage collection
        if not config.pluginmanager.has_plugin(name):
            config.pluginmanager.register(importlib.import_module(name), name)
