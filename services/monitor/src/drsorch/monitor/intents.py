"""Starting a batch exactly once: its intent is recorded (a conditional write) before
StartRecovery, and an intent left by a crash is reconciled with DescribeJobs before
DRS is called again.

A StartRecovery that does not follow the check of its batch's launch-into targets at
once (an intent settled in a later run, a call again after DRS throttled one) reads the
targets from EC2 again first: a target started, untagged or gone since is never handed
to DRS (design §4).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from drsorch.contracts.types import Place
from drsorch.monitor.domain import cancel, pacing, planning, report
from drsorch.monitor.domain.facts import RecoveryJob
from drsorch.monitor.domain.planning import Candidate
from drsorch.monitor.domain.records import (
    BatchRecord,
    BatchStatus,
    Member,
    ServerPhase,
    batch_key,
)
from drsorch.monitor.domain.selection import start_refusal
from drsorch.monitor.errors import (
    AwsFailure,
    LeaseLost,
    StartRefused,
    TargetsChanged,
    TargetsUnread,
    Throttled,
)
from drsorch.monitor.run import Run, each_place, group_by
from drsorch.runtime.together import at_once

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
            elif run.state.summary.cancelled_by is not None:
                _drop_if_settled(run, batch)
            else:
                await call(run, _possibly_called(batch))

    await each_place(run, group_by(due, lambda b: b.place), settle)


def _possibly_called(batch: BatchRecord) -> BatchRecord:
    """An intent neither answered nor known unsent was left by a crash, maybe after its
    call: it is settled as an unanswered call's, from its intent on."""
    if batch.uncertain or batch.unsent:
        return batch
    return batch.model_copy(update={"uncertain": True, "uncertain_since": batch.intent_at})


def _drop_if_settled(run: Run, batch: BatchRecord) -> None:
    """A cancelled request's intent without a job: never called; dropped once settled."""
    settle = timedelta(seconds=run.deps.settings.intent_settle_seconds)
    if not cancel.drop_unstarted(run.state, batch, settle, run.now):
        run.state.put_batch(batch.model_copy(update={"next_poll_at": run.now + settle}))


async def intend(
    run: Run, place: Place, planned: Sequence[Sequence[Candidate]], jobs: Sequence[RecoveryJob]
) -> list[BatchRecord]:
    """Record the intent to start each planned batch (conditional writes, at once) and mark
    their servers (kept by the caller's next `run.flush()`, which must come before any
    batch's call)."""
    state, wave = run.state, run.state.summary.wave
    assert wave is not None
    first = 1 + max((b.index for b in state.batches.values() if b.wave == wave), default=-1)
    settle = timedelta(seconds=run.deps.settings.intent_settle_seconds)
    batches = [
        BatchRecord(
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
                    volumes_before=c.volumes_before,
                )
                for c in members
            ),
            drill=state.spec.drill,
            intent_at=run.now,
            prior_job_ids=planning.prior_jobs(
                frozenset(c.launching_server_id for c in members), jobs
            ),
            next_poll_at=run.now + settle,
        )
        for index, members in enumerate(planned, start=first)
    ]
    request_id = state.summary.request_id
    recorded = await at_once(run.deps.store.record_intent(request_id, b) for b in batches)
    for batch, kept in zip(batches, recorded, strict=True):
        if not kept:
            raise LeaseLost(f"batch {batch.key} was recorded by another handler")
    for batch in batches:
        state.batches[batch.key] = batch
        for member in batch.members:
            record = state.servers[member.source_server_id]
            state.put_server(
                record.model_copy(update={"phase": ServerPhase.IN_BATCH, "batch_key": batch.key})
            )
    return batches


