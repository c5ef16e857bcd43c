"""Event IDs are a function of request, step and content, and survive the wire."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from drsorch.contracts import EVENTS, Envelope, JobStarted, derive_event_id
from unit.contracts.samples import REQUEST_ID, T0, all_events

server_ids = st.from_regex(r"^s-[0-9a-zA-Z]{17}$", fullmatch=True)
jobs = st.builds(
    JobStarted,
    job_id=st.from_regex(r"^drsjob-[0-9a-zA-Z]{17}$", fullmatch=True),
    account_id=st.from_regex(r"^[0-9]{12}$", fullmatch=True),
    region=st.sampled_from(["us-east-1", "eu-west-2", "us-gov-west-1", "ap-southeast-2"]),
    wave=st.integers(0, 999),
    batch_index=st.integers(0, 9_999),
    source_server_ids=st.lists(server_ids, min_size=1, max_size=20, unique=True).map(tuple),
    drill=st.booleans(),
    launch_into=st.booleans(),
)
request_ids = st.from_regex(r"^[a-z0-9][a-z0-9-]{7,63}$", fullmatch=True)
steps = st.text(min_size=1, max_size=40)


@given(job=jobs, request_id=request_ids, step=steps)
def test_same_request_step_and_content_give_the_same_id(
    job: JobStarted, request_id: str, step: str
) -> None:
    copy = JobStarted.model_validate(job.model_dump())
    assert derive_event_id(request_id, step, job) == derive_event_id(request_id, step, copy)


@given(job=jobs, request_id=request_ids, step=steps)
def test_a_redelivered_event_derives_the_id_it_arrived_with(
    job: JobStarted, request_id: str, step: str
) -> None:
    envelope = Envelope.wrap(job, request_id=request_id, step=step, producer="monitor")
    parsed = EVENTS.parse(envelope.to_json())
    assert derive_event_id(request_id, step, parsed.payload) == envelope.event_id


@given(a=jobs, b=jobs)
def test_different_content_gives_a_different_id(a: JobStarted, b: JobStarted) -> None:
    assume(a != b)
    assert derive_event_id(REQUEST_ID, "start", a) != derive_event_id(REQUEST_ID, "start", b)


@given(job=jobs, a=steps, b=steps)
def test_a_different_step_gives_a_different_id(job: JobStarted, a: str, b: str) -> None:
    assume(a != b)
    assert derive_event_id(REQUEST_ID, a, job) != derive_event_id(REQUEST_ID, b, job)


@given(job=jobs, a=request_ids, b=request_ids)
def test_a_different_request_gives_a_different_id(job: JobStarted, a: str, b: str) -> None:
    assume(a != b)
    assert derive_event_id(a, "start", job) != derive_event_id(b, "start", job)


def test_the_id_ignores_when_the_event_was_wrapped() -> None:
    event = all_events()[0]
    first = Envelope.wrap(event, request_id=REQUEST_ID, step="s", producer="cli", occurred_at=T0)
    later = T0 + timedelta(minutes=5)
    again = Envelope.wrap(event, request_id=REQUEST_ID, step="s", producer="cli", occurred_at=later)
    assert first.event_id == again.event_id
