"""When to look again: adaptive job polling, job timeouts, back-off, and the next run.

Waiting is a delayed self-message, so every wait ends in a time these functions pick.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from drsorch.monitor.domain import readiness
from drsorch.monitor.domain.records import BatchRecord, BatchStatus, RequestState, ServerPhase


@dataclass(frozen=True)
class Pacing:
    """The monitor's timing settings, in seconds."""

    poll_min: float = 15
    poll_max: float = 300
    poll_growth: float = 0.02
    readiness_poll: float = 30
    linger: float = 300
    intent_settle: float = 30
    throttle_base: float = 2
    throttle_max: float = 300
    min_tick: float = 1


def poll_interval(age: timedelta, pacing: Pacing) -> timedelta:
    """Short while a job is young, longer as it runs on: a share of its age, within bounds."""
    seconds = age.total_seconds() * pacing.poll_growth
    return timedelta(seconds=min(pacing.poll_max, max(pacing.poll_min, seconds)))


@dataclass(frozen=True)
class Typical:
    """How long jobs of one kind ran in this request, by the monitor's own clock, from
    StartRecovery's answer: at least `low` (a poll still saw one running then) and at
    most `high` (a poll saw one completed by then)."""

    low: timedelta
    high: timedelta

    @property
    def guess(self) -> timedelta:
        """Between the bounds: a poll there either raises `low` or lowers `high`, so the
        window a job's end is known within halves with each job that ends."""
        return (self.low + self.high) / 2 if self.low < self.high else self.high


def typical_run(batches: Iterable[BatchRecord], like: BatchRecord) -> Typical | None:
    """What this request's completed jobs of `like`'s kind say of how long it runs; None
    before one of its kind has been seen completed.

    DRS jobs of one kind (drill or not, into an instance or not) take similar times:
    each server's snapshot, conversion and boot. The monitor's clock alone is used:
    DRS's timestamps are another clock."""
    done = [
        batch
        for batch in batches
        if batch.status is BatchStatus.COMPLETED
        and batch.answered_at is not None
        and batch.done_seen_at is not None
        and batch.drill == like.drill
        and batch.launch_into == like.launch_into
    ]
    if not done:
        return None
    high = min(b.done_seen_at - b.answered_at for b in done if b.done_seen_at and b.answered_at)
    lows = [b.running_seen_at - b.answered_at for b in done if b.running_seen_at and b.answered_at]
    return Typical(low=min(max(lows, default=high), high), high=high)


OVERDUE_FIRST = 1 / 8
"""A job past its kind's longest run is polled again after this share of `poll_min`."""


def next_poll(
    batch: BatchRecord, now: datetime, pacing: Pacing, typical: Typical | None
) -> datetime:
    """When to poll a running job again: never later than its age-based interval.

    The interval grows with the job's age (`poll_interval`). Once a job of its kind has
    been seen completed in this request, this one is also polled halfway through what is
    left of the window its end is expected in (its kind's run times, from its own last
    poll on: each poll halves it, down to `OVERDUE_FIRST` of `poll_min`), and at the
    window's end. Past that bound it is polled again after `OVERDUE_FIRST` of
    `poll_min`, then after as long again as it is late (so a job that ends a moment past
    the bound, as one answered a moment sooner than its kind's does, is seen at once), up
    to the interval of a job started anew at the bound: one that runs much longer is
    polled less and less often again."""
    started = batch.started_at or batch.intent_at
    regular = now + poll_interval(now - started, pacing)
    if typical is None:
        return regular
    answered = batch.answered_at or started
    window = _own_window(batch, answered, typical)
    finest = timedelta(seconds=pacing.poll_min * OVERDUE_FIRST)
    guess = window.guess if window.high - window.low > finest else window.high
    ahead = [t for t in (answered + guess, answered + typical.high) if t > now]
    if ahead:
        return min(regular, *ahead)
    late = now - (answered + typical.high)
    soon = max(timedelta(seconds=pacing.poll_min * OVERDUE_FIRST), late)
    return now + min(poll_interval(late, pacing), soon)


def _own_window(batch: BatchRecord, answered: datetime, typical: Typical) -> Typical:
    """Its kind's window, narrowed by this job's own last poll: still running then, so
    its end lies after that. Each poll at the guess halves what is left of the window."""
    if batch.running_seen_at is None:
        return typical
    running = batch.running_seen_at - answered
    return Typical(low=min(max(typical.low, running), typical.high), high=typical.high)


def timed_out(batch: BatchRecord, now: datetime, timeout_seconds: int) -> bool:
    """Whether a running job has outlived the request's job timeout."""
    started = batch.started_at or batch.intent_at
    return now - started >= timedelta(seconds=timeout_seconds)


def backoff(retry_after: float | None, streak: int, pacing: Pacing) -> float:
    """Seconds to wait after the `streak`-th throttling in a row: at least DRS's Retry-After,
    doubling with each throttling in a row, up to the cap."""
    adaptive = pacing.throttle_base * 2.0 ** min(max(streak - 1, 0), 16)
    return float(min(pacing.throttle_max, max(retry_after or 0.0, adaptive)))


START_RETRY_BASE = 0.5


def start_retry_pause(retry_after: float | None, attempt: int, longest: float) -> float | None:
    """Seconds to wait before calling a throttled StartRecovery again within the run:
    doubling from half a second, at least DRS's Retry-After; None when that is longer
    than `longest` (the run then backs off as a whole)."""
    wanted = max(retry_after or 0.0, START_RETRY_BASE * 2.0 ** min(attempt - 1, 16))
    return None if wanted > longest else wanted


def throttle_streak(streak: int, throttled: bool, jobs_running: bool) -> int:
    """The throttling streak after a run. It grows only while throttled runs follow each
    other with jobs running; with no job running there is nothing to wait for, so the
    back-off starts again from its base (no 33, 65, 129 s waits with nothing in flight)."""
    if not throttled:
        return 0
    return streak + 1 if jobs_running else 1


def next_wake(
    state: RequestState, now: datetime, pacing: Pacing, hints: Iterable[datetime] = ()
) -> datetime:
    """The earliest time the request needs another look."""
    times = list(hints)
    times.extend(batch.next_poll_at or now for batch in state.batches.values() if batch.active)
    times.extend(_wave_times(state, now, pacing))
    return min(times, default=now + timedelta(seconds=pacing.readiness_poll))


def _wave_times(state: RequestState, now: datetime, pacing: Pacing) -> list[datetime]:
    summary = state.summary
    if summary.wave is None or summary.wave_started_at is None:
        return []
    waiting = [r for r in state.in_wave(summary.wave) if r.phase is ServerPhase.WAITING]
    if not waiting:
        return []
    times = [now + timedelta(seconds=pacing.readiness_poll)]
    # Each server's readiness deadline runs from its wave's start or its configuration.
    deadlines = {
        readiness.deadline(max(summary.wave_started_at, r.configured_at), state.spec)
        for r in waiting
        if r.configured_at is not None
    }
    times.extend(when for when in deadlines if when > now)
    lingering = [
        r.ready_since + timedelta(seconds=pacing.linger)
        for r in waiting
        if r.ready_since is not None
    ]
    # A linger already over changes nothing by itself: capacity or readiness decide then.
    times.extend(when for when in lingering if when > now)
    return times


def delay_until(when: datetime, now: datetime, pacing: Pacing) -> float:
    """Seconds from now until `when`, never below the shortest tick."""
    return max(pacing.min_tick, (when - now).total_seconds())
