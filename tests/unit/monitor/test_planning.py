"""Batches within DRS quotas, for any mix of candidates and jobs already running."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from drsorch.monitor.domain.facts import Participant, RecoveryJob
from drsorch.monitor.domain.planning import (
    Candidate,
    Capacity,
    Limits,
    find_job,
    plan_batches,
    prior_jobs,
)
from drsorch.monitor.domain.records import BatchRecord, BatchStatus, Member
from support.monitor_builders import failback_id, server_id

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def candidate(n: int) -> Candidate:
    return Candidate(server_id(n), failback_id(n))


def job(
    job_id: str, ids: list[str], status: str = "STARTED", job_type: str = "LAUNCH"
) -> RecoveryJob:
    return RecoveryJob(
        job_id=job_id,
        status=status,
        participants=tuple(Participant(i, "PENDING") for i in ids),
        job_type=job_type,
    )


def batch(ids: list[str], *, prior: tuple[str, ...] = (), job_id: str | None = None) -> BatchRecord:
    return BatchRecord(
        key="001-0000",
        wave=1,
        index=0,
        account_id="123456789012",
        region="us-east-1",
        members=tuple(Member(source_server_id=i, launching_server_id=i) for i in ids),
        drill=False,
        intent_at=NOW,
        prior_job_ids=prior,
        job_id=job_id,
        status=BatchStatus.STARTED if job_id else BatchStatus.INTENDED,
    )


@given(
    count=st.integers(0, 700),
    busy=st.sets(st.integers(1, 700), max_size=120),
    running_jobs=st.integers(0, 25),
    running_servers=st.integers(0, 600),
    batch_size=st.integers(1, 100),
    per_job=st.integers(1, 200),
    flush=st.booleans(),
)
def test_batches_never_exceed_any_quota(
    count: int,
    busy: set[int],
    running_jobs: int,
    running_servers: int,
    batch_size: int,
    per_job: int,
    flush: bool,
) -> None:
    limits = Limits(concurrent_jobs=20, servers_in_active_jobs=500, servers_per_job=per_job)
    busy_ids = frozenset(failback_id(n) for n in busy)
    capacity = Capacity(
        jobs=running_jobs, servers=max(running_servers, len(busy_ids)), busy=busy_ids
    )
    candidates = [candidate(n) for n in range(1, count + 1)]

    batches = plan_batches(candidates, capacity, limits, batch_size, flush=flush)

    chosen = [c.launching_server_id for b in batches for c in b]
    assert len(chosen) == len(set(chosen)), "a server in two batches"
    assert not set(chosen) & busy_ids, "a server already busy in an active job"
    assert all(1 <= len(b) <= min(batch_size, per_job) for b in batches)
    assert capacity.jobs + len(batches) <= max(limits.concurrent_jobs, capacity.jobs)
    assert capacity.servers + len(chosen) <= max(limits.servers_in_active_jobs, capacity.servers)
    if not flush:
        assert all(len(b) == min(batch_size, per_job) for b in batches)


@given(st.lists(st.integers(1, 400), unique=True, max_size=400), st.integers(1, 100))
def test_with_room_every_free_candidate_is_batched_in_order(numbers: list[int], size: int) -> None:
    candidates = [candidate(n) for n in numbers]
    limits = Limits(concurrent_jobs=1000, servers_in_active_jobs=100_000)

    batches = plan_batches(candidates, Capacity(), limits, size, flush=True)

    assert [c for b in batches for c in b] == candidates


def test_a_repeated_launching_server_joins_one_batch_only() -> None:
    twice = [candidate(1), Candidate(server_id(2), failback_id(1)), candidate(3)]
    batches = plan_batches(twice, Capacity(), Limits(), 10, flush=True)
    assert [c.source_server_id for b in batches for c in b] == [server_id(1), server_id(3)]


def test_capacity_counts_foreign_jobs_and_unlisted_intents_but_not_completed_jobs() -> None:
    listed = [
        job("drsjob-f0000000000000001", ["s-a", "s-b"]),
        job("drsjob-f0000000000000002", ["s-c"], status="PENDING"),
        job("drsjob-f0000000000000003", ["s-d"], status="COMPLETED"),
        job("drsjob-f0000000000000004", ["s-e"], status="COMPLETED"),
    ]
    ours = [
        batch(["s-x", "s-y"]),  # intended: not listed yet
        batch(["s-e"], job_id="drsjob-f0000000000000004"),  # listed as completed
        batch(["s-z"], job_id="drsjob-f0000000000000009"),  # started, not listed yet
    ]
    capacity = Capacity.observe(listed, ours)
    assert capacity.jobs == 4
    assert capacity.servers == 6
    # s-e's job no longer holds quota, but its batch is not finished: s-e stays busy
    # until its landing is decided (it never joins a second batch meanwhile).
    assert capacity.busy == {"s-a", "s-b", "s-c", "s-e", "s-x", "s-y", "s-z"}
    assert capacity.headroom(Limits(concurrent_jobs=5, servers_in_active_jobs=8)) == (1, 2)


def test_an_intent_is_matched_only_by_a_new_launch_job_of_exactly_its_servers() -> None:
    old = job("drsjob-o0000000000000001", ["s-a", "s-b"], status="COMPLETED")
    mine = batch(["s-a", "s-b"], prior=prior_jobs(frozenset({"s-a", "s-b"}), [old]))
    assert mine.prior_job_ids == ("drsjob-o0000000000000001",)
    assert find_job(mine, [old]) is None
    other = job("drsjob-n0000000000000002", ["s-a", "s-b", "s-c"])
    part = job("drsjob-n0000000000000005", ["s-a"])  # someone else's, started since
    terminate = job("drsjob-n0000000000000003", ["s-a", "s-b"], job_type="TERMINATE")
    assert find_job(mine, [old, other, part, terminate]) is None
    new = job("drsjob-n0000000000000004", ["s-b", "s-a"])
    assert find_job(mine, [old, other, part, terminate, new]) == new
