"""Filling batches: the current wave's ready servers, within DRS quotas, their targets
checked right before the intents and StartRecovery of the run that plans the batches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from drsorch.contracts.types import Place
from drsorch.monitor.domain import planning
from drsorch.monitor.domain.pacing import typical_run
from drsorch.monitor.domain.planning import Candidate, Capacity, Limits
from drsorch.monitor.domain.records import BatchStatus, ServerPhase
from drsorch.monitor.domain.selection import Launch, start_refusal
from drsorch.monitor.intents import call_all, intend
from drsorch.monitor.run import Run, each_place, group_by


async def start_batches(run: Run, launches: Mapping[str, Launch]) -> None:
    """Start the batches the current wave's ready servers fill, within DRS quotas."""
    wave = run.state.summary.wave
    if wave is None or run.state.summary.cancelled_by is not None:
        return  # a cancelled request starts no batch, whatever is ready
    ready = {
        key: launch
        for key, launch in launches.items()
        if run.state.servers[key].wave == wave and run.state.servers[key].ready_since is not None
    }
    flush = _flush(run, wave, ready)

    async def start(place: Place, keys: Sequence[str]) -> None:
        await _start_in(run, place, [_candidate(key, ready[key]) for key in sorted(keys)], flush)

    await each_place(run, group_by(ready, lambda key: ready[key].place), start)


def read_targets_ahead(run: Run, launches: Mapping[str, Launch]) -> None:
    """Beside a job poll that may see jobs end, start reading the launch-into targets of
    the servers that would launch next (per place, up to the servers DRS lets be in
    active jobs). The check right before StartRecovery then uses EC2's answer from this
    same run, read while DRS was asked about the jobs, instead of asking only after."""
    summary = run.state.summary
    if summary.wave is None or summary.cancelled_by is not None or not _an_end_is_due(run):
        return
    waves = [run.state.servers[key].wave for key in launches]
    wave = min((w for w in waves if w >= summary.wave), default=None)
    following = sorted(
        (key for key in launches if run.state.servers[key].wave == wave),
        key=lambda key: (run.state.servers[key].ready_since is None, key),  # ready first
    )
    limit = run.deps.settings.max_servers_in_active_jobs
    for place, keys in group_by(following, lambda key: launches[key].place).items():
        targets = (launches[key].expected_instance_id for key in keys[:limit])
        run.read_instances_ahead(place, (t for t in targets if t))


def _an_end_is_due(run: Run) -> bool:
    """Whether this run polls a job that has run as long as the shortest of its kind
    seen ending could have."""
    batches = run.state.batches.values()
    for batch in batches:
        if batch.status is not BatchStatus.STARTED or batch.answered_at is None:
            continue
        if batch.next_poll_at is not None and batch.next_poll_at > run.now:
            continue
        typical = typical_run(batches, batch)
        if typical is not None and run.now - batch.answered_at >= typical.low:
            return True
    return False


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
    asked = run.deps.clock.now()
    if planned:
        verified, asked = await _verified(run, place, [c for batch in planned for c in batch])
        planned = planning.plan_batches(verified, capacity, limits, size, flush=flush)
    if not planned:
        if flush:  # ready, and nothing more to wait for but capacity
            run.wake_in(run.deps.settings.capacity_retry_seconds)
        return
    # Every intent is written before any call, then the batches start at once: the
    # next job starts as soon as DRS answers, not after the writes of the one before.
    batches = await intend(run, place, planned, jobs)
    await run.flush()
    # Slow writes must not stretch the check's age: past `READ_AHEAD_FRESH` at the call,
    # the targets are read again (`intents._start_recovery`).
    await call_all(run, batches, checked=asked)


async def _verified(
    run: Run, place: Place, candidates: list[Candidate]
) -> tuple[list[Candidate], datetime]:
    """The candidates whose launch-into target is still safe to launch into, by EC2's
    answer in this run (asked beside its job polls, or now), and when EC2 was asked; the
    others are rejected, and never launched."""
    targets = sorted({c.expected_instance_id for c in candidates if c.expected_instance_id})
    seen, asked = await run.instances(place, targets) if targets else ({}, run.deps.clock.now())
    kept = []
    for candidate in candidates:
        expected = candidate.expected_instance_id
        instance = seen.get(expected) if expected else None
        refusal = start_refusal(expected, instance, place) if expected else None
        if refusal is None:
            volumes = instance.volume_ids if instance is not None else ()
            kept.append(replace(candidate, volumes_before=volumes))
            continue
        record = run.state.servers[candidate.source_server_id]
        run.state.put_server(record.decide("rejected", refusal, run.now))
    return kept, asked
