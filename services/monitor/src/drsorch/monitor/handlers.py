"""The monitor's handlers: PairsMatched, TargetConfigured, CancelRequested, DrillRequested
(a drill's point in time), and its own MonitorTick and MonitorWake timers.

PairsMatched starts a request; TargetConfigured results (rejected when configured
under another plan than the approved one) are
kept as they come, chunk by chunk, and wake the request; every run of a request holds
its lease, acts, commits, and schedules the next tick.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from drsorch.contracts import (
    CancelRequested,
    DrillRequested,
    Envelope,
    Event,
    PairsMatched,
    RequestCancelled,
    TargetConfigured,
)
from drsorch.contracts.events import CancelState
from drsorch.monitor.cache import fresh_version
from drsorch.monitor.domain import cancel
from drsorch.monitor.domain import plan as plans
from drsorch.monitor.domain.records import RequestPhase, RequestState, Summary
from drsorch.monitor.engine import advance
from drsorch.monitor.errors import BadPlan, RequestBusy
from drsorch.monitor.run import Run
from drsorch.monitor.session import PRODUCER, Dependencies, RequestSession, tick
from drsorch.monitor.timers import MonitorTick, MonitorWake
from drsorch.runtime import Handler, Outbox
from drsorch.runtime.tracing import current_trace_id

log = logging.getLogger("drsorch.monitor")


def handlers(deps: Dependencies) -> dict[str, Handler]:
    """The handlers by event type."""

    async def on_pairs_matched(envelope: Envelope[Event], outbox: Outbox) -> None:
        payload = envelope.payload
        assert isinstance(payload, PairsMatched)
        parts = await deps.assembler.add(envelope, payload.chunk)
        if parts is None:
            return  # other chunks still to come; the last one to arrive continues
        chunks = [part.payload for part in parts if isinstance(part.payload, PairsMatched)]
        try:
            plan = plans.Plan.from_chunks(chunks)
        except ValueError as exc:
            raise BadPlan(f"request {envelope.request_id}: {exc}") from exc
        session = RequestSession(deps, envelope.request_id, envelope.event_id)
        if not await session.acquire():
            raise RequestBusy(f"request {envelope.request_id} is being handled; retry")
        try:
            await _start(deps, session, plan, parts[0], outbox)
        finally:
            await session.release()

    async def on_target_configured(envelope: Envelope[Event], outbox: Outbox) -> None:
        payload = envelope.payload
        assert isinstance(payload, TargetConfigured)
        summary = await deps.store.summary(envelope.request_id)
        results = payload.results
        if summary is not None:
            results = plans.under_approval(summary.spec, payload.plan_hash, results)
        request_id, event_id = envelope.request_id, envelope.event_id
        # The state this worker keeps takes the results too, rather than be read again
        # whole by the run they wake (a thousand servers' records per chunk); a run of
        # the request in this worker finishes first.
        async with deps.cache.writing(request_id):
            kept = deps.cache.peek(request_id)
            seen = kept[0] if kept is not None else None
            version = await deps.store.add_results(
                request_id, event_id, results, payload.api_calls, payload.plan_hash, seen=seen
            )
            if seen is not None and version is not None:
                deps.cache.advance(
                    request_id,
                    seen,
                    version,
                    lambda state: state.add_results(
                        event_id, results, payload.api_calls, payload.plan_hash
                    ),
                )
        wake = Envelope.wrap(
            MonitorWake(cause=envelope.event_id),
            request_id=envelope.request_id,
            step=f"wake-{envelope.event_id}",
            producer=PRODUCER,
            causation_id=envelope.event_id,
        )
        # The chunk that ends a burst wakes the request at once; the others after the
        # settle, so a chunk handled after that run still wakes one of its own.
        last = payload.chunk.index == payload.chunk.count - 1
        settle = 0 if last else deps.settings.wake_delay_seconds
        outbox.schedule(wake, timedelta(seconds=settle))

    async def on_wake(envelope: Envelope[Event], outbox: Outbox) -> None:
        await _drive(deps, envelope, outbox, None)

    return {
        CancelRequested.event_type: _cancel_handler(deps),
        PairsMatched.event_type: on_pairs_matched,
        TargetConfigured.event_type: on_target_configured,
        DrillRequested.event_type: _drill_requested(deps),
        MonitorTick.event_type: _tick_handler(deps),
        MonitorWake.event_type: on_wake,
    }


def _tick_handler(deps: Dependencies) -> Handler:
    async def on_tick(envelope: Envelope[Event], outbox: Outbox) -> None:
        payload = envelope.payload
        assert isinstance(payload, MonitorTick)
        if not _known_superseded(deps, envelope, payload):
            await _drive(deps, envelope, outbox, payload)

    return on_tick


def _drill_requested(deps: Dependencies) -> Handler:
    async def on_drill_requested(envelope: Envelope[Event], outbox: Outbox) -> None:
        """A drill's point in time, kept for its StartRecovery calls (nothing else to do:
        its plan arrives through the matcher like any failover's)."""
        payload = envelope.payload
        assert isinstance(payload, DrillRequested)
        if payload.recovery_point is not None and not payload.spec.plan_only:
            await deps.store.keep_drill(envelope.request_id, payload.recovery_point)

    return on_drill_requested


