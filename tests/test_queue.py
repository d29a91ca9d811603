"""jobLimit accounting, fetch sets and all-or-nothing change blocks of the reference queue."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bru_conformance.protocol import Action, AssetResource, JobState, PhotoKitError, PhotoKitErrorCode, Request
from reference_impl.jobs import Event, apply
from reference_impl.queue import ChangeBlock, JobQueue, StagedOp

DEST = Request.make("https://backup.example.com/upload")


def create(queue: JobQueue, n: int) -> list[str]:
    block = ChangeBlock([StagedOp("create", queue.new_identifier(), DEST, AssetResource(f"r{i}", f"a{i}")) for i in range(n)])
    return [j.local_identifier for j in queue.commit(block)]


def mutate(queue: JobQueue, kind: str, job_id: str, destination: Request | None = None) -> None:
    queue.commit(ChangeBlock([StagedOp(kind, job_id, destination)]))


def test_creation_up_to_the_limit_succeeds_and_one_more_fails_the_whole_block() -> None:
    queue = JobQueue(job_limit=5)
    create(queue, 3)
    with pytest.raises(PhotoKitError) as err:
        create(queue, 3)
    assert err.value.code is PhotoKitErrorCode.LIMIT_EXCEEDED
    assert queue.unacknowledged() == 3  # nothing of the failed block applied
    create(queue, 2)
    assert queue.unacknowledged() == 5


def test_acknowledging_in_the_same_block_makes_room() -> None:
    queue = JobQueue(job_limit=2)
    a, _ = create(queue, 2)
    apply(queue.jobs[a], Event.SUCCEED)
    block = ChangeBlock([StagedOp("acknowledge", a),
                         StagedOp("create", queue.new_identifier(), DEST, AssetResource("x", "x"))])
    queue.commit(block)
    assert queue.unacknowledged() == 2 and a not in queue.jobs


def test_an_invalid_mutation_fails_the_block_with_change_not_supported_and_applies_nothing() -> None:
    queue = JobQueue(job_limit=5)
    a, b = create(queue, 2)
    apply(queue.jobs[a], Event.SUCCEED)
    before = copy.deepcopy(queue.jobs)
    with pytest.raises(PhotoKitError) as err:
        queue.commit(ChangeBlock([StagedOp("acknowledge", a), StagedOp("acknowledge", b)]))  # b is registered
    assert err.value.code is PhotoKitErrorCode.CHANGE_NOT_SUPPORTED
    assert {k: (j.state, j.acknowledged) for k, j in queue.jobs.items()} == {k: (j.state, j.acknowledged) for k, j in before.items()}


@pytest.mark.parametrize("checks_limit", [False, True])
def test_retry_at_the_limit_depends_on_the_amb02_reading(checks_limit: bool) -> None:
    queue = JobQueue(job_limit=2, retry_checks_limit=checks_limit)
    a, _ = create(queue, 2)
    apply(queue.jobs[a], Event.FAIL)
    if checks_limit:
        with pytest.raises(PhotoKitError, match="retry at jobLimit"):
            mutate(queue, "retry", a)
        assert queue.jobs[a].state is JobState.FAILED
    else:
        mutate(queue, "retry", a)
        assert queue.jobs[a].state is JobState.REGISTERED and queue.unacknowledged() == 2


def test_fetch_sets_follow_the_states() -> None:
    queue = JobQueue(job_limit=10)
    reg, pend, ok, bad, spent = create(queue, 5)
    apply(queue.jobs[pend], Event.START)
    apply(queue.jobs[ok], Event.SUCCEED)
    apply(queue.jobs[bad], Event.FAIL)
    apply(queue.jobs[spent], Event.FAIL)
    mutate(queue, "retry", spent)
    apply(queue.jobs[spent], Event.FAIL)
    ids = lambda action: {j.local_identifier for j in queue.fetch(action)}
    assert ids(Action.ACKNOWLEDGE) == {ok, bad, spent}
    assert ids(Action.RETRY) == {bad}  # AMB-04: a fresh failed job is in both sets
    assert ids(Action.PROCESS) == {reg, pend}


ops = st.lists(st.tuples(st.sampled_from(["create", "succeed", "fail", "ack", "retry", "cancel"]),
                         st.integers(0, 7), st.integers(1, 4)), max_size=40)


@settings(max_examples=150, deadline=None)
@given(limit=st.integers(1, 6), steps=ops)
def test_the_limit_is_never_exceeded_and_failed_blocks_change_nothing(limit: int, steps: list[tuple[str, int, int]]) -> None:
    queue = JobQueue(job_limit=limit)
    for op, index, count in steps:
        live = [j for j in queue.jobs.values() if not j.acknowledged]
        before = {k: (j.state, j.acknowledged, j.retried) for k, j in queue.jobs.items()}
        try:
            if op == "create":
                create(queue, count)
            elif live:
                job = live[index % len(live)]
                if op in ("succeed", "fail"):
                    if job.state in (JobState.REGISTERED, JobState.PENDING):
                        apply(job, Event.SUCCEED if op == "succeed" else Event.FAIL)
                else:
                    mutate(queue, {"ack": "acknowledge"}.get(op, op), job.local_identifier)
        except PhotoKitError:
            assert {k: (j.state, j.acknowledged, j.retried) for k, j in queue.jobs.items()} == before
        assert queue.unacknowledged() <= limit
        counted = sum(queue.counted_states().values())
        assert counted == queue.unacknowledged()
        in_sets = {j.local_identifier for a in Action for j in queue.fetch(a)}
        assert in_sets == {k for k, j in queue.jobs.items() if j.counted}  # every counted job is reachable