async def _start_recovery(run: Run, batch: BatchRecord, *, checked: datetime | None) -> RecoveryJob:
    """StartRecovery, retried while DRS throttles it: a 429 is a refusal DRS answered
    before acting, so no job exists and calling again cannot make a second one. Any
    other failure is left to the intent's reconciliation, never retried blindly.

    Right before each call, unless EC2's answer of this run's own plan of it (asked at
    `checked`) is still fresh (`Run.still_fresh`), the batch's targets are read from EC2
    again; after a pause, always."""
    settings = run.deps.settings
    ids = sorted(batch.launching_ids)
    snapshots = await _recovery_snapshots(run, batch, ids)
    attempt = 1
    while True:
        await run.session.renew()
        if checked is None or not run.still_fresh(checked):
            await _check_targets(run, batch)
        try:
            return await run.drs(batch.place).start_recovery(
                ids, drill=batch.drill, snapshots=snapshots
            )
        except Throttled as exc:
            pause = pacing.start_retry_pause(
                exc.retry_after, attempt, settings.start_retry_max_seconds
            )
            if attempt >= settings.start_throttle_attempts or pause is None:
                raise
            log.info(
                "StartRecovery throttled; calling again",
                extra={"request_id": run.state.summary.request_id, "pause": pause},
            )
            await run.deps.pause(pause)
            attempt += 1
            checked = None


async def _check_targets(run: Run, batch: BatchRecord) -> None:
    """The batch's launch-into targets, as EC2 holds them now, must all still be safe to
    launch into; otherwise DRS is not called (`TargetsChanged`, or `TargetsUnread` when
    EC2 could not be read). EC2's throttling is the run's, as DRS's is."""
    targets = {m.source_server_id: m.expected_instance_id for m in batch.members}
    wanted = sorted({target for target in targets.values() if target})
    if not wanted:
        return
    try:
        seen = await run.ec2(batch.place).instances(wanted)
    except Throttled:
        raise
    except AwsFailure as exc:
        raise TargetsUnread(f"launch-into targets not read before StartRecovery: {exc}") from exc
    refusals = {
        server: refusal
        for server, target in targets.items()
        if target and (refusal := start_refusal(target, seen.get(target), batch.place))
    }
    if refusals:
        raise TargetsChanged(refusals)


async def _recovery_snapshots(run: Run, batch: BatchRecord, ids: Sequence[str]) -> dict[str, str]:
    """A drill's chosen point in time, per server, as DRS lists its snapshots.

    A server DRS holds no such snapshot of is refused with the batch (`StartRefused`):
    it never launches from other data than the operator chose.
    """
    point = run.state.recovery_point
    if point is None or not batch.drill:
        return {}
    drs = run.drs(batch.place)
    chosen: dict[str, str] = {}
    for server_id in ids:
        found = await drs.recovery_snapshot(server_id, point)
        if found is None:
            wanted = f"before {point.before.isoformat()}" if point.before else "of those named"
            raise StartRefused(f"{server_id} has no recovery snapshot {wanted}")
        chosen[server_id] = found
    return chosen


async def call(run: Run, batch: BatchRecord) -> None:
    """StartRecovery for an intended batch of an earlier run, once, its targets read
    again first; what DRS says decides what follows."""
    await call_all(run, [batch], checked=None)


async def call_all(run: Run, batches: Sequence[BatchRecord], *, checked: datetime | None) -> None:
    """StartRecovery for intended batches (their intents and servers already written), all
    at once: each batch's call is its own, once. What DRS said to each is then settled in
    the batches' order and written together; a throttled one stops the run after that.
    `checked`: when EC2 was asked for the batches' targets for this run's plan of them."""
    outcomes = await asyncio.gather(
        *(_attempt(run, batch, checked=checked) for batch in batches), return_exceptions=True
    )
    for outcome in outcomes:  # a lost lease: the holder reconciles the intents, not us
        if isinstance(outcome, BaseException) and not isinstance(
            outcome, AwsFailure | StartRefused | TargetsChanged | TargetsUnread
        ):
            raise outcome
    throttled: Throttled | None = None
    for batch, outcome in zip(batches, outcomes, strict=True):
        if isinstance(outcome, Throttled):
            run.state.put_batch(batch.model_copy(update={"next_poll_at": run.now, "unsent": True}))
            throttled = throttled or outcome
        elif not isinstance(outcome, BaseException):
            await _adopted(run, batch, outcome)
        else:
            _not_started(run, batch, outcome)
    await run.flush()
    if throttled is not None:
        raise throttled


