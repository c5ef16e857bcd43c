"""One run of a request: poll, reconcile, gate, start, move waves on, maybe end.

Each step persists what it learns as it goes, so a run cut short (a crash, a
throttled call) leaves records the next run continues from.
"""

from __future__ import annotations

import logging
from collections import Counter

from botocore.exceptions import BotoCoreError, ClientError

from drsorch.monitor.completion import complete
from drsorch.monitor.domain import cancel, pacing, waves
from drsorch.monitor.domain.decisions import classify
from drsorch.monitor.domain.plan import drift
from drsorch.monitor.domain.records import BatchStatus, RequestPhase, ServerPhase
from drsorch.monitor.errors import AwsFailure, Throttled
from drsorch.monitor.gate import check_readiness
from drsorch.monitor.intents import reconcile
from drsorch.monitor.launch import read_targets_ahead, start_batches
from drsorch.monitor.run import Run
from drsorch.monitor.watch import finish_jobs, poll_jobs

log = logging.getLogger("drsorch.monitor")


async def advance(run: Run) -> float | None:
    """Move the request on; the delay until its next run, or None once it has ended."""
    state = run.state
    if state.summary.phase is RequestPhase.DONE:
        return None
    throttled: Throttled | None = None
    cancel.skip_waiting(state, run.now)
    try:
        await _refuse_unconfigured(run)
        if await _approved(run):
            await _steps(run)
    except Throttled as exc:
        throttled = exc
        log.warning(
            "DRS throttled; backing off",
            extra={"request_id": state.summary.request_id, "retry_after": exc.retry_after},
        )
    finally:
        await run.drop_read_ahead()
    _count_calls(run)
    cancel.skip_waiting(state, run.now)  # servers a refused batch gave back
    waves.progress(state, run.now)
    classify(state, run.now)
    if waves.finished(state):
        await complete(run)
        return None
    return _next_delay(run, throttled)


async def _steps(run: Run) -> None:
    state = run.state
    waves.progress(state, run.now)
    read_targets_ahead(run, classify(state, run.now))
    ended = await poll_jobs(run)
    await reconcile(run)
    # A completed job's quota is free in DRS now: the next batches of the wave start
    # before its landings are proven, which takes a few calls per job.
    await _launch(run)
    if ended:
        await finish_jobs(run, ended)
        wave = state.summary.wave
        waves.progress(state, run.now)
        if state.summary.wave != wave:  # the wave's last job ended: the next one starts now
            await _launch(run)


async def _launch(run: Run) -> None:
    waves.progress(run.state, run.now)
    launches = classify(run.state, run.now)
    await check_readiness(run, launches)
    await start_batches(run, launches)


async def _refuse_unconfigured(run: Run) -> None:
    """Servers waiting in an account drsorch may not act in (a spoke the deployment does
    not configure) are rejected with the reason, never left to wait for a deadline."""
    waiting = [r for r in run.state.servers.values() if r.phase is ServerPhase.WAITING]
    for account in sorted({r.pair.server.account_id for r in waiting}):
        try:
            reason = await run.cloud.refusal(account)
        except AwsFailure as exc:
            log.warning("account check failed; will look again", extra={"error": str(exc)})
            return
        if reason is None:
            continue
        for record in waiting:
            if record.pair.server.account_id == account:
                run.state.put_server(record.decide("rejected", reason, run.now))


async def _approved(run: Run) -> bool:
    """May this run launch anything? The monitor's own check of the signed approvals.

    Under every hash the configurator reported, before any launch: a refusal rejects
    every waiting server and the request with the reason. Until KMS answers, nothing
    launches and the next run looks again.
    """
    state = run.state
    summary = state.summary
    waiting = [r for r in state.servers.values() if r.phase is ServerPhase.WAITING]
    if summary.spec.plan_only or not waiting:
        return True
    hashes = [h for h in state.config_hashes.values() if h]
    if any(drift(summary.spec, h) for h in hashes):
        return False  # `classify` refuses the request, saying what drifted
    try:
        refusal = await run.deps.approvals.refusal(
            summary.spec, summary.request_id, hashes, summary.received_at
        )
    except (BotoCoreError, ClientError) as exc:
        log.warning("approvals not verified yet; nothing launches", extra={"error": str(exc)})
        run.wake_in(30)
        return False
    if refusal is None:
        return True
    if summary.status is None:
        state.summary = summary.model_copy(update={"status": "REJECTED", "reason": refusal})
    for record in waiting:
        state.put_server(record.decide("rejected", refusal, run.now))
    return False


def _count_calls(run: Run) -> None:
    if run.cloud.calls:
        total = Counter(run.state.summary.calls)
        total.update(run.cloud.calls)
        run.state.summary = run.state.summary.model_copy(update={"calls": dict(total)})
        run.cloud.calls.clear()


def _next_delay(run: Run, throttled: Throttled | None) -> float:
    pace = run.pacing
    when = pacing.next_wake(run.state, run.now, pace, run.hints)
    delay = pacing.delay_until(when, run.now, pace)
    jobs_running = any(b.status is BatchStatus.STARTED for b in run.state.batches.values())
    before = run.state.summary.throttle_streak
    streak = pacing.throttle_streak(before, throttled is not None, jobs_running)
    if streak != before:
        run.state.summary = run.state.summary.model_copy(update={"throttle_streak": streak})
    if throttled is None:
        return delay
    return max(delay, pacing.backoff(throttled.retry_after, streak, pace))
