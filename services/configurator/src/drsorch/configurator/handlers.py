"""The configurator's handlers: PairsMatched, its ConfigurationDue timer, RestoreRequested,
and the round trip's (reverse replication, retire)."""

from __future__ import annotations

import logging
from datetime import timedelta

from drsorch.configurator.advance import StepResult, advance
from drsorch.configurator.dependencies import Dependencies
from drsorch.configurator.drill.handlers import drill_handlers
from drsorch.configurator.errors import InconsistentPlan
from drsorch.configurator.events import ConfigurationDue
from drsorch.configurator.plan import Plan, contested
from drsorch.configurator.records import PairRecord, RequestRecord
from drsorch.configurator.restore import Restore, restore
from drsorch.configurator.roundtrip.handlers import round_trip_handlers
from drsorch.contracts import Envelope, Event, PairsMatched, RestoreRequested
from drsorch.runtime import Handler, Outbox

PRODUCER = "configurator"
log = logging.getLogger("drsorch.configurator")


def handlers(deps: Dependencies) -> dict[str, Handler]:
    """The handlers by event type."""

    async def on_pairs_matched(envelope: Envelope[Event], outbox: Outbox) -> None:
        payload = envelope.payload
        assert isinstance(payload, PairsMatched)
        parts = await deps.assembler.add(envelope, payload.chunk)
        if parts is None:
            return  # other chunks still to come; the last one to arrive continues
        request = await deps.store.request(envelope.request_id)
        if request is None:
            request = await _start(deps, parts)
        elif request.plan_hash != payload.match_hash or request.spec != payload.spec:
            # Request IDs name one request; a second plan under one is not applied.
            log.warning(
                "a different plan for a request already configured is ignored",
                extra={"request_id": envelope.request_id, "match_hash": payload.match_hash},
            )
        step = await advance(envelope.request_id, request, deps, deps.clock.now(), 1)
        _send(envelope.request_id, request, step, outbox, attempt=1)

    async def on_due(envelope: Envelope[Event], outbox: Outbox) -> None:
        payload = envelope.payload
        assert isinstance(payload, ConfigurationDue)
        request = await deps.store.request(envelope.request_id)
        if request is None:
            raise InconsistentPlan(f"no request {envelope.request_id} to configure")
        attempt = payload.attempt + 1
        step = await advance(envelope.request_id, request, deps, deps.clock.now(), attempt)
        _send(envelope.request_id, request, step, outbox, attempt=attempt)

    async def on_restore(envelope: Envelope[Event], outbox: Outbox) -> None:
        payload = envelope.payload
        assert isinstance(payload, RestoreRequested)
        given = Restore(payload, envelope.request_id, deps.clock.now())
        for event in await restore(given, deps.store, deps.cloud, deps.approvals):
            outbox.publish(
                Envelope.wrap(
                    event,
                    request_id=envelope.request_id,
                    step=f"restored-{event.chunk.index}",
                    producer=PRODUCER,
                    causation_id=envelope.event_id,
                )
            )

    return {
        PairsMatched.event_type: on_pairs_matched,
        ConfigurationDue.event_type: on_due,
        RestoreRequested.event_type: on_restore,
        **round_trip_handlers(deps),
        **drill_handlers(deps),
    }


async def _start(deps: Dependencies, parts: list[Envelope[Event]]) -> RequestRecord:
    """Record a new request and its pairs from the whole PairsMatched result."""
    chunks = [part.payload for part in parts if isinstance(part.payload, PairsMatched)]
    try:
        plan = Plan.from_chunks(chunks)
    except ValueError as exc:
        raise InconsistentPlan(str(exc)) from exc
    deadline = deps.clock.now() + timedelta(seconds=deps.settings.prepare_deadline_seconds)
    request = RequestRecord(
        spec=plan.spec,
        plan_hash=plan.plan_hash,
        causation_id=parts[0].event_id,
        deadline=deadline,
        contested=contested(plan),
        received_at=deps.clock.now(),
    )
    pairs = [PairRecord(pair=pair) for pair in plan.pairs]
    await deps.store.start_request(parts[0].request_id, request, pairs)
    return request


def _send(
    request_id: str, request: RequestRecord, step: StepResult, outbox: Outbox, *, attempt: int
) -> None:
    """Publish what this step settled, and schedule the next try of the waiting pairs."""
    for event in step.configured:
        outbox.publish(
            Envelope.wrap(
                event,
                request_id=request_id,
                step=f"configured-{attempt}-{event.chunk.index}",
                producer=PRODUCER,
                causation_id=request.causation_id,
            )
        )
    if step.retry_in is not None:
        timer = Envelope.wrap(
            ConfigurationDue(attempt=attempt),
            request_id=request_id,
            step=f"due-{attempt}",
            producer=PRODUCER,
            causation_id=request.causation_id,
        )
        outbox.schedule(timer, step.retry_in)
