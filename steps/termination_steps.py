"""Steps specific to the termination feature; shared wording lives in setup_steps, job_steps and app_steps.

Notices and calls are read from the harness's own trace, under the entry point the SYSTEM used:
`process`/`notifyTermination` (26.x protocol) or `processJobs`/`willTerminate` (27 protocol).
"""

from __future__ import annotations

from pytest_bdd import given, then

from bru_conformance.protocol import ProcessingResult, TerminationMode
from bru_conformance.scenario import observe
from bru_conformance.scenario.world import World

from .vocabulary import p

_CHANGES = {"creates": "create", "acknowledges": "acknowledge", "retries": "retry", "cancels": "cancel"}
#: the protocol of each profile: its processing and termination methods (VER-01, VER-04, AMB-27)
_SYNC = ("process", "notifyTermination")
_ASYNC = ("processJobs", "willTerminate")


def protocol_of(world: World) -> tuple[str, str]:
    """The entry points the profile's SYSTEM must use: 27 (and macOS) the job-extension protocol."""
    return _ASYNC if world.profile.async_extension else _SYNC


def _change_kind(verb: str) -> str:
    assert verb in _CHANGES, f"unknown change {verb!r}; say one of {', '.join(_CHANGES)}"
    return _CHANGES[verb]


def _last_notice(world: World) -> observe.Notice:
    notices = [n for c in observe.calls(world.trace) for n in c.notices]
    assert notices, "the system sent the extension no termination notice"
    return notices[-1]


@given(p("the system will kill the extension without notice right after the app commits a change that {verb} a job"))
def kill_at_change(world: World, verb: str) -> None:
    """Hard kill the moment the app's change block holding such a change has been committed (it stays applied)."""
    world.env.schedule_termination(TerminationMode.HARD_KILL, 0, at_change=_change_kind(verb))


@given(p("the system will send a termination notice right after the app commits a change that {verb} a job"))
def notice_at_change(world: World, verb: str) -> None:
    """Termination notice inside the processing call, as soon as the app's block holding such a change committed."""
    world.env.schedule_termination(TerminationMode.NOTICE_MID_CALL, 0, at_change=_change_kind(verb))


@then("the system sent the extension a termination notice while the processing call was running")
def notice_mid_call(world: World) -> None:
    """The latest notice came while a processing call was running, and that call then ended."""
    notice = _last_notice(world)
    assert notice.during_call, "the notice did not come while a processing call was running"
    call = next(c for c in observe.calls(world.trace) if notice in c.notices)
    assert call.finished, "the processing call never returned or died after the notice"


@then("the system sent the extension a termination notice after the processing call returned")
def notice_after_call(world: World) -> None:
    """The latest notice follows the return of a processing call, before any other call starts."""
    notice = _last_notice(world)
    call = next(c for c in observe.calls(world.trace) if notice in c.notices)
    assert not notice.during_call, "the notice came while the processing call was still running"
    assert call.finished and not call.killed and call.error is None, f"the processing call before the notice ended with {call.describe()}"


@then("the system sent the extension no termination notice")
def no_notice(world: World) -> None:
    """No notifyTermination/willTerminate at all so far."""
    got = observe.notices(world.trace)
    assert not got, f"the system sent {len(got)} termination notice(s)"


@then(p("exactly {count:d} processing call(s) ended in a kill"))
def killed_count(world: World, count: int) -> None:
    """Counts the processing calls the harness saw die so far."""
    got = sum(1 for c in observe.calls(world.trace) if c.killed)
    assert got == count, f"{got} processing call(s) were killed, expected {count}"


@then(p("the system sent the extension {count:d} termination notice(s)"))
def notice_count(world: World, count: int) -> None:
    """Counts notifyTermination/willTerminate deliveries so far."""
    got = observe.notices(world.trace)
    assert len(got) == count, f"the system sent {len(got)} termination notice(s), expected {count}"


@then("the system used its profile's protocol for every processing call and notice")
def used_profile_protocol(world: World) -> None:
    """TER-01/TER-02, VER-01/VER-04: on 26.x process() and notifyTermination(); on 27 processJobs() and willTerminate()."""
    process, notice = protocol_of(world)
    calls = observe.calls(world.trace)
    assert calls, "the system made no processing call"
    wrong = [c.method for c in calls if c.method != process]
    assert not wrong, f"the system called {wrong[0]}() on a {world.profile.name} extension; its protocol's method is {process}()"
    bad = [n.method for c in calls for n in c.notices if n.method != notice]
    assert not bad, f"the system sent {bad[0]}() on a {world.profile.name} extension; its protocol's method is {notice}()"


@then("the extension took the termination notice")
def notice_taken(world: World) -> None:
    """ACT-07: the app's extension implements its protocol's termination method: the notice returned without error."""
    notices = [e for e in observe.notices(world.trace)]
    assert notices, "the system sent the extension no termination notice"
    failed = [e for e in notices if e.error is not None]
    assert not failed, f"the extension's {failed[0].call}() failed: {failed[0].error}"


@then(p("the call in which the termination notice came was answered {result:Result}"))
def notice_call_answer(world: World, result: ProcessingResult) -> None:
    """TER-08: the processing call during which the (first) notice arrived ended with this answer."""
    call = next((c for c in observe.calls(world.trace) if any(n.during_call for n in c.notices)), None)
    assert call is not None, "no termination notice came while a processing call was running"
    assert call.result is result, f"the call in which the notice came was answered {call.describe()}"