def _not_started(run: Run, batch: BatchRecord, outcome: BaseException) -> None:
    """What follows a batch's call that made no job, or may have made one unseen."""
    if isinstance(outcome, TargetsChanged | TargetsUnread | StartRefused):
        if batch.uncertain and not _waited_out(run, batch):
            # Its own job, not listed yet, may be what holds the servers or started the
            # targets: look for it again, never give the servers back yet.
            _still_uncertain(run, batch, str(outcome))
        elif isinstance(outcome, TargetsChanged):
            _targets_changed(run, batch, outcome.refusals)
        else:
            _refused(run, batch, str(outcome))
    elif isinstance(outcome, AwsFailure):
        _unknown(run, batch, outcome)


async def _attempt(run: Run, batch: BatchRecord, *, checked: datetime | None) -> RecoveryJob:
    try:
        return await _start_recovery(run, batch, checked=checked)
    finally:
        run.forget_scan(batch.place)


def _unknown(run: Run, batch: BatchRecord, exc: AwsFailure) -> None:
    """Whether a job exists is unknown: reconcile later, never call blindly again."""
    later = max(run.deps.settings.intent_settle_seconds, run.deps.settings.error_retry_seconds)
    run.state.put_batch(
        batch.model_copy(
            update={
                "next_poll_at": run.now + timedelta(seconds=later),
                "uncertain": True,
                "uncertain_since": run.now,
            }
        )
    )
    log.warning("StartRecovery failed; the intent will be reconciled", extra={"error": str(exc)})


def _targets_changed(run: Run, batch: BatchRecord, refusals: dict[str, str]) -> None:
    """DRS was not called: a server whose target is no longer safe is rejected with what
    EC2 holds now, and the rest of the batch waits to start again (their targets checked
    anew then)."""
    log.warning(
        "launch-into targets changed before StartRecovery; DRS was not called",
        extra={"request_id": run.state.summary.request_id, "refusals": refusals},
    )
    run.state.put_batch(
        batch.model_copy(update={"status": BatchStatus.REFUSED, "refusal": str(refusals)[:1024]})
    )
    for member in batch.members:
        record = run.state.servers[member.source_server_id]
        refusal = refusals.get(member.source_server_id)
        if refusal is not None:
            run.state.put_server(record.decide("rejected", refusal, run.now))
        else:
            run.state.put_server(
                record.model_copy(update={"phase": ServerPhase.WAITING, "batch_key": None})
            )
    run.wake_in(0)


async def adopt(run: Run, batch: BatchRecord, job: RecoveryJob) -> None:
    """The batch's job is known: report it started, and poll it from now on."""
    await _adopted(run, batch, job)
    await run.flush()


async def _adopted(run: Run, batch: BatchRecord, job: RecoveryJob) -> None:
    first_poll = run.now + timedelta(seconds=run.deps.settings.poll_min_seconds)
    started = batch.model_copy(
        update={
            "status": BatchStatus.STARTED,
            "job_id": job.job_id,
            "started_at": run.now,
            "answered_at": run.deps.clock.now(),
            "created_at": job.created_at,
            "next_poll_at": first_poll,
        }
    )
    await run.emit(report.job_started(started), f"job-started-{batch.key}")
    run.state.put_batch(started)
    for member in batch.members:
        record = run.state.servers[member.source_server_id]
        run.state.put_server(record.model_copy(update={"job_id": job.job_id}))


def _still_uncertain(run: Run, batch: BatchRecord, reason: str) -> None:
    """Refused (by DRS, or by the targets' check) after an unanswered call: the servers are
    likely busy in this batch's own job, which DescribeJobs does not list yet. Keep the
    intent and reconcile again; giving the servers back to the queue could start them a
    second time once that job ends."""
    log.warning(
        "not started after an unanswered call; the intent is kept and reconciled",
        extra={"request_id": run.state.summary.request_id, "reason": reason},
    )
    settle = timedelta(seconds=run.deps.settings.intent_settle_seconds)
    run.state.put_batch(batch.model_copy(update={"next_poll_at": run.now + settle}))


def _waited_out(run: Run, batch: BatchRecord) -> bool:
    """Whether an unanswered call's job would be listed by now, had the call made one."""
    settle = timedelta(seconds=run.deps.settings.intent_settle_seconds)
    return cancel.patience_over(batch, settle, run.now)


def _refused(run: Run, batch: BatchRecord, reason: str) -> None:
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
