"""The pytest plugin that turns the feature files into a conformance run.

* Tags become `bru` markers through pytest-bdd's `pytest_bdd_apply_tag`; an unknown tag is a collection
  error (the strict-markers idea applied to Gherkin).
* Each scenario is parametrized over the API profiles it applies to (its `@since`/`@until`/`@platform`
  tags intersected with `--bru-profile`), so one pytest session covers every profile.
* Scenarios are deselected when they check a role the run does not test, depend on an assumption
  reading not in force, or are `@field` observations without `--bru-field`.
* Every scenario outcome is collected with its rule, profile, failing step and trace excerpt, and
  `bru_conformance.results` writes the results document at the end of the session.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_bdd.scenario import scenario_wrapper_template_registry

from bru_conformance.adapters import load_implementation
from bru_conformance.assumptions import Assumptions
from bru_conformance.catalogue import AREAS, RULE_ID
from bru_conformance.contracts import Implementation
from bru_conformance.profiles import PROFILES, get_profile
from bru_conformance.tags import TagSet, parse_tag, parse_tags
from bru_conformance.world import World

RESULTS_KEY = pytest.StashKey["RunState"]()
_PROCESS = pytest.StashKey[Any]()


def pytest_unconfigure(config: pytest.Config) -> None:
    process = config.stash.get(_PROCESS, None)
    if process is not None:
        process.stop()


@dataclass
class ScenarioOutcome:
    nodeid: str
    rule: str
    scenario: str
    profile: str | None
    outcome: str = "passed"
    duration: float = 0.0
    failed_step: str | None = None
    message: str | None = None
    trace: list[dict[str, Any]] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)


@dataclass
class RunState:
    profiles: list[str]
    roles: tuple[str, ...]
    assumptions: Assumptions
    implementation: Implementation
    include_field: bool
    outcomes: dict[str, ScenarioOutcome] = field(default_factory=dict)
    started: float = field(default_factory=time.time)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bru-conformance")
    group.addoption("--bru-profile", action="append", default=[], help="API profile(s) to run (default: all)")
    group.addoption("--bru-role", choices=("system", "app", "all"), default="all")
    group.addoption("--bru-assume", action="append", default=[], help="AMB-nn=reading")
    group.addoption("--bru-adapter", default=None, help="package.module:factory of an in-process implementation")
    group.addoption("--bru-adapter-cmd", default=None, help="command of an out-of-process implementation (JSON-RPC on stdio)")
    group.addoption("--bru-adapter-timeout", type=float, default=10.0, help="seconds an adapter may take per call")
    group.addoption("--bru-field", action="store_true", help="also run @field observations")
    group.addoption("--bru-report-dir", default=None, help="write results.json here")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "bru(tag): a Gherkin tag of the conformance catalogue")
    command = config.getoption("--bru-adapter-cmd")
    if command:
        from bru_conformance.remote import remote_implementation

        impl, process = remote_implementation(command, config.getoption("--bru-adapter-timeout"))
        config.stash[_PROCESS] = process
    else:
        impl = load_implementation(config.getoption("--bru-adapter"))
    plugged = bool(command or config.getoption("--bru-adapter"))
    roles = impl.roles if plugged else ("system", "app")
    wanted = config.getoption("--bru-role")
    if wanted != "all":
        roles = tuple(r for r in roles if r == wanted)
    profiles = config.getoption("--bru-profile") or list(PROFILES)
    for name in profiles:
        get_profile(name)
    config.stash[RESULTS_KEY] = RunState(profiles, roles, Assumptions.parse(config.getoption("--bru-assume")),
                                         impl, config.getoption("--bru-field"))
    import steps

    for module in steps.MODULES:
        config.pluginmanager.import_plugin(module)


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_apply_tag(tag: str, function: Any) -> Any:
    parse_tag(tag, TagSet())  # raises TagError on anything outside the vocabulary
    pytest.mark.bru(tag)(function)
    return True


def _tags_of(node: Any) -> TagSet:
    return parse_tags(m.args[0] for m in node.iter_markers("bru") if m.args[0] != "not-applicable")


def _template(function: Any) -> Any:
    return scenario_wrapper_template_registry.get(function)


def rule_of(function: Any) -> tuple[str, str]:
    """(rule id, scenario name) of a bound scenario function."""
    template = _template(function)
    if template is None:
        return "?", getattr(function, "__name__", "?")
    match = RULE_ID.match(template.rule.name.strip()) if template.rule else None
    return (f"{match.group(1)}-{match.group(2)}" if match else "?"), template.name


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "bru_profile" not in metafunc.fixturenames:
        return
    state: RunState = metafunc.config.stash[RESULTS_KEY]
    applicable = {p.name for p in _tags_of(metafunc.definition).profiles()}
    declared = state.implementation.profiles
    params = [p if not declared or p in declared else
              pytest.param(p, marks=pytest.mark.skip(reason=f"unsupported: the implementation does not declare profile {p}"))
              for p in state.profiles if p in applicable]
    if not params:  # no selected profile has this API: not applicable, dropped at collection
        params = [pytest.param(None, marks=pytest.mark.bru("not-applicable"))]
    metafunc.parametrize("bru_profile", params, ids=[getattr(p, "values", [p])[0] or "n/a" for p in params], scope="function")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state: RunState = config.stash[RESULTS_KEY]
    keep, drop = [], []
    for item in items:
        rule, _ = rule_of(getattr(item, "obj", None))
        if rule != "?":  # `-k RET-01` or `-k retry` selects by rule ID or area name
            item.extra_keyword_matches.update({rule, rule[:3], AREAS.get(rule[:3], "")})
        if hasattr(item, "callspec") and item.callspec.params.get("bru_profile", "") is None:
            drop.append(item)
            continue
        tags = _tags_of(item)
        role = next(iter(tags.roles), None)
        if (role not in state.roles or tags.untestable or (tags.field_note and not state.include_field)
                or not tags.assumptions_hold(state.assumptions)):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def bru_profile(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", None) or "ios-27.0"


@pytest.fixture
def world(request: pytest.FixtureRequest, bru_profile: str) -> Iterator[World]:
    state: RunState = request.config.stash[RESULTS_KEY]
    role = next(iter(_tags_of(request.node).roles), "app")
    w = World(get_profile(bru_profile), state.assumptions, state.implementation, role)
    request.node.stash[_WORLD] = w
    yield w
    w.close()


_WORLD = pytest.StashKey[World]()
_STEP = pytest.StashKey[str]()


def pytest_bdd_before_step(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, step_func: Any) -> None:
    request.node.stash[_STEP] = f"{step.keyword} {step.name}"


def pytest_bdd_step_error(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                          step_func: Any, step_func_args: Any, exception: Exception) -> None:
    request.node.stash[_STEP] = f"{step.keyword} {step.name}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    state: RunState = item.config.stash[RESULTS_KEY]
    if not isinstance(item, pytest.Function) or "bru_profile" not in item.fixturenames:
        return report
    rule, name = rule_of(getattr(item, "obj", None))
    profile = item.callspec.params.get("bru_profile") if hasattr(item, "callspec") else None
    outcome = state.outcomes.setdefault(item.nodeid, ScenarioOutcome(item.nodeid, rule, name, profile))
    outcome.duration += report.duration
    if report.failed and outcome.outcome != "adapter-error":
        from bru_conformance.adapters import AdapterError

        adapter_fault = call.excinfo is not None and call.excinfo.errisinstance(AdapterError)
        outcome.outcome = "adapter-error" if adapter_fault else "failed" if report.when == "call" else "error"
        outcome.failed_step = item.stash.get(_STEP, None)
        outcome.message = str(call.excinfo.value) if call.excinfo else report.longreprtext[-2000:]
    elif report.skipped and report.when == "setup":
        reason = str(call.excinfo.value.msg if call.excinfo and hasattr(call.excinfo.value, "msg") else "")
        outcome.outcome = "unsupported" if reason.startswith("unsupported") else "skipped"
        outcome.message = reason or None
    if report.when == "teardown":
        world = item.stash.get(_WORLD, None)
        if world is not None:
            outcome.trace = world.trace.as_json(last=40)
        template = _template(getattr(item, "obj", None))
        if template is not None:
            outcome.steps = [f"{s.keyword} {s.name}" for s in template.steps]
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state: RunState | None = session.config.stash.get(RESULTS_KEY, None)
    report_dir = session.config.getoption("--bru-report-dir")
    if state is None or report_dir is None:
        return
    from bru_conformance.results import write_results

    write_results(state, report_dir)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state: RunState | None = config.stash.get(RESULTS_KEY, None)
    if not state or not state.outcomes:
        return
    from bru_conformance.results import area_summary_lines

    terminalreporter.section("conformance by area")
    for line in area_summary_lines(state):
        terminalreporter.write_line(line)
