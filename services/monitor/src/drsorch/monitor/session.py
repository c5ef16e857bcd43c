"""One handler's hold on one request: its lease, its records, the events it owes.

Every handler that changes a request holds the request's lease (a conditional write),
so runs of one request never overlap. Events are written to the table before the
records that explain them, and every run that commits publishes every event still
held; the run started by the timer a commit scheduled proves that commit's events were
sent (the runtime sends events before timers) and forgets them. A message redelivered
after its run committed re-sends what that run sent, nothing more.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from drsorch.contracts import Envelope, Event
from drsorch.monitor.cache import StateCache
from drsorch.monitor.domain.records import RequestPhase, RequestState, Summary
from drsorch.monitor.errors import LeaseLost
from drsorch.monitor.ports import (
    Approvals,
    Clock,
    CloudFactory,
    Emission,
    Metrics,
    Notifier,
    Store,
)
from drsorch.monitor.settings import MonitorSettings
from drsorch.monitor.timers import REGISTRY, MonitorTick
from drsorch.runtime import Outbox
from drsorch.runtime.chunks import ChunkAssembler

PRODUCER = "monitor"


@dataclass(frozen=True)
class Dependencies:
    """Everything the handlers use, wired by `bootstrap` (or by a unit test, with fakes)."""

    store: Store
    cloud: CloudFactory
    assembler: ChunkAssembler
    metrics: Metrics
    notifier: Notifier
    clock: Clock
    settings: MonitorSettings
    approvals: Approvals
    """Why an apply may not launch: its signed approvals, verified (`ApprovalCheck`)."""
    pause: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)
    """Waits between StartRecovery calls DRS throttled within one run (a test's advances
    its fake clock instead)."""
    cache: StateCache = field(default_factory=StateCache)
    """The requests' states as this worker last committed them (`cache`)."""


def tick(summary: Summary, seq: int, attempt: int = 0, rearm: int = 0) -> Envelope[Event]:
    """The request's tick number `seq`: the same envelope (and ID) every time it is built."""
    step = f"tick-{seq}-{attempt}" + (f"-r{rearm}" if rearm else "")
    return Envelope.wrap(
        MonitorTick(seq=seq, attempt=attempt, rearm=rearm),
        request_id=summary.request_id,
        step=step,
        producer=PRODUCER,
        causation_id=summary.causation_id,
    )


class RequestSession:
    """A lease on one request for one handler, and the commit that ends its run."""

    def __init__(self, deps: Dependencies, request_id: str, cause: str) -> None:
        self.deps = deps
        self.request_id = request_id
        self.cause = cause
        self.holder = f"{cause}:{uuid.uuid4().hex}"
        self._renewed: datetime | None = None

    @property
    def _lease(self) -> timedelta:
        return timedelta(seconds=self.deps.settings.lease_seconds)

    async def acquire(self) -> bool:
        """Take the lease; False when another handler holds it."""
        now = self.deps.clock.now()
        taken = await self.deps.store.acquire(self.request_id, self.holder, now, now + self._lease)
        self._renewed = now if taken else None
        return taken

    async def renew(self) -> None:
        """Extend the lease (before any call that must not run twice); `LeaseLost` if lost."""
        if not await self.acquire():
            raise LeaseLost(f"request {self.request_id}: another handler took the lease")

    async def keep_alive(self) -> None:
        """Renew once half the lease has passed."""
        if self._renewed is None or self.deps.clock.now() - self._renewed > self._lease / 2:
            await self.renew()

    async def release(self) -> None:
        await self.deps.store.release(self.request_id, self.holder)

    async def emit(self, summary: Summary, event: Event, step: str) -> None:
        """Keep an event to publish; it is written now, before the records it explains."""
        envelope = Envelope.wrap(
            event,
            request_id=self.request_id,
            step=step,
            producer=PRODUCER,
            causation_id=summary.causation_id,
        )
        emission = Emission(step, summary.tick_seq, envelope.to_json())
        await self.deps.store.add_emission(self.request_id, emission)

    async def flush(self, state: RequestState) -> None:
        """Write the records changed so far (not the summary)."""
        servers, batches = state.take_dirty()
        if servers or batches:
            await self.deps.store.save(self.request_id, servers, batches)

    async def commit(
        self, state: RequestState, outbox: Outbox, delay: float | None, version: str | None = None
    ) -> bool:
        """Write every change and the summary; publish what is owed; schedule the next tick.

        True when the records are stored at `version` (the run's claim), so the state may
        be kept for the next run; False when someone moved the version meanwhile."""
        summary = state.summary.model_copy(update={"last_cause": self.cause})
        if delay is not None and summary.phase is RequestPhase.RUNNING:
            summary = summary.model_copy(
                update={"tick_seq": summary.tick_seq + 1, "tick_delay": round(delay, 3)}
            )
        state.summary = summary
        servers, batches = state.take_dirty()
        kept = await self.deps.store.save(self.request_id, servers, batches, summary, version)
        await self._arm(summary)
        await self.replay(summary, outbox)
        return kept

    async def _arm(self, summary: Summary) -> None:
        """Tell the sweep when this request expects its next tick, or that it has ended."""
        if summary.phase is RequestPhase.DONE:
            await self.deps.store.disarm(self.request_id)
        elif summary.tick_seq > 0:
            due = self.deps.clock.now() + timedelta(seconds=summary.tick_delay)
            await self.deps.store.arm(self.request_id, summary.tick_seq, due)

    async def replay(self, summary: Summary, outbox: Outbox) -> None:
        """Publish every event still owed and schedule the current tick, as last committed."""
        owed = await self.deps.store.emissions(self.request_id)
        outbox.publish(*(REGISTRY.parse(emission.body) for emission in owed))
        if summary.phase is RequestPhase.RUNNING and summary.tick_seq > 0:
            outbox.schedule(tick(summary, summary.tick_seq), timedelta(seconds=summary.tick_delay))

    async def forget_sent(self, seq: int) -> None:
        """Forget the events owed by runs before tick `seq`: the commit that scheduled this
        tick published them before the tick itself, so its arrival proves them sent."""
        owed = await self.deps.store.emissions(self.request_id)
        sent = [emission.key for emission in owed if emission.seq < seq]
        if sent:
            await self.deps.store.clear_emissions(self.request_id, sent)
