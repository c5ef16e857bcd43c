"""The configurator's round-trip handlers: reverse replication, retire, and their timer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from drsorch.configurator.dependencies import Dependencies, RoundTrip
from drsorch.configurator.errors import InconsistentPlan
from drsorch.configurator.events import RoundTripDue
from drsorch.configurator.ports import Cloud
from drsorch.configurator.roundtrip import retire_apply, retire_plan, retire_settle, reverse
from drsorch.configurator.roundtrip.ports import RoundTripDrs
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
    if deps.round_trip is None:
        return {}
    steps = _Steps(deps, deps.round_trip)
    return {
        ReverseReplicationRequested.event_type: steps.on_reverse,
        RetireRequested.event_type: steps.on_retire,
        RoundTripDue.event_type: steps.on_due,
    }


def _wrap(event: Event, request_id: str, step: str, causation: str) -> Envelope[Event]:
    return Envelope.wrap(
        event, request_id=request_id, step=step, producer=PRODUCER, causation_id=causation
    )


def _timer(request_id: str, kind: str, attempt: int, causation: str) -> Envelope[Event]:
    due = RoundTripDue.model_validate({"kind": kind, "attempt": attempt})
    return _wrap(due, request_id, f"due-{kind}-{attempt}", causation)


@dataclass(frozen=True)
class _Steps:
    deps: Dependencies
    trip: RoundTrip

    @property
    def delay(self) -> timedelta:
        return timedelta(seconds=self.deps.settings.retry_seconds)

    async def on_reverse(self, envelope: Envelope[Event], outbox: Outbox) -> None:
        payload = envelope.payload
        assert isinstance(payload, ReverseReplicationRequested)
        own = envelope.request_id
        stored = await self.trip.store.load(own, REVERSE)
        if stored is not None:
            # A redelivery after the record was saved: its timer again (the same event ID,
            # dropped downstream if it was sent before).
            record = ReverseRecord.model_validate_json(stored)
            if not record.final:
                outbox.schedule(_timer(own, REVERSE, record.step, envelope.event_id), self.delay)
            return
        started = await self._start_reverse(payload)
        if isinstance(started, str):
            event = ReverseReplicationReported(
                of_request_id=payload.of_request_id,
                purpose=payload.purpose,
                final=True,
                reason=started,
            )
            outbox.publish(_wrap(event, own, "reverse-0-0", envelope.event_id))
            return
        await self._reverse_step(own, started, outbox, envelope.event_id)

    async def _start_reverse(self, payload: ReverseReplicationRequested) -> ReverseRecord | str:
        of = payload.of_request_id
        request = await self.deps.store.request(of)
        if request is None:
            return f"no request {of} was configured by drsorch"
        pairs = await self.deps.store.pairs(of)
        return reverse.start(payload, request.spec, pairs, self.deps.clock.now())

    async def _reverse_step(
        self, own: str, record: ReverseRecord, outbox: Outbox, causation: str
    ) -> None:
        drs, calls = self.trip.drs(record.accounts)
        await reverse.advance(record, drs, self.deps.clock.now())
        await self.trip.store.save(own, REVERSE, record.model_dump_json())
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
            step = f"reverse-{record.step}-{event.chunk.index}"
            outbox.publish(_wrap(event, own, step, causation))
        if not final:
            outbox.schedule(_timer(own, REVERSE, record.step, causation), self.delay)

    async def on_retire(self, envelope: Envelope[Event], outbox: Outbox) -> None:
        payload = envelope.payload
        assert isinstance(payload, RetireRequested)
        own = envelope.request_id
        if await self.trip.store.load(own, RETIRE) is not None:
            # A redelivery of an apply under way: its first timer again (the same event ID).
            outbox.schedule(_timer(own, RETIRE, 1, envelope.event_id), self.delay)
            return
        request = await self.deps.store.request(payload.of_request_id)
        if request is None or request.spec.operation != "failback" or request.spec.drill:
            why = f"{payload.of_request_id} is not a failback drsorch configured: nothing to retire"
            planned = RetirePlanned(of_request_id=payload.of_request_id, refused=why)
            outbox.publish(_wrap(planned, own, "retire-planned-0", envelope.event_id))
            return
        spec = request.spec
        drs, calls = self.trip.drs(spec.accounts)
        items = retire_plan.lineages(spec, await self.deps.store.pairs(payload.of_request_id))
        facts = await retire_plan.gather(drs, spec, items)
        actions = retire_plan.plan(spec, items, facts, payload.max_replication_lag_seconds)
        cloud = self.deps.cloud(spec.accounts)
        actions += await retire_settle.plan(
            spec,
            items,
            actions,
            of_request_id=payload.of_request_id,
            launch_tag=payload.launch_tag,
            store=self.deps.store,
            cloud=cloud,
        )
        actions.sort(key=lambda a: (retire_plan.ORDER[a.kind], a.source_server_id, a.resource_id))
        calls.update(cloud.calls)
        plan_hash = retire_plan.plan_hash(payload.of_request_id, actions)
        refused = None
        if payload.approved_plan_hash not in (None, plan_hash):
            refused = (
                f"the retire plan of {payload.of_request_id} changed since it was approved "
                f"(approved {payload.approved_plan_hash}, now {plan_hash}): nothing was done"
            )
        elif not payload.plan_only:
            # A retire terminates instances: it runs only on signed approvals the services
            # verify themselves, under the same rules as a launch (never on a hash alone).
            refused = await self.deps.approvals.apply_refusal(
                payload.approvals, own, [plan_hash], self.deps.clock.now()
            )
        if payload.plan_only or refused:
            planned_events = _plan_events(payload, plan_hash, actions, refused, calls)
            for event in planned_events:
                step = f"retire-planned-{event.chunk.index}"
                outbox.publish(_wrap(event, own, step, envelope.event_id))
            return
        record = RetireRecord(
            of_request_id=payload.of_request_id,
            plan_hash=plan_hash,
            actions=actions,
            causation_id=envelope.event_id,
        )
        await retire_apply.phase_one(record, drs)
        await retire_apply.phase_two(record, drs, self.trip.store, own, self.deps.clock.now())
        await self.trip.store.save(own, RETIRE, record.model_dump_json())
        _publish_retired(outbox, own, record, calls, step=1, final=False)
        outbox.schedule(_timer(own, RETIRE, 1, record.causation_id), self.delay)

    async def on_due(self, envelope: Envelope[Event], outbox: Outbox) -> None:
        payload = envelope.payload
        assert isinstance(payload, RoundTripDue)
        own = envelope.request_id
        stored = await self.trip.store.load(own, payload.kind)
        if stored is None:
            raise InconsistentPlan(f"no {payload.kind} {own} to carry on")
        if payload.kind == REVERSE:
            record = ReverseRecord.model_validate_json(stored)
            await self._reverse_step(own, record, outbox, envelope.event_id)
            return
        retire = RetireRecord.model_validate_json(stored)
        request = await self.deps.store.request(retire.of_request_id)
        if request is None:
            raise InconsistentPlan(f"request {retire.of_request_id} is gone")
        drs, calls = self.trip.drs(request.spec.accounts)
        cloud = self.deps.cloud(request.spec.accounts)
        await self._retire_next(
            own, retire, outbox, (drs, cloud), calls, attempt=payload.attempt + 1
        )

    async def _retire_next(
        self,
        own: str,
        record: RetireRecord,
        outbox: Outbox,
        clouds: tuple[RoundTripDrs, Cloud],
        calls: Counter[str],
        *,
        attempt: int,
    ) -> None:
        """Phase 3 once the TERMINATE jobs are done, then the settings and tags, then the
        answer; else look again later."""
        drs, cloud = clouds
        if record.phase == 2:
            if not await retire_apply.jobs_done(record, drs, self.trip.store, own):
                await self.trip.store.save(own, RETIRE, record.model_dump_json())
                _publish_retired(outbox, own, record, calls, step=attempt, final=False)
                outbox.schedule(_timer(own, RETIRE, attempt, record.causation_id), self.delay)
                return
            await retire_apply.phase_three(record, drs)
            await retire_settle.apply(record, self.deps.store, cloud)
            calls.update(cloud.calls)
            await self.trip.store.save(own, RETIRE, record.model_dump_json())

        _publish_retired(outbox, own, record, calls, step=attempt, final=True)


def _publish_retired(
    outbox: Outbox,
    own: str,
    record: RetireRecord,
    calls: Counter[str],
    *,
    step: int,
    final: bool,
) -> None:
    """The apply's account: a progress report while it goes on, the last one `final`."""

    def build(items: Sequence[RetireResult], chunk: Chunk) -> Retired:
        return Retired(
            of_request_id=record.of_request_id,
            plan_hash=record.plan_hash,
            step=step,
            final=final,
            results=tuple(items),
            api_calls=dict(calls) if chunk.index == 0 else {},
            chunk=chunk,
        )

    for event in split(build, record.results(final=final)):
        name = (
            f"retired-{event.chunk.index}"
            if final
            else f"retire-progress-{step}-{event.chunk.index}"
        )
        outbox.publish(_wrap(event, own, name, record.causation_id))


def _plan_events(
    request: RetireRequested,
    plan_hash: str,
    actions: Sequence[RetireAction],
    refused: str | None,
    calls: Counter[str],
) -> list[RetirePlanned]:
    def build(items: Sequence[RetireAction], chunk: Chunk) -> RetirePlanned:
        return RetirePlanned(
            of_request_id=request.of_request_id,
            plan_hash=plan_hash,
            actions=tuple(items),
            refused=refused,
            api_calls=dict(calls) if chunk.index == 0 else {},
            chunk=chunk,
        )

    return split(build, list(actions))
