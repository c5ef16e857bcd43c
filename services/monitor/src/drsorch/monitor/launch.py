"""Starting batches exactly once: the intent is recorded before StartRecovery, and an
intent left by a crash is reconciled with DescribeJobs before DRS is called again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta

from drsorch.monitor.domain import planning, report
from drsorch.monitor.domain.facts import Place, RecoveryJob
from drsorch.monitor.domain.planning import Candidate, Capacity, Limits
from drsorch.monitor.domain.records import (
    BatchRecord,
    BatchStatus,
    Member,
    ServerPhase,
    batch_key,
)
from drsorch.monitor.domain.selection import Launch, target_refusal
from drsorch.monitor.errors import AwsFailure, LeaseLost, StartRefused, Throttled
from drsorch.monitor.run import Run, each_place, group_by

log = logging.getLogger("drsorch.monitor")


async def reconcile(run: Run) -> None:
    """Settle intents left by an earlier run: adopt the job DRS made, or start it now."""
    due = [
        batch
        for batch in run.state.batches.values()
        if batch.status is BatchStatus.INTENDED
        and (batch.next_poll_at is None or batch.next_poll_at <= run.now)
    ]

    async def settle(place: Place, batches: Sequence[BatchRecord]) -> None:
        jobs = await run.scan(place)
        for batch in batches:
            job = planning.find_job(batch, jobs)
            if job is not None:
                log.info(
                    "intent reconciled with an existing job",
                    extra={"request_id": run.state.summary.request_id, "job_id": job.job_id},
                )
                await adopt(run, batch, job)
            else:
                await call(run, batch)

    await each_place(run, group_by(due, lambda b: b.place), settle)


async def start_batches(run: Run, launches: Mapping[str, Launch]) -> None:
    """Start the batches the current wave's ready servers fill, within DRS quotas."""
    wave = run.state.summary.wave
    if wave is None:
        return
    ready = {
        key: launch
        for key, launch in launches.items()
        if run.state.servers[key].wave == wave and run.state.servers[key].ready_since is not None
    }
    flush = _flush(run, wave, ready)

    async def start(place: Place, keys: Sequence[str]) -> None:
        await _start_in(run, place, [_candidate(key, ready[key]) for key in sorted(keys)], flush)

    await each_place(run, group_by(ready, lambda key: ready[key].place), start)


def _candidate(key: str, launch: Launch) -> Candidate:
    return Candidate(key, launch.launching_server_id, launch.expected_instance_id)


def _flush(run: Run, wave: int, ready: Mapping[str, Launch]) -> bool:
    """Whether smaller batches may start: nobody else is coming soon, or ready servers
    have waited the linger out."""
    waiting = [r for r in run.state.in_wave(wave) if r.phase is ServerPhase.WAITING]
    if all(r.source_server_id in ready for r in waiting):
        return True
    linger = timedelta(seconds=run.deps.settings.batch_linger_seconds)
    since = [run.state.servers[key].ready_since for key in ready]
    return any(s is not None and s + linger <= run.now for s in since)


def _limits(run: Run) -> tuple[Limits, int]:
    s = run.deps.settings
    limits = Limits(s.max_concurrent_jobs, s.max_servers_in_active_jobs, s.max_servers_per_job)
    return limits, run.state.spec.options.batch_size


async def _start_in(run: Run, place: Place, candidates: list[Candidate], flush: bool) -> None:
    jobs = await run.scan(place)
    ours = [b for b in run.state.batches.values() if b.place == place]
    capacity = Capacity.observe(jobs, ours)
    limits, size = _limits(run)
    planned = planning.plan_batches(candidates, capacity, limits, size, flush=flush)
    if planned:
        verified = await _verified(run, place, [c for batch in planned for c in batch])
        planned = planning.plan_batches(verified, capacity, limits, size, flush=flush)
    if not planned:
        if flush:  # ready, and nothing more to wait for but capacity
            run.wake_in(run.deps.settings.capacity_retry_seconds)
        return
    for members in planned:
        batch = await _intend(run, place, members, jobs)
        await call(run, batch)


