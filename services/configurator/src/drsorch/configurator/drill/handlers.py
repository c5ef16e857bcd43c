"""The configurator's drill handlers: keep the drill, verify it, clean it up, on timers.

Every event is published under the drill's own request ID (one request, one trace),
with step names that make a redelivery's events the same events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from drsorch.configurator.dependencies import Dependencies, Drill
from drsorch.configurator.drill import cleanup as clean
from drsorch.configurator.drill import verify
from drsorch.configurator.drill.records import (
    CLEANUP,
    SETUP,
    VERIFIED,
    Cleanup,
    DrillSetup,
    JobRef,
    ReportPart,
    ServerLine,
    Verified,
    report_part,
)
from drsorch.configurator.errors import InconsistentPlan
from drsorch.configurator.events import DrillDue
from drsorch.configurator.roundtrip.ports import RoundTripStore
from drsorch.contracts import (
    Chunk,
    CleanedInstance,
    DrillCleanedUp,
    DrillCleanupRequested,
    DrillInstance,
    DrillRequested,
    DrillVerified,
    Envelope,
    Event,
    RequestCompleted,
)
from drsorch.contracts.events.drill import CleanupTrigger
from drsorch.runtime import Handler, Outbox
from drsorch.runtime.chunks import split

PRODUCER = "configurator"
VERIFY_ATTEMPTS = 90
"""Looks at EC2 for status checks still initializing (each `retry_seconds` apart)."""
PROVE_ATTEMPTS = 90
RESUME_AFTER = timedelta(minutes=2)
"""A clean-up record this old without its answer was left by a crash (a live handler
holds its message well under this): the next trigger carries it on."""


def drill_handlers(deps: Dependencies) -> dict[str, Handler]:
    """The handlers by event type; none when drills are not wired."""
    if deps.drill is None:
        return {}
    steps = _Steps(deps, deps.drill)
    return {
        DrillRequested.event_type: steps.on_drill,
        RequestCompleted.event_type: steps.on_completed,
        DrillCleanupRequested.event_type: steps.on_cleanup_requested,
        DrillDue.event_type: steps.on_due,
    }


def _wrap(event: Event, drill_id: str, step: str, causation: str) -> Envelope[Event]:
    return Envelope.wrap(
        event, request_id=drill_id, step=step, producer=PRODUCER, causation_id=causation
    )


@dataclass(frozen=True)
class _Steps:
    deps: Dependencies
    drill: Drill

    @property
    def store(self) -> RoundTripStore:
        return self.drill.store

    def _timer(self, drill_id: str, kind: str, attempt: int, causation: str) -> Envelope[Event]:
        due = DrillDue.model_validate({"kind": kind, "attempt": attempt})
        return _wrap(due, drill_id, f"drill-due-{kind}-{attempt}", causation)

    async def on_drill(self, envelope: Envelope[Event], outbox: Outbox) -> None:
        """Keep an applied drill's keep-for, read when its launches end."""
        payload = envelope.payload
        assert isinstance(payload, DrillRequested)
        if payload.spec.plan_only:
            return
        setup = DrillSetup(
            accounts=payload.spec.accounts,
            recovery_region=payload.spec.recovery_region,
            keep_for_seconds=payload.keep_for_seconds,
        )
        await self.store.claim(envelope.request_id, SETUP, setup.model_dump_json())

    async def on_completed(self, envelope: Envelope[Event], outbox: Outbox) -> None:
        """A drill's launches are over: keep this chunk; with every chunk, verify."""
        payload = envelope.payload
        assert isinstance(payload, RequestCompleted)
        drill_id = envelope.request_id
        if not payload.drill or payload.status in ("PLANNED", "REJECTED"):
            return
        if await self.store.load(drill_id, SETUP) is None:
            return  # a drill without DrillRequested (`failover --drill`): nothing to clean
        part = ReportPart(
            count=payload.chunk.count,
            status=payload.status,
            jobs=[
                JobRef(
                    job_id=job.job_id,
                    account_id=job.account_id,
                    region=job.region,
                    source_server_ids=list(job.source_server_ids),
                )
                for job in payload.jobs
            ],
            servers=[
                ServerLine(
                    source_server_id=s.server.source_server_id,
                    account_id=s.server.account_id,
                    outcome=s.outcome,
                    reason=s.reason,
                )
                for s in payload.servers
            ],
        )
        await self.store.save(drill_id, report_part(payload.chunk.index), part.model_dump_json())
        if await self._parts(drill_id, payload.chunk.count) is not None:
            await self._verify(drill_id, 1, outbox, envelope.event_id)

    async def _parts(self, drill_id: str, count: int) -> list[ReportPart] | None:
        parts = []
        for index in range(count):
            stored = await self.store.load(drill_id, report_part(index))
            if stored is None:
                return None
            parts.append(ReportPart.model_validate_json(stored))
        return parts

    async def _setup(self, drill_id: str) -> DrillSetup:
        stored = await self.store.load(drill_id, SETUP)
        if stored is None:
            raise InconsistentPlan(f"no drill {drill_id} is kept")
        return DrillSetup.model_validate_json(stored)

    async def _report(self, drill_id: str) -> tuple[list[JobRef], list[ServerLine]]:
        first = await self.store.load(drill_id, report_part(0))
        if first is None:
            return [], []
        parts = await self._parts(drill_id, ReportPart.model_validate_json(first).count) or []
        return [j for p in parts for j in p.jobs], [s for p in parts for s in p.servers]

    async def _verify(self, drill_id: str, attempt: int, outbox: Outbox, causation: str) -> None:
        stored = await self.store.load(drill_id, VERIFIED)
        if stored is not None:
            # A redelivery, or a crash after the claim: the same events and timer again
            # (the same event IDs: whatever was sent before is dropped downstream).
            done = Verified.model_validate_json(stored)
            self._publish_verified(drill_id, done, {}, outbox)
            left = max(timedelta(0), done.cleanup_due_at - self.deps.clock.now())
            outbox.schedule(self._timer(drill_id, "cleanup", 1, done.causation_id), left)
            return
        setup = await self._setup(drill_id)
        jobs, servers = await self._report(drill_id)
        aws, calls = self.drill.aws(setup.accounts)
        evidence = await verify.gather(aws, setup.recovery_region, jobs, servers)
        if not evidence.settled and attempt < VERIFY_ATTEMPTS:
            outbox.schedule(self._timer(drill_id, "verify", attempt + 1, causation), self._delay())
            return
        due = self.deps.clock.now() + timedelta(seconds=setup.keep_for_seconds)
        record = Verified(instances=evidence.instances, cleanup_due_at=due, causation_id=causation)
        if not await self.store.claim(drill_id, VERIFIED, record.model_dump_json()):
            return  # verified by another delivery, which published and armed the clean-up
        self._publish_verified(drill_id, record, calls, outbox)
        outbox.schedule(
            self._timer(drill_id, "cleanup", 1, causation),
            timedelta(seconds=setup.keep_for_seconds),
        )

    def _delay(self) -> timedelta:
        return timedelta(seconds=self.deps.settings.retry_seconds)

    def _publish_verified(
        self, drill_id: str, record: Verified, calls: Mapping[str, int], outbox: Outbox
    ) -> None:
        def build(items: Sequence[DrillInstance], chunk: Chunk) -> DrillVerified:
            return DrillVerified(
                of_request_id=drill_id,
                instances=tuple(items),
                cleanup_due_at=record.cleanup_due_at,
                api_calls=dict(calls) if chunk.index == 0 else {},
                chunk=chunk,
            )

        for event in split(build, record.instances):
            step = f"drill-verified-{event.chunk.index}"
            outbox.publish(_wrap(event, drill_id, step, record.causation_id))

    async def on_cleanup_requested(self, envelope: Envelope[Event], outbox: Outbox) -> None:
        payload = envelope.payload
        assert isinstance(payload, DrillCleanupRequested)
        drill_id = payload.of_request_id
        if await self.store.load(drill_id, SETUP) is None:
            refused = DrillCleanedUp(
                of_request_id=drill_id,
                trigger="operator",
                none_left=False,
                reason=f"{drill_id} is not a drill drsorch launched (drsorch drill): nothing done",
            )
            outbox.publish(_wrap(refused, drill_id, "drill-cleanup-refused", envelope.event_id))
            return
        first = await self.store.load(drill_id, report_part(0))
        count = ReportPart.model_validate_json(first).count if first else 0
        if not count or await self._parts(drill_id, count) is None:
            refused = DrillCleanedUp(
                of_request_id=drill_id,
                trigger="operator",
                none_left=False,
                reason=f"{drill_id} is still launching: clean it up once its launches end "
                "(its keep-for does so by itself); nothing done",
            )
            step = f"drill-cleanup-early-{envelope.event_id}"
            outbox.publish(_wrap(refused, drill_id, step, envelope.event_id))
            return
        await self._cleanup(drill_id, "operator", outbox, envelope.event_id)

    async def on_due(self, envelope: Envelope[Event], outbox: Outbox) -> None:
        payload = envelope.payload
        assert isinstance(payload, DrillDue)
        drill_id = envelope.request_id
        if payload.kind == "verify":
            await self._verify(drill_id, payload.attempt, outbox, envelope.event_id)
        elif payload.kind == "cleanup":
            await self._cleanup(drill_id, "keep_for", outbox, envelope.event_id)
        else:
            await self._finish(drill_id, payload.attempt, outbox)

    async def _cleanup(
        self, drill_id: str, trigger: CleanupTrigger, outbox: Outbox, causation: str
    ) -> None:
        """Start the clean-up once: whoever comes second (the timer after an operator, or a
        redelivery) finds it under way, or done and republishes its answer."""
        stored = await self.store.load(drill_id, CLEANUP)
        if stored is not None:
            await self._under_way(drill_id, Cleanup.model_validate_json(stored), outbox)
            return
        setup = await self._setup(drill_id)
        jobs, _ = await self._report(drill_id)
        aws, _ = self.drill.aws(setup.accounts)
        chosen, left = await clean.targets(aws, jobs)
        record = Cleanup(
            trigger=trigger,
            causation_id=causation,
            started_at=self.deps.clock.now(),
            targets=chosen,
            left=[why[:1024] for why in left],
        )
        if not await self.store.claim(drill_id, CLEANUP, record.model_dump_json()):
            return
        await clean.terminate(record, aws, self.store, drill_id, record.started_at)
        await self.store.save(drill_id, CLEANUP, record.model_dump_json())
        outbox.schedule(self._timer(drill_id, "terminated", 1, causation), self._delay())

    async def _under_way(self, drill_id: str, record: Cleanup, outbox: Outbox) -> None:
        """A clean-up begun before: its answer again when done; carried on when a crash
        left it without its timer (older than `RESUME_AFTER`); else its handler has it."""
        if record.result is not None:
            self._publish_cleaned(drill_id, record, {}, outbox)
            return
        if self.deps.clock.now() - record.started_at < RESUME_AFTER:
            return
        setup = await self._setup(drill_id)
        aws, _ = self.drill.aws(setup.accounts)
        # Each batch's intent settles whether it was called: never a second call blindly.
        await clean.terminate(record, aws, self.store, drill_id, record.started_at)
        await self.store.save(drill_id, CLEANUP, record.model_dump_json())
        timer = self._timer(drill_id, "terminated", 1, record.causation_id)
        outbox.schedule(timer, self._delay())

    async def _finish(self, drill_id: str, attempt: int, outbox: Outbox) -> None:
        """Once DRS shows the TERMINATE jobs done: the proof, published; else look later."""
        stored = await self.store.load(drill_id, CLEANUP)
        if stored is None:
            raise InconsistentPlan(f"no clean-up of {drill_id} to carry on")
        record = Cleanup.model_validate_json(stored)
        if record.result is not None:
            self._publish_cleaned(drill_id, record, {}, outbox)
            return
        setup = await self._setup(drill_id)
        aws, calls = self.drill.aws(setup.accounts)
        batches = await clean.intents(self.store, drill_id, record.batches)
        retry = self._timer(drill_id, "terminated", attempt + 1, record.causation_id)
        if not await clean.jobs_done(aws, batches):
            outbox.schedule(retry, self._delay())
            return
        proven = await clean.prove(record, aws, batches)
        jobs, _ = await self._report(drill_id)
        again, _ = await clean.targets(aws, jobs)
        still = [t for t in again if not t.gone_before]
        none_left = not still and all(p.outcome != "failed" for p in proven)
        if not none_left and attempt < PROVE_ATTEMPTS and not record.failed:
            outbox.schedule(retry, self._delay())  # DRS forgets terminated records late
            return
        record.result, record.none_left = proven, none_left
        await self.store.save(drill_id, CLEANUP, record.model_dump_json())
        self._publish_cleaned(drill_id, record, calls, outbox)

    def _publish_cleaned(
        self, drill_id: str, record: Cleanup, calls: Mapping[str, int], outbox: Outbox
    ) -> None:
        reason = ("left alone: " + "; ".join(record.left))[:1024] if record.left else None

        def build(items: Sequence[CleanedInstance], chunk: Chunk) -> DrillCleanedUp:
            return DrillCleanedUp(
                of_request_id=drill_id,
                trigger=record.trigger,  # type: ignore[arg-type]
                none_left=record.none_left,
                instances=tuple(items),
                reason=reason,
                api_calls=dict(calls) if chunk.index == 0 else {},
                chunk=chunk,
            )

        for event in split(build, record.result or []):
            outbox.publish(
                _wrap(event, drill_id, f"drill-cleaned-{event.chunk.index}", record.causation_id)
            )
