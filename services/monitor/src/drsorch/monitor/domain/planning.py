"""Batches within DRS quotas: how many servers may join jobs now, in one account and region.

DRS counts every active job in an account and region against its quotas, whoever
started it, so capacity is read from DescribeJobs (PENDING and STARTED jobs) and from
the monitor's own batches DRS does not list yet (an intent recorded, a job not yet
visible). A server busy in any active job waits: DRS allows one active job per server.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from drsorch.monitor.domain.facts import RecoveryJob
from drsorch.monitor.domain.records import BatchRecord


@dataclass(frozen=True)
class Limits:
    """DRS quotas per account and region."""

    concurrent_jobs: int = 20
    servers_in_active_jobs: int = 500
    servers_per_job: int = 100


@dataclass(frozen=True)
class Capacity:
    """What already runs in one account and region."""

    jobs: int = 0
    servers: int = 0
    busy: frozenset[str] = frozenset()
    """Source servers in active jobs."""

    @classmethod
    def observe(cls, jobs: Iterable[RecoveryJob], ours: Iterable[BatchRecord]) -> Capacity:
        """Active DRS jobs, plus the monitor's active batches DRS did not list.

        A server of one of the monitor's own batches not finished yet is busy even once
        DRS reports its job completed: it joins no other batch before its landing is
        decided (its job's quota is free, its server is not)."""
        listed = {job.job_id: job for job in jobs}
        active = [job.server_ids for job in listed.values() if job.active]
        mine = [batch for batch in ours if batch.active]
        unlisted = [
            batch.launching_ids
            for batch in mine
            if batch.job_id is None or batch.job_id not in listed
        ]
        held = active + unlisted
        members = [batch.launching_ids for batch in mine]
        busy = frozenset().union(*held, *members)
        return cls(jobs=len(held), servers=sum(len(ids) for ids in held), busy=busy)

    def headroom(self, limits: Limits) -> tuple[int, int]:
        """(jobs, servers) that may still start."""
        return (
            max(0, limits.concurrent_jobs - self.jobs),
            max(0, limits.servers_in_active_jobs - self.servers),
        )


@dataclass(frozen=True)
class Candidate:
    """A server ready to join a job."""

    source_server_id: str
    launching_server_id: str
    expected_instance_id: str | None = None
    volumes_before: tuple[str, ...] = ()
    """The target's volumes, read right before StartRecovery."""


def plan_batches(
    candidates: Sequence[Candidate],
    capacity: Capacity,
    limits: Limits,
    batch_size: int,
    *,
    flush: bool,
) -> list[tuple[Candidate, ...]]:
    """The batches to start now, in candidate order.

    Each batch holds at most `batch_size` servers (and never more than the per-job
    quota); together they fit the job and server headroom; no server busy in an
    active job, and no server twice. A batch smaller than `batch_size` starts only when
    `flush` says no more servers are coming soon.
    """
    size = max(1, min(batch_size, limits.servers_per_job))
    free = _distinct(c for c in candidates if c.launching_server_id not in capacity.busy)
    jobs_left, servers_left = capacity.headroom(limits)
    batches: list[tuple[Candidate, ...]] = []
    while free and jobs_left > 0:
        take = min(size, servers_left, len(free))
        if take <= 0 or (take < size and not flush):
            break
        batches.append(tuple(free[:take]))
        free = free[take:]
        jobs_left -= 1
        servers_left -= take
    return batches


def _distinct(candidates: Iterable[Candidate]) -> list[Candidate]:
    seen: set[str] = set()
    kept = []
    for candidate in candidates:
        if candidate.launching_server_id not in seen:
            seen.add(candidate.launching_server_id)
            kept.append(candidate)
    return kept


def prior_jobs(server_ids: frozenset[str], jobs: Iterable[RecoveryJob]) -> tuple[str, ...]:
    """Jobs that already held any of these servers: never mistaken for a batch's own job."""
    return tuple(sorted(job.job_id for job in jobs if job.server_ids & server_ids))


def find_job(batch: BatchRecord, jobs: Iterable[RecoveryJob]) -> RecoveryJob | None:
    """The job DRS created for a batch's intent, if any: a LAUNCH job of exactly its servers
    that did not exist when the intent was recorded."""
    matches = [
        job
        for job in jobs
        if job.job_type == "LAUNCH"
        and job.server_ids == batch.launching_ids
        and job.job_id not in batch.prior_job_ids
    ]
    return max(matches, key=_newest, default=None)


def _newest(job: RecoveryJob) -> tuple[str, str]:
    return (job.created_at.isoformat() if job.created_at else "", job.job_id)