async def _start(
    deps: Dependencies,
    session: RequestSession,
    plan: plans.Plan,
    first: Envelope[Event],
    outbox: Outbox,
) -> None:
    """Record a new request from its plan and run it once."""
    request_id = session.request_id
    summary = await deps.store.summary(request_id)
    if summary is not None:
        if summary.last_cause == session.cause:
            await session.replay(summary, outbox)  # redelivered after its commit
        else:
            log.info("plan already known; duplicate ignored", extra={"request_id": request_id})
        return
    trace_id = first.trace.trace_id or current_trace_id()
    state = plans.start(request_id, plan, first.event_id, deps.clock.now(), trace_id)
    mark = await deps.store.cancel_mark(request_id)
    if mark is not None:  # cancelled before its plan arrived: it launches nothing
        state.summary = cancel.take(state.summary, mark[0], mark[1])
    await deps.store.create(state)
    await _run(deps, session, state, outbox)


async def _drive(
    deps: Dependencies, envelope: Envelope[Event], outbox: Outbox, timer: MonitorTick | None
) -> None:
    """Run the request for a tick (the current one only) or a wake-up."""
    session = RequestSession(deps, envelope.request_id, envelope.event_id)
    if not await session.acquire():
        if timer is not None:  # a wake-up may drop: the holder's run goes on anyway
            summary = await deps.store.summary(envelope.request_id)
            if summary is not None and summary.tick_seq == timer.seq:
                outbox.schedule(
                    tick(summary, timer.seq, timer.attempt + 1, timer.rearm),
                    timedelta(seconds=deps.settings.lease_retry_seconds),
                )
        return
    try:
        head = await deps.store.head(envelope.request_id)
        if head is None:
            return
        summary = head.summary
        if summary.last_cause == session.cause:
            await session.replay(summary, outbox)  # redelivered after its run committed
            return
        superseded = timer is not None and timer.seq != summary.tick_seq
        if summary.phase is RequestPhase.DONE:
            deps.cache.forget(envelope.request_id)
        if summary.phase is RequestPhase.DONE or superseded:
            return
        if timer is not None and not timer.rearm:  # a re-armed tick proves no send
            await session.forget_sent(timer.seq)
        # Results this worker keeps wait for the run rather than make its state stale.
        async with deps.cache.writing(envelope.request_id):
            state, version = await _claim(deps, envelope.request_id, head.version)
            if state is not None:
                await _run(deps, session, state, outbox, version)
    finally:
        await session.release()


def _known_superseded(deps: Dependencies, envelope: Envelope[Event], timer: MonitorTick) -> bool:
    """A tick that this worker's last commit already numbered past: dropped without taking
    the lease, so that it never holds off the current tick delivered beside it (which would
    wait `lease_retry_seconds`). The number only grows, so a later one proves it stale;
    the tick whose own run made that commit is let through, to replay what it sent."""
    kept = deps.cache.peek(envelope.request_id)
    if kept is None:
        return False
    summary = kept[1].summary
    return summary.tick_seq > timer.seq and summary.last_cause != envelope.event_id


