"""The pytest plugin that turns the feature files into a conformance run.

It is registered by `bru_conformance.run.pytest_entry` (which owns the command-line options) when a session
asks for the suite (`--bru`, as `bru-conformance run` does), so installing the package changes nothing in
a project's other pytest sessions.

* Tags become `bru` markers through pytest-bdd's `pytest_bdd_apply_tag`; an unknown tag is a collection
  error (the strict-markers idea applied to Gherkin).
* Each scenario is parametrized over the API profiles it applies to (its `@since`/`@until`/`@platform`
  tags intersected with `--bru-profile`), so one pytest session covers every profile.
* Scenarios are deselected when they check a role the run does not test, depend on an assumption
  reading not in force, or are `@field` observations without `--bru-field`.
* Every scenario outcome is collected with its rule, profile, failing step and trace excerpt, and
  `bru_conformance.reporting.results` writes the results document at the end of the session.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytest_bdd.scenario import scenario_wrapper_template_registry

from bru_conformance.adapters import load_implementation
from bru_conformance.assumptions import Assumptions
from bru_conformance.catalogue import AREAS, RULE_ID
from bru_conformance.catalogue.tags import TagSet, parse_tag, parse_tags
from bru_conformance.contracts import Implementation
from bru_conformance.profiles import INTEROP_PROFILES, PROFILES, get_any_profile, get_profile
from bru_conformance.reporting.outcomes import RunState, ScenarioOutcome
from bru_conformance.scenario.world import NOT_APPLICABLE, World

RESULTS_KEY = pytest.StashKey["RunState"]()
_PROCESS = pytest.StashKey[Any]()


_SERVER = pytest.StashKey[Any]()


@pytest.hookimpl(trylast=True)  # after allure-pytest-bdd's end of the session
def pytest_unconfigure(config: pytest.Config) -> None:
    from bru_conformance.reporting import allure

    try:
        allure.finish_writing()  # every Allure result file made before anyone reads the directory
    finally:  # and the adapter and the server stopped even if that failed
        process = config.stash.get(_PROCESS, None)
        if process is not None:
            process.close()
        server = config.stash.get(_SERVER, None)
        if server is not None:
            server[0].close()


def server_url(config: pytest.Config) -> str:
    """The base URL of the SERVER under test, starting it (once per session) if the implementation runs it."""
    if _SERVER not in config.stash:
        from contextlib import ExitStack

        state: RunState = config.stash[RESULTS_KEY]
        factory = state.implementation.server
        if factory is None:
            raise pytest.UsageError("ADAPTER: the implementation under test has no SERVER role")
        stack = ExitStack()
        try:
            url = stack.enter_context(factory())
        except Exception as exc:
            raise RuntimeError(f"the SERVER under test could not start: {type(exc).__name__}: {exc}") from exc
        config.stash[_SERVER] = (stack, url.rstrip("/"))
    return config.stash[_SERVER][1]


#: (step type, step text) -> the step definitions (pytest-bdd's contexts, by id, each held so that its id stays
#: its own) whose type and parser match it. Independent of any session: the step definitions live as long as
#: the process (forked runs inherit what the parent computed, see `warm_step_matches`). Cleared when the
#: definitions change (a team's own step modules): pytest-bdd's registry is a weak dictionary, so its size and
#: its newest entry tell.
_MATCHES: dict[tuple[str, str], dict[int, Any]] = {}
_MATCHES_OVER: list[Any] = [None]


def _matching(step_type: str, text: str, registry: Any) -> dict[int, Any]:
    data = getattr(registry, "data", registry)
    fingerprint = (len(data), id(next(reversed(data), None)))
    if _MATCHES_OVER[0] != fingerprint:
        _MATCHES.clear()
        _MATCHES_OVER[0] = fingerprint
    key = (step_type, text)
    found = _MATCHES.get(key)
    if found is None:
        found = _MATCHES[key] = {id(c): c for c in registry.values()
                                 if (c.type is None or c.type == step_type) and c.parser.is_matching(text)}
    return found


def warm_step_matches(features: Any) -> int:
    """Match every step line of `features` (each Outline row rendered) once, ahead of any session: what a forked
    run would otherwise do again in every child. Returns how many distinct step lines there are."""
    import importlib

    registry = importlib.import_module("pytest_bdd.scenario").step_function_context_registry
    for feature in features:
        for template in feature.scenarios.values():
            rows = [row for examples in template.examples for row in examples.as_contexts()] or [{}]
            for row in rows:
                for step in template.render(row).steps:
                    _matching(step.type, step.name, registry)
    return len(_MATCHES)


def _memoize_step_lookup() -> None:
    """pytest-bdd 9 asks pytest, for every step line, which definition of *every* fixture name is visible to
    the scenario (most of a run's time). The step definitions are plugins, visible alike to every scenario of
    our one module and fixed for the session: list them once per session and module, and per distinct step line
    keep those whose parser matches (same definitions, same order, same type and parser checks as pytest-bdd's
    own lookup). The caches of a session live on its fixture manager, so no session sees another's."""
    import importlib

    bdd_scenario = importlib.import_module("pytest_bdd.scenario")  # the package re-exports a function of that name

    if getattr(bdd_scenario.find_fixturedefs_for_step, "_bru_memo", False):
        return
    from pytest_bdd.compat import get_fixture_names, getfixturedefs

    registry = bdd_scenario.step_function_context_registry

    def caches(fixturemanager: Any) -> tuple[dict[Any, dict[int, list[tuple[int, Any]]]], dict[tuple[Any, ...], list[Any]], dict[tuple[Any, ...], Any]]:
        """The session's visible definitions per module, matching definitions and chosen context per step line."""
        found = getattr(fixturemanager, "_bru_step_caches", None)
        if found is None:
            found = ({}, {}, {})
            fixturemanager._bru_step_caches = found
        return found

    def step_defs(fixturemanager: Any, node: Any) -> dict[int, list[tuple[int, Any]]]:
        """The visible definitions, by their context's id, each with its place in pytest's order."""
        visible = caches(fixturemanager)[0]
        module = getattr(node, "module", None)
        if module not in visible:
            by_context: dict[int, list[tuple[int, Any]]] = {}
            place = 0
            for name in get_fixture_names(fixturemanager=fixturemanager):
                for fixturedef in getfixturedefs(fixturemanager, name, node) or []:
                    if fixturedef.func in registry:
                        by_context.setdefault(id(registry[fixturedef.func]), []).append((place, fixturedef))
                        place += 1
            visible[module] = by_context
        return visible[module]

    def find(step: Any, fixturemanager: Any, node: Any) -> list[Any]:
        """The visible definitions whose parser matches the step line, in pytest's order: looked up by the few
        matching contexts, not by a walk of every visible definition per distinct line (7 % of a control run)."""
        memo = caches(fixturemanager)[1]
        key = (step.type, step.name, getattr(node, "module", None))
        if key not in memo:
            by_context = step_defs(fixturemanager, node)
            found = sorted(entry for context in _matching(step.type, step.name, registry) for entry in by_context.get(context, ()))
            memo[key] = [fixturedef for _, fixturedef in found]
        return memo[key]

    find._bru_memo = True  # type: ignore[attr-defined]
    bdd_scenario.find_fixturedefs_for_step = find

    def get_step_function(request: Any, step: Any) -> Any:
        """pytest-bdd injects the matching definitions as a temporary fixture and asks pytest for its value, which
        is the definition's context, from the last of them in scope order (the closest scope wins); the same
        definition, taken directly (a tenth of a run's time went to the detour), and once per step line."""
        chosen = caches(request._fixturemanager)[2]
        key = (step.type, step.name, getattr(request.node, "module", None))
        if key not in chosen:
            candidates = sorted(find(step, request._fixturemanager, request.node),
                                key=lambda fixturedef: list(bdd_scenario.iterparentnodeids(fixturedef.baseid)))
            chosen[key] = registry[candidates[-1].func] if candidates else None
        return chosen[key]

    bdd_scenario.get_step_function = get_step_function
    # pytest-bdd also computes each step function's signature twice per step it runs; a signature is immutable
    # and the step functions live for the run, so one per function serves
    import functools
    import inspect

    signature = functools.cache(inspect.signature)
    for module in (bdd_scenario, importlib.import_module("pytest_bdd.utils")):
        if getattr(module, "signature", None) is inspect.signature:
            module.signature = signature


def pytest_configure(config: pytest.Config) -> None:
    _memoize_step_lookup()
    from bru_conformance.reporting import allure

    if allure.active(config):
        allure.faster_writer()
        allure.leaner_steps()
    config.addinivalue_line("markers", "bru(tag): a Gherkin tag of the conformance catalogue")
    command = config.getoption("--bru-adapter-cmd")
    try:
        if command and _is_xdist_controller(config):  # the workers start their own adapters and report its identity
            impl = Implementation(name="(out-of-process adapter)", version="", profiles=())
        elif command:
            from bru_conformance.adapters.remote import remote_implementation

            impl, process = remote_implementation(command, config.getoption("--bru-adapter-timeout"), config.getoption("--bru-adapter-cpu"))
            config.stash[_PROCESS] = process
        else:
            impl = load_implementation(config.getoption("--bru-adapter"))
        impl = _with_server_url(config, impl)
    except Exception as exc:  # one clear line instead of an INTERNALERROR traceback
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise pytest.UsageError(f"ADAPTER: the implementation under test could not start: {type(exc).__name__}: {first}") from exc
    plugged = bool(command or config.getoption("--bru-adapter") or config.getoption("--bru-server-url"))
    roles = impl.roles if plugged else ("system", "app", "server")
    wanted = config.getoption("--bru-role")
    if wanted != "all":
        roles = tuple(r for r in roles if r == wanted)
    profiles = config.getoption("--bru-profile") or [*PROFILES, *INTEROP_PROFILES]
    for name in profiles:
        get_any_profile(name)
    options: dict[str, Any] = {}
    for flag, name in (("--adapter", "--bru-adapter"), ("--adapter-cmd", "--bru-adapter-cmd"), ("--field", "--bru-field"),
                       ("--strict", "--bru-strict"), ("--waivers", "--bru-waivers")):
        if config.getoption(name):
            options[flag] = config.getoption(name)
    if config.option.keyword:
        options["-k"] = config.option.keyword
    waivers = []
    if config.getoption("--bru-waivers"):
        from pathlib import Path

        from bru_conformance import catalogue
        from bru_conformance.reporting import waivers as waiver_file

        waivers = waiver_file.load(Path(config.getoption("--bru-waivers")), catalogue.load())
    if config.getoption("--bru-patience") != 24 * 3600.0:
        options["--patience"] = config.getoption("--bru-patience")
    if config.getoption("--bru-require-practice"):
        options["--require-practice"] = True
    config.stash[RESULTS_KEY] = RunState(profiles, roles, Assumptions.parse(config.getoption("--bru-assume")),
                                         impl, config.getoption("--bru-field"), config.getoption("--bru-strict"),
                                         config.getoption("--bru-seed"), waivers, options,
                                         patience=config.getoption("--bru-patience"),
                                         require_practice=config.getoption("--bru-require-practice"),
                                         run_id=config.getoption("--bru-run-id"), shard=config.getoption("--bru-shard"))
    from bru_conformance import reference

    for module in reference.steps().MODULES:
        config.pluginmanager.import_plugin(module)


def _with_server_url(config: pytest.Config, impl: Implementation) -> Implementation:
    """`--bru-server-url`: the SERVER role is a server already running there (with the interop versions given)."""
    import contextlib
    import dataclasses

    url = config.getoption("--bru-server-url")
    interop = config.getoption("--bru-server-interop")
    versions = tuple(int(v) for v in interop.split(",")) if interop else None
    if url:
        return dataclasses.replace(impl, server=lambda: contextlib.nullcontext(url), server_interop=versions or (8,))
    if versions is not None:
        return dataclasses.replace(impl, server_interop=versions)
    return impl


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
    if "bru_profile" not in metafunc.fixturenames or _template(metafunc.function) is None:
        return  # not a scenario of the catalogue (a team's own tests in the same session are left alone)
    state: RunState = metafunc.config.stash[RESULTS_KEY]
    tags = _tags_of(metafunc.definition)
    applicable = {p.name for p in tags.profiles()}
    if "server" in tags.roles:  # SERVER scenarios run per interop version the server declares
        declared = tuple(f"interop-{v}" for v in state.implementation.server_interop)
        why = "the server does not declare interop version"
    else:
        declared, why = state.implementation.profiles, "the implementation does not declare profile"
    params = [p if not declared or p in declared else
              pytest.param(p, marks=pytest.mark.skip(reason=f"unsupported: {why} {p}"))
              for p in state.profiles if p in applicable]
    if not params:  # no selected profile has this API: not applicable, dropped at collection
        params = [pytest.param(None, marks=pytest.mark.bru("not-applicable"))]
    metafunc.parametrize("bru_profile", params, ids=[getattr(p, "values", [p])[0] or "n/a" for p in params], scope="function")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state: RunState = config.stash[RESULTS_KEY]
    keep, drop = [], []
    for item in items:
        if _template(getattr(item, "obj", None)) is None:
            keep.append(item)  # a team's own test beside the suite: not ours to select
            continue
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
    shard = config.getoption("--bru-shard")
    if shard:
        import zlib

        k, n = (int(x) for x in shard.split("/"))
        keep, out = [i for i in keep if zlib.crc32(i.nodeid.encode()) % n == k - 1], [i for i in keep if zlib.crc32(i.nodeid.encode()) % n != k - 1]
        drop += out
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def bru_profile(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", None) or "ios-27.0"


@pytest.fixture
def world(request: pytest.FixtureRequest, bru_profile: str) -> Iterator[World]:
    state: RunState = request.config.stash[RESULTS_KEY]
    tags = _tags_of(request.node)
    role = next(iter(tags.roles), "app")
    if role == "server":
        from bru_conformance.scenario.server_world import ServerWorld

        w: Any = ServerWorld(server_url(request.config), INTEROP_PROFILES[bru_profile], state.assumptions)
    else:
        w = World(get_profile(bru_profile), state.assumptions, state.implementation, role, patience=state.patience,
                  readings=tags.world)
    request.node.stash[_WORLD] = w
    yield w
    w.close()


_WORLD = pytest.StashKey[World]()


def _world_at_hand(request: pytest.FixtureRequest) -> None:
    """pytest-bdd asks pytest for the `world` fixture before every step. Once made, pytest answers from its cache,
    but only after walking the fixture's own arguments again (and making a new definition of `request` each
    time): 7 % of a SYSTEM run's time (profiled). The scenario's request keeps what pytest answered the first time
    (whatever fixture gave it, a team's own override included) and gives that again while the scenario's world
    is alive; every other name, the first `world`, and any after the world's teardown still go to pytest."""
    ask, stash = request.getfixturevalue, request.node.stash

    def getfixturevalue(argname: str) -> Any:
        if argname != "world":
            return ask(argname)
        if _ANSWERED in stash and _WORLD in stash:
            return stash[_ANSWERED]
        stash[_ANSWERED] = answer = ask(argname)
        return answer

    request.getfixturevalue = getfixturevalue  # type: ignore[method-assign]


_ANSWERED = pytest.StashKey[Any]()  # what pytest answered for `world`; dropped with the world at teardown


_STEP = pytest.StashKey[str]()
_STEP_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(trylast=True)  # after allure-pytest-bdd has opened the test it labels
def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    from bru_conformance.reporting import allure

    _world_at_hand(request)
    if not allure.active(request.config):
        return
    rule_id, _ = rule_of(getattr(request.node, "obj", None))
    rule = _catalogue().get(rule_id)
    if rule is not None:
        allure.label_scenario(rule, request.node.callspec.params.get("bru_profile") if hasattr(request.node, "callspec") else None)


@pytest.hookimpl(tryfirst=True)  # before allure-pytest-bdd closes the test the trace is attached to
def pytest_bdd_after_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    from bru_conformance.reporting import allure

    world = request.node.stash.get(_WORLD, None)
    # evidence where a verdict needs explaining, as in results.json: a passing run's trace is not attached
    if world is not None and request.node.stash.get(_STEP_FAILED, False) and allure.active(request.config):
        allure.attach_trace(world.trace.as_json(last=40))


_CATALOGUE: dict[str, Any] = {}


def _catalogue() -> dict[str, Any]:
    if not _CATALOGUE:
        from bru_conformance.catalogue import load

        _CATALOGUE.update(load().by_id())
    return _CATALOGUE


def pytest_bdd_before_step(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, step_func: Any) -> None:
    request.node.stash[_STEP] = f"{step.keyword} {step.name}"


def pytest_bdd_after_step(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, step_func: Any,
                          step_func_args: Any) -> None:
    """Work the harness scripted inside a processing call ran inside the SYSTEM, which may take its failure for
    an extension crash: surface it here, as the harness error it is."""
    world = request.node.stash.get(_WORLD, None)
    if world is not None and world.harness_failure is not None:
        failure, world.harness_failure = world.harness_failure, None
        raise RuntimeError(f"the harness's scripted work inside a processing call failed: {failure!r}") from failure


def pytest_bdd_step_error(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                          step_func: Any, step_func_args: Any, exception: Exception) -> None:
    request.node.stash[_STEP] = f"{step.keyword} {step.name}"
    request.node.stash[_STEP_FAILED] = not getattr(exception, "msg", "").startswith(("not-applicable", "unsupported"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.failed:  # the console is a log too: no secret in a failure text
        from bru_conformance.scenario.redact import redact_text

        report.longrepr = redact_text(report.longreprtext)
    state: RunState = item.config.stash[RESULTS_KEY]
    if not isinstance(item, pytest.Function) or "bru_profile" not in item.fixturenames:
        return report
    rule, name = rule_of(getattr(item, "obj", None))
    profile = item.callspec.params.get("bru_profile") if hasattr(item, "callspec") else None
    if item.nodeid not in state.outcomes:
        tags = _tags_of(item)
        rendered, _ = _rendered(item)
        state.outcomes[item.nodeid] = ScenarioOutcome(item.nodeid, rule, rendered or name, profile, readings=tags.readings,
                                                      kind="field" if tags.field_note else "practice" if tags.practice else "conformance",
                                                      outline=name)
    outcome = state.outcomes[item.nodeid]
    outcome.duration += report.duration
    if report.when == "call" and report.passed and outcome.outcome == "incomplete":
        outcome.outcome = "passed"
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
    elif report.skipped and report.when == "call":  # a step found the rule does not apply to what happened
        reason = str(call.excinfo.value.msg if call.excinfo and hasattr(call.excinfo.value, "msg") else "")
        outcome.outcome = ("not-applicable" if reason.startswith(NOT_APPLICABLE) else
                           "unsupported" if reason.startswith("unsupported") else "skipped")
        outcome.failed_step = item.stash.get(_STEP, None)
        outcome.message = reason.removeprefix(NOT_APPLICABLE).strip(" :") or None
    if report.when == "teardown":
        world = item.stash.get(_WORLD, None)
        if world is not None:
            del item.stash[_WORLD]  # its evidence is taken here; the item must not keep the world alive
            if _ANSWERED in item.stash:
                del item.stash[_ANSWERED]
            outcome.notes = list(world.notes)
            if outcome.outcome not in ("passed", "incomplete"):  # evidence where a verdict needs explaining
                outcome.trace = world.trace.as_json(last=40)
        _, steps = _rendered(item)
        if steps is not None:
            outcome.steps = steps
    return report


def _rendered(item: pytest.Item) -> tuple[str | None, list[str] | None]:
    """The scenario's name and steps with an Outline's example row filled in (`<state>` -> `registered`); a row
    whose values the name does not show gets them appended, so every scenario run has a name of its own."""
    template = _template(getattr(item, "obj", None))
    if template is None:
        return None, None
    example = item.callspec.params.get("_pytest_bdd_example") if hasattr(item, "callspec") else None
    if not example:
        return template.name, [f"{s.keyword} {s.name}" for s in template.steps]
    scenario = template.render(example)
    name = scenario.name
    hidden = {k: v for k, v in example.items() if f"<{k}>" not in template.name}
    if hidden:
        name += " (" + ", ".join(f"{k}: {v}" for k, v in hidden.items()) + ")"
    return name, [f"{s.keyword} {s.name}" for s in scenario.steps]


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_xdist_controller(config: pytest.Config) -> bool:
    return not _is_xdist_worker(config) and bool(getattr(config.option, "numprocesses", None)) \
        and getattr(config.option, "dist", "no") != "no"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    progress = session.config.stash.get(_PROGRESS, None)
    if progress is not None:
        progress.stop()
    state: RunState | None = session.config.stash.get(RESULTS_KEY, None)
    report_dir = session.config.getoption("--bru-report-dir")
    if state is None or report_dir is None:
        return
    if _is_xdist_worker(session.config):  # the controller merges every worker's outcomes and writes the one document
        session.config.workeroutput["bru"] = _worker_output(state)  # type: ignore[attr-defined]
        return
    from bru_conformance.reporting.results import write_results

    write_results(state, report_dir, bool(session.config.getoption("--bru-results-only")))


def _worker_output(state: RunState) -> str:
    import json
    from dataclasses import asdict

    impl = state.implementation
    return json.dumps({"outcomes": [asdict(o) for o in state.outcomes.values()], "interrupted": state.interrupted,
                       "implementation": {"name": impl.name, "version": impl.version, "roles": list(state.roles),
                                          "profiles": list(impl.profiles)}})


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: a worker finished; fold its scenario outcomes into the controller's run."""
    config = node.config
    state: RunState | None = config.stash.get(RESULTS_KEY, None)
    data = getattr(node, "workeroutput", {}).get("bru")
    if state is None:
        return
    if data is None:  # a worker that died reports nothing: its scenario runs are missing, the run is incomplete
        state.interrupted = True
        return
    import json

    payload = json.loads(data)
    for item in payload["outcomes"]:
        state.outcomes[item["nodeid"]] = ScenarioOutcome(**item)
    state.interrupted |= payload["interrupted"]
    worker = payload["implementation"]
    if state.implementation.version == "" and worker["name"]:
        state.implementation = Implementation(name=worker["name"], version=worker["version"], profiles=tuple(worker["profiles"]))
        state.roles = tuple(worker["roles"])


def pytest_keyboard_interrupt(excinfo: Any) -> None:
    """Ctrl-C, or SIGTERM (the runner turns it into the same): the run has no verdict (`incomplete`, exit 130)."""
    config = _CONFIG.get("config")
    state = config.stash.get(RESULTS_KEY, None) if config else None
    if state is not None:
        state.interrupted = True


class Progress:
    """Scenarios done / total, the current area and failures so far: a live bar on a terminal, one
    line per area in a log, nothing with --quiet."""

    def __init__(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        self.failures: list[str] = []
        self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 transient=True)
        self._task = self._bar.add_task("starting", total=total)
        self._bar.start()

    def advance(self, area: str, failure: str | None) -> None:
        if failure:
            self.failures.append(failure)
            self._bar.console.print(f"[red]FAILED[/red] {failure}", markup=True, highlight=False)
        self._bar.update(self._task, advance=1, description=f"{area:<16} failures so far: {len(self.failures)}")

    def stop(self) -> None:
        self._bar.stop()


_PROGRESS = pytest.StashKey[Progress]()


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.getoption("--bru-progress") == "live" and session.items:
        session.config.stash[_PROGRESS] = Progress(len(session.items))


def pytest_collectreport(report: pytest.CollectReport) -> None:
    config = _CONFIG.get("config")
    if report.failed and config is not None and config.getoption("--bru-progress") == "live":
        print(f"collection error in {report.nodeid}:\n{report.longreprtext}", flush=True)  # no terminal plugin here


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    config = _CONFIG.get("config")
    progress = config.stash.get(_PROGRESS, None) if config else None
    if progress is None or report.when != "teardown":
        return
    state: RunState = config.stash[RESULTS_KEY]
    outcome = state.outcomes.get(report.nodeid)
    area = f"{outcome.rule[:3]} {AREAS.get(outcome.rule[:3], '')}" if outcome else ""
    failed = outcome is not None and outcome.outcome in ("failed", "error", "adapter-error")
    progress.advance(area, f"{outcome.rule} {outcome.scenario} [{outcome.profile}]: {(outcome.message or '').splitlines()[0][:160] if outcome.message else ''}"
                     if failed and outcome else None)


_CONFIG: dict[str, pytest.Config] = {}


def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG["config"] = session.config
