"""The job life cycle: the transition table is exhaustive and illegal moves raise (AMB-01, AMB-03)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bru_conformance.protocol import AssetResource, InvalidTransitionError, JobState, Request
from reference_impl.jobs import COUNTED, TRANSITIONS, Event, Job, apply, can_apply


def new_job() -> Job:
    return Job("job-1", AssetResource("r", "a"), Request.make("https://backup.example.com/upload"))


def job_in(state: JobState, retried: bool = False) -> Job:
    job = new_job()
    job.state, job.retried = state, retried
    return job


@pytest.mark.parametrize("state", list(JobState))
@pytest.mark.parametrize("event", list(Event))
def test_every_pair_is_either_in_the_table_or_raises(state: JobState, event: Event) -> None:
    job = job_in(state)
    if (state, event) in TRANSITIONS:
        apply(job, event)
        expected = TRANSITIONS[(state, event)]
        assert job.acknowledged if expected is None else job.state is expected
    else:
        with pytest.raises(InvalidTransitionError, match=event.value):
            apply(job, event)
        assert job.state is state and not job.acknowledged  # nothing changed


def test_the_table_has_exactly_the_documented_edges() -> None:
    r, p, s, f = JobState.REGISTERED, JobState.PENDING, JobState.SUCCEEDED, JobState.FAILED
    assert set(TRANSITIONS) == {(r, Event.START), (r, Event.SUCCEED), (r, Event.FAIL), (p, Event.SUCCEED),
                                (p, Event.FAIL), (r, Event.CANCEL), (p, Event.CANCEL), (f, Event.RETRY),
                                (s, Event.ACKNOWLEDGE), (f, Event.ACKNOWLEDGE)}


def test_retry_keeps_identity_and_happens_once() -> None:
    job = job_in(JobState.FAILED)
    new_destination = Request.make("https://backup.example.com/upload", headers={"Authorization": "Bearer new"})
    apply(job, Event.RETRY, destination=new_destination)
    assert (job.local_identifier, job.state, job.destination) == ("job-1", JobState.REGISTERED, new_destination)
    apply(job, Event.FAIL)
    assert not can_apply(job, Event.RETRY)
    with pytest.raises(InvalidTransitionError, match="already retried"):
        apply(job, Event.RETRY)


def test_retry_with_nil_keeps_the_destination() -> None:
    job = job_in(JobState.FAILED)
    before = job.destination
    apply(job, Event.RETRY, destination=None)
    assert job.destination == before


def test_cancel_acknowledges_automatically() -> None:
    job = job_in(JobState.PENDING)
    apply(job, Event.CANCEL)
    assert job.state is JobState.CANCELLED and job.acknowledged and not job.counted


@given(st.lists(st.sampled_from(list(Event)), max_size=12))
def test_random_event_sequences_never_leave_the_graph(events: list[Event]) -> None:
    job = new_job()
    retries = 0
    for event in events:
        before = (job.state, job.acknowledged, job.retried)
        allowed = can_apply(job, event)
        try:
            apply(job, event)
        except InvalidTransitionError:
            assert not allowed
            assert (job.state, job.acknowledged, job.retried) == before
            continue
        assert allowed
        retries += event is Event.RETRY
        assert retries <= 1
        if job.acknowledged:
            assert not any(can_apply(job, e) for e in Event)  # acknowledged jobs are gone for good
        assert job.counted == (not job.acknowledged and job.state in COUNTED)