async def _claim(
    deps: Dependencies, request_id: str, seen: str | None
) -> tuple[RequestState | None, str | None]:
    """The request's state for a run, and the version the run holds (None: it holds none
    and its state is not kept).

    The version moves before the run writes anything. The state kept from this worker's
    last commit is used only if the version is still the one that commit wrote."""
    kept = deps.cache.take(request_id, seen)
    version = fresh_version()
    if not await deps.store.claim(request_id, seen, version):
        return await deps.store.load(request_id), None  # written meanwhile: read it all
    return kept or await deps.store.load(request_id), version


async def _run(
    deps: Dependencies,
    session: RequestSession,
    state: RequestState,
    outbox: Outbox,
    version: str | None = None,
) -> None:
    cloud = deps.cloud(state.spec.accounts)
    run = Run(deps, session, state, cloud, deps.clock.now())
    delay = await advance(run)
    kept = await session.commit(state, outbox, delay, version)
    if kept and version is not None and state.summary.phase is RequestPhase.RUNNING:
        deps.cache.keep(session.request_id, version, state)


def _cancel_handler(deps: Dependencies) -> Handler:
    """CancelRequested: take the cancel under the request's lease, and answer it."""

    async def on_cancel(envelope: Envelope[Event], outbox: Outbox) -> None:
        payload = envelope.payload
        assert isinstance(payload, CancelRequested)
        session = RequestSession(deps, payload.cancel_request_id, envelope.event_id)
        if not await session.acquire():
            raise RequestBusy(f"request {payload.cancel_request_id} is being handled; retry")
        try:
            answer = await _cancel(deps, session, payload, outbox)
        finally:
            await session.release()
        outbox.publish(
            Envelope.wrap(
                answer,
                request_id=envelope.request_id,
                step="cancel-answer",
                producer=PRODUCER,
                causation_id=envelope.event_id,
            )
        )

    return on_cancel


async def _cancel(
    deps: Dependencies, session: RequestSession, payload: CancelRequested, outbox: Outbox
) -> RequestCancelled:
    """Take the cancel (the first one's name is kept) and run the request once on it."""
    target, now = payload.cancel_request_id, deps.clock.now()
    head = await deps.store.head(target)
    if head is None:
        await deps.store.mark_cancel(target, payload.requested_by, now)
        mark = await deps.store.cancel_mark(target)
        who, at = mark if mark is not None else (payload.requested_by, now)
        why = (
            f"the monitor has no plan of request {target}: nothing was launched for it, and "
            "if its plan arrives later it launches nothing"
        )
        return RequestCancelled(
            cancel_request_id=target,
            state="unknown",
            cancelled_by=who,
            cancelled_at=at,
            reason=why,
        )
    summary = head.summary
    if summary.phase is RequestPhase.DONE:
        state = await deps.store.load(target)
        return _answer(target, summary, "finished", payload.requested_by, now, state)
    # Claimed like any run: a cancel cut short never leaves a worker's kept state current.
    state, version = await _claim(deps, target, head.version)
    if state is None:
        return _answer(target, summary, "finished", payload.requested_by, now, state)
    state.summary = cancel.take(state.summary, payload.requested_by, now)
    await _run(deps, session, state, outbox, version)
    ended = state.summary.phase is RequestPhase.DONE
    return _answer(target, state.summary, "cancelled" if ended else "cancelling", "", now, state)


def _answer(  # noqa: PLR0917 - one call site, each argument named there
    target: str,
    summary: Summary,
    kind: CancelState,
    asker: str,
    now: datetime,
    state: RequestState | None,
) -> RequestCancelled:
    skipped, running, launched = cancel.counts(state) if state is not None else (0, 0, 0)
    reason = None
    if kind == "finished":
        reason = (
            f"request {target} had already ended ({summary.status or 'done'}): nothing was changed"
        )
    return RequestCancelled(
        cancel_request_id=target,
        state=kind,
        cancelled_by=summary.cancelled_by or asker,
        cancelled_at=summary.cancelled_at or now,
        skipped=skipped,
        running_jobs=running,
        launched=launched,
        reason=reason,
    )