async def _verified(run: Run, place: Place, candidates: list[Candidate]) -> list[Candidate]:
    """The candidates whose launch-into target is still safe to launch into; the others
    are rejected, and never launched."""
    targets = sorted({c.expected_instance_id for c in candidates if c.expected_instance_id})
    seen = await run.ec2(place).instances(targets) if targets else {}
    kept = []
    for candidate in candidates:
        expected = candidate.expected_instance_id
        refusal = target_refusal(expected, seen.get(expected), place) if expected else None
        if refusal is None:
            kept.append(candidate)
            continue
        record = run.state.servers[candidate.source_server_id]
        reason = f"checked right before StartRecovery: {refusal}"
        run.state.put_server(record.decide("rejected", reason, run.now))
    return kept


async def _intend(
    run: Run, place: Place, members: Sequence[Candidate], jobs: Sequence[RecoveryJob]
) -> BatchRecord:
    """Record the intent to start one batch (a conditional write) and mark its servers."""
    state, wave = run.state, run.state.summary.wave
    assert wave is not None
    index = 1 + max((b.index for b in state.batches.values() if b.wave == wave), default=-1)
    launching = frozenset(c.launching_server_id for c in members)
    settle = timedelta(seconds=run.deps.settings.intent_settle_seconds)
    batch = BatchRecord(
        key=batch_key(wave, index),
        wave=wave,
        index=index,
        account_id=place.account_id,
        region=place.region,
        members=tuple(
            Member(
                source_server_id=c.source_server_id,
                launching_server_id=c.launching_server_id,
                expected_instance_id=c.expected_instance_id,
            )
            for c in members
        ),
        drill=state.spec.drill,
        intent_at=run.now,
        prior_job_ids=planning.prior_jobs(launching, jobs),
        next_poll_at=run.now + settle,
    )
    if not await run.deps.store.record_intent(state.summary.request_id, batch):
        raise LeaseLost(f"batch {batch.key} was recorded by another handler")
    state.batches[batch.key] = batch
    for c in members:
        record = state.servers[c.source_server_id]
        state.put_server(
            record.model_copy(update={"phase": ServerPhase.IN_BATCH, "batch_key": batch.key})
        )
    await run.flush()
    return batch


async def call(run: Run, batch: BatchRecord) -> None:
    """StartRecovery for an intended batch, once; what DRS says decides what follows."""
    await run.session.renew()
    ids = sorted(batch.launching_ids)
    try:
        job = await run.drs(batch.place).start_recovery(ids, drill=batch.drill)
    except StartRefused as exc:
        await _refused(run, batch, str(exc))
        return
    except Throttled:
        run.state.put_batch(batch.model_copy(update={"next_poll_at": run.now}))
        await run.flush()
        raise
    except AwsFailure as exc:
        # Whether a job exists is unknown: reconcile later, never call blindly again.
        later = max(run.deps.settings.intent_settle_seconds, run.deps.settings.error_retry_seconds)
        run.state.put_batch(
            batch.model_copy(update={"next_poll_at": run.now + timedelta(seconds=later)})
        )
        await run.flush()
        log.warning(
            "StartRecovery failed; the intent will be reconciled", extra={"error": str(exc)}
        )
        return
    finally:
        run.forget_scan(batch.place)
    await adopt(run, batch, job)


async def adopt(run: Run, batch: BatchRecord, job: RecoveryJob) -> None:
    """The batch's job is known: report it started, and poll it from now on."""
    first_poll = run.now + timedelta(seconds=run.deps.settings.poll_min_seconds)
    started = batch.model_copy(
        update={
            "status": BatchStatus.STARTED,
            "job_id": job.job_id,
            "started_at": run.now,
            "created_at": job.created_at,
            "next_poll_at": first_poll,
        }
    )
    await run.emit(report.job_started(started), f"job-started-{batch.key}")
    run.state.put_batch(started)
    for member in batch.members:
        record = run.state.servers[member.source_server_id]
        run.state.put_server(record.model_copy(update={"job_id": job.job_id}))
    await run.flush()


async def _refused(run: Run, batch: BatchRecord, reason: str) -> None:
    """DRS refused the batch (no job exists): its servers wait and try again later."""
    log.warning("StartRecovery refused; servers wait", extra={"reason": reason})
    run.state.put_batch(
        batch.model_copy(update={"status": BatchStatus.REFUSED, "refusal": reason[:1024]})
    )
    for member in batch.members:
        record = run.state.servers[member.source_server_id]
        run.state.put_server(
            record.model_copy(
                update={"phase": ServerPhase.WAITING, "batch_key": None, "waiting_for": reason}
            )
        )
    run.wake_in(run.deps.settings.start_retry_seconds)
    await run.flush()
