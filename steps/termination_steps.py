"""Steps specific to the termination feature; shared wording lives in setup_steps, job_steps and app_steps.

The trace names the 26.x `notifyTermination()` and the 27 `willTerminate()` alike `notifyTermination`;
a processing call shows as a `process:start` event and a `process` event when it returns (or dies).
"""

from __future__ import annotations

from pytest_bdd import given, then

from bru_conformance.protocol import TerminationMode, TraceEvent
from bru_conformance.trace import SYSTEM_TO_APP
from bru_conformance.world import World
from steps.vocabulary import p

_CHANGES = {"creates": "create", "acknowledges": "acknowledge", "retries": "retry", "cancels": "cancel"}


def _change_kind(verb: str) -> str:
    assert verb in _CHANGES, f"unknown change {verb!r}; say one of {', '.join(_CHANGES)}"
    return _CHANGES[verb]


def _system_events(world: World) -> list[TraceEvent]:
    return [e for e in world.trace.events if e.direction == SYSTEM_TO_APP]


def _last_notice(world: World) -> tuple[list[TraceEvent], int]:
    events = _system_events(world)
    notices = [i for i, e in enumerate(events) if e.call == "notifyTermination"]
    assert notices, "the system sent the extension no termination notice"
    return events, notices[-1]


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
    """The latest notice falls between a processing call's start and its return."""
    events, at = _last_notice(world)
    before = [e.call for e in events[:at] if e.call in ("process:start", "process")]
    after = [e.call for e in events[at + 1:] if e.call in ("process:start", "process")]
    assert before and before[-1] == "process:start", "the notice did not come while a processing call was running"
    assert after and after[0] == "process", "the processing call never returned or died after the notice"


@then("the system sent the extension a termination notice after the processing call returned")
def notice_after_call(world: World) -> None:
    """The latest notice follows the return of a processing call, before any other call starts."""
    events, at = _last_notice(world)
    before = [e for e in events[:at] if e.call in ("process:start", "process")]
    assert before and before[-1].call == "process", "the notice did not follow a finished processing call"
    assert before[-1].error is None, "the processing call before the notice did not return"


@then("the system sent the extension no termination notice")
def no_notice(world: World) -> None:
    """No notifyTermination/willTerminate at all so far."""
    got = [e for e in _system_events(world) if e.call == "notifyTermination"]
    assert not got, f"the system sent {len(got)} termination notice(s)"


@then(p("exactly {count:d} processing call(s) ended in a kill"))
def killed_count(world: World, count: int) -> None:
    """Counts the processing calls so far that ended in a kill."""
    got = sum(1 for c in world.env.processing_calls() if c.killed)
    assert got == count, f"{got} processing call(s) were killed, expected {count}"


@then(p("the system sent the extension {count:d} termination notice(s)"))
def notice_count(world: World, count: int) -> None:
    """Counts notifyTermination/willTerminate deliveries so far."""
    got = [e for e in _system_events(world) if e.call == "notifyTermination"]
    assert len(got) == count, f"the system sent {len(got)} termination notice(s), expected {count}"


@then("the app committed no change block after the termination notice")
def no_commit_after_notice(world: World) -> None:
    """Between the latest notice and the end of that processing call, no change block of the app was committed."""
    events = world.trace.events
    at = max((i for i, e in enumerate(events) if e.call == "notifyTermination"), default=None)
    assert at is not None, "the system sent the extension no termination notice"
    for e in events[at + 1:]:
        if e.direction == SYSTEM_TO_APP and e.call in ("process", "process:start"):
            break
        assert not (e.call == "commit_changes" and e.error is None), f"the app committed a change block after the notice (event {e.seq})"
