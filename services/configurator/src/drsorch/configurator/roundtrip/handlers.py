"""The configurator's round-trip handlers: reverse replication, retire, and their timer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from drsorch.configurator.dependencies import Dependencies, RoundTrip
from drsorch.configurator.errors import InconsistentPlan
from drsorch.configurator.events import RoundTripDue
from drsorch.configurator.roundtrip import retire_apply, retire_plan, reverse
from drsorch.configurator.roundtrip.retire_apply import RetireRecord
from drsorch.configurator.roundtrip.reverse import ReverseRecord
from drsorch.contracts import (
    Chunk,
    Envelope,
    Event,
    RetireAction,
    Retired,
    RetirePlanned,
    RetireRequested,
    RetireResult,
    ReversedServer,
    ReverseReplicationReported,
    ReverseReplicationRequested,
)
from drsorch.runtime import Handler, Outbox
from drsorch.runtime.chunks import split

PRODUCER = "configurator"
REVERSE, RETIRE = "reverse", "retire"


def round_trip_handlers(deps: Dependencies) -> dict[str, Handler]:
    """The handlers by event type; none when the round trip is not wired."""
    trip = deps.round_trip
    if trip is None:
        return {}

    async def on_reverse(envelope: Envelope[Event], outbox: Outbox) -> None:
        payload = envelope.payload
        assert isinstance(payload, ReverseReplicationRequested)
        own = envelope.request_id
        stored = await trip.store.load(own, REVERSE)
        if stored is not None:
            # A redelivery after the record was saved: its timer again (the same event ID,
            # dropped downstream if it was sent before).
            record = ReverseRecord.model_validate_json(stored)
            if not record.final:
                delay = timedelta(seconds=deps.settings.retry_seconds)
                outbox.schedule(_timer(own, REVERSE, record.step, envelope.event_id), delay)
            return
        spec = await deps.store.request(payload.of_request_id)
        started = (
            f"no request {payload.of_request_id} was configured by drsorch"
            if spec is None
            else reverse.start(
                payload,
                spec.spec,
                await deps.store.pairs(payload.of_request_id),
                deps.clock.now(),
            )
        )
        if isinstance(started, str):
            event = ReverseReplicationReported(
                of_request_id=payload.of_request_id,
                purpose=payload.purpose,
                final=True,
                reason=started,
            )
            outbox.publish(_wrap(event, own, "reverse-0-0", envelope.event_id))
            return
        await _reverse_step(deps, trip, own, started, outbox, envelope.event_id)

    async def on_retire(envelope: Envelope[Event], outbox: Outbox) -> None:
        payload = envelope.payload
        assert isinstance(payload, RetireRequested)
        own = envelope.request_id
        stored = await trip.store.load(own, RETIRE)
        if stored is not None:  # a redelivery of an apply under way: its first timer again
            delay = timedelta(seconds=deps.settings.retry_seconds)
            outbox.schedule(_timer(own, RETIRE, 1, envelope.event_id), delay)
            return
        request = await deps.store.request(payload.of_request_id)
        if request is None or request.spec.operation != "failback" or request.spec.drill:
            why = f"{payload.of_request_id} is not a failback drsorch configured: nothing to retire"
            planned = RetirePlanned(of_request_id=payload.of_request_id, refused=why)
            outbox.publish(_wrap(planned, own, "retire-planned-0", envelope.event_id))
            return
        spec = request.spec
        drs, calls = trip.drs(spec.accounts)
        items = retire_plan.lineages(spec, await deps.store.pairs(payload.of_request_id))
        facts = await retire_plan.gather(drs, spec, items)
        actions = retire_plan.plan(spec, items, facts, payload.max_replication_lag_seconds)
        plan_hash = retire_plan.plan_hash(payload.of_request_id, actions)
        refused = None
        if payload.approved_plan_hash not in (None, plan_hash):
            refused = (
                f"the retire plan of {payload.of_request_id} changed since it was approved "
                f"(approved {payload.approved_plan_hash}, now {plan_hash}): nothing was done"
            )
        if payload.plan_only or refused:
            _publish_plan(
                outbox, own, envelope.event_id, payload, plan_hash, actions, refused, calls
            )
            return
        record = RetireRecord(
            of_request_id=payload.of_request_id,
            plan_hash=plan_hash,
            actions=actions,
            causation_id=envelope.event_id,
        )
        await retire_apply.phase_one(record, drs)
        await retire_apply.phase_two(record, drs, trip.store, own, deps.clock.now())
        await trip.store.save(own, RETIRE, record.model_dump_json())
        await _retire_next(deps, trip, own, record, outbox, calls, attempt=1)

    async def on_due(envelope: Envelope[Event], outbox: Outbox) -> None:
        payload = envelope.payload
        assert isinstance(payload, RoundTripDue)
        own = envelope.request_id
        stored = await trip.store.load(own, payload.kind)
        if stored is None:
            raise InconsistentPlan(f"no {payload.kind} {own} to carry on")
        if payload.kind == REVERSE:
            record = ReverseRecord.model_validate_json(stored)
            await _reverse_step(deps, trip, own, record, outbox, envelope.event_id)
            return
        retire = RetireRecord.model_validate_json(stored)
        request = await deps.store.request(retire.of_request_id)
        if request is None:
            raise InconsistentPlan(f"request {retire.of_request_id} is gone")
        drs, calls = trip.drs(request.spec.accounts)
        await _retire_next(
            deps, trip, own, retire, outbox, calls, attempt=payload.attempt + 1, drs=drs
        )

    return {
        ReverseReplicationRequested.event_type: on_reverse,
        RetireRequested.event_type: on_retire,
        RoundTripDue.event_type: on_due,
    }


def _wrap(event: Event, request_id: str, step: str, causation: str) -> Envelope[Event]:
    return Envelope.wrap(
        event, request_id=request_id, step=step, producer=PRODUCER, causation_id=causation
    )


def _timer(request_id: str, kind: str, attempt: int, causation: str) -> Envelope[Event]:
    due = RoundTripDue.model_validate({"kind": kind, "attempt": attempt})
    return _wrap(due, request_id, f"due-{kind}-{attempt}", causation)


async def _reverse_step(
    deps: Dependencies,
    trip: RoundTrip,
    own: str,
    record: ReverseRecord,
    outbox: Outbox,
    causation: str,
) -> None:
    drs, calls = trip.drs(record.accounts)
    await reverse.advance(record, drs, deps.clock.now())
    await trip.store.save(own, REVERSE, record.model_dump_json())
    final = record.final

    def build(items: Sequence[ReversedServer], chunk: Chunk) -> ReverseReplicationReported:
        return ReverseReplicationReported(
            of_request_id=record.of_request_id,
            purpose=record.purpose,
            step=record.step,
            final=final,
            servers=tuple(items),
            api_calls=dict(calls) if chunk.index == 0 else {},
            chunk=chunk,
        )

    for event in split(build, [track.report() for track in record.tracks]):
        outbox.publish(_wrap(event, own, f"reverse-{record.step}-{event.chunk.index}", causation))
    if not final:
        delay = timedelta(seconds=deps.settings.retry_seconds)
        outbox.schedule(_timer(own, REVERSE, record.step, causation), delay)


def _publish_plan(
    outbox: Outbox,
    own: str,
    causation: str,
    request: RetireRequested,
    plan_hash: str,
    actions: Sequence[RetireAction],
    refused: str | None,
    calls: Counter[str],
) -> None:
    def build(items: Sequence[RetireAction], chunk: Chunk) -> RetirePlanned:
        return RetirePlanned(
            of_request_id=request.of_request_id,
            plan_hash=plan_hash,
            actions=tuple(items),
            refused=refused,
            api_calls=dict(calls) if chunk.index == 0 else {},
            chunk=chunk,
        )

    for event in split(build, list(actions)):
        outbox.publish(_wrap(event, own, f"retire-planned-{event.chunk.index}", causation))


async def _retire_next(
    deps: Dependencies,
    trip: RoundTrip,
    own: str,
    record: RetireRecord,
    outbox: Outbox,
    calls: Counter[str],
    *,
    attempt: int,
    drs: Any = None,
) -> None:
    """Phase 3 once the TERMINATE jobs are done, then the answer; else look again later."""
    if drs is not None and record.phase == 2:
        if not await retire_apply.jobs_done(record, drs, trip.store, own):
            await trip.store.save(own, RETIRE, record.model_dump_json())
            delay = timedelta(seconds=deps.settings.retry_seconds)
            outbox.schedule(_timer(own, RETIRE, attempt, record.causation_id), delay)
            return
        await retire_apply.phase_three(record, drs)
        await trip.store.save(own, RETIRE, record.model_dump_json())
    if record.phase < 3:
        delay = timedelta(seconds=deps.settings.retry_seconds)
        outbox.schedule(_timer(own, RETIRE, attempt, record.causation_id), delay)
        return

    def build(items: Sequence[RetireResult], chunk: Chunk) -> Retired:
        return Retired(
            of_request_id=record.of_request_id,
            plan_hash=record.plan_hash,
            results=tuple(items),
            api_calls=dict(calls) if chunk.index == 0 else {},
            chunk=chunk,
        )

    for event in split(build, record.results()):
        outbox.publish(_wrap(event, own, f"retired-{event.chunk.index}", record.causation_id))
