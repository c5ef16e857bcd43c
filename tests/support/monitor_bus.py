"""The monitor's handlers on an in-memory bus and a fake clock: deterministic runs.

Messages are delivered in due-time order; the fake clock jumps to each one. Delivery
is at least once, as SQS's: an inbox drops an event ID handled before, a handler that
raises gets its message back later, and `crash` stops one delivery dead (the worker
killed), its message to be delivered again after the visibility timeout.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from drsorch.contracts import Envelope, Event, RequestCompleted
from drsorch.monitor.handlers import handlers
from drsorch.monitor.ports import Approvals
from drsorch.monitor.session import Dependencies
from drsorch.monitor.settings import MonitorSettings
from drsorch.monitor.timers import REGISTRY
from drsorch.runtime import Outbox
from drsorch.runtime.chunks import ChunkAssembler, MemoryChunkStore
from support.approval_fakes import ApprovedAlready
from support.monitor_fakes import (
    FakeClock,
    FakeCloudFactory,
    FakeDrsWorld,
    FakeEc2,
    FakeMetrics,
    FakeNotifier,
    FakeStore,
)

MONITOR_INPUTS = frozenset({"PairsMatched", "TargetConfigured", "MonitorTick", "MonitorWake"})


class Crash(BaseException):
    """The worker dies mid-handler: nothing after this point runs, nothing is settled."""


def fast_settings(**overrides: object) -> MonitorSettings:
    values: dict[str, object] = {
        "poll_min_seconds": 10,
        "poll_max_seconds": 60,
        "readiness_poll_seconds": 15,
        "batch_linger_seconds": 60,
        "intent_settle_seconds": 20,
        "lease_seconds": 30,
        "start_retry_seconds": 30,
        "capacity_retry_seconds": 20,
        **overrides,
    }
    return MonitorSettings.model_validate(values)


@dataclass
class Bus:
    """The monitor, its fakes, and its queue."""

    settings: MonitorSettings = field(default_factory=fast_settings)
    clock: FakeClock = field(default_factory=FakeClock)
    visibility_seconds: float = 60
    retry_seconds: float = 5
    max_receives: int = 5
    approvals: Approvals = field(default_factory=ApprovedAlready)

    def __post_init__(self) -> None:
        self.ec2 = FakeEc2()
        self.world = FakeDrsWorld(self.clock, ec2=self.ec2)
        self.store = FakeStore()
        self.metrics = FakeMetrics()
        self.notifier = FakeNotifier()
        self.clouds = FakeCloudFactory(self.world, self.ec2)
        self.deps = Dependencies(
            store=self.store,
            cloud=self.clouds,
            assembler=ChunkAssembler(MemoryChunkStore(), REGISTRY),
            metrics=self.metrics,
            notifier=self.notifier,
            clock=self.clock,
            settings=self.settings,
            approvals=self.approvals,
            pause=self._pause,
        )
        self.handlers = handlers(self.deps)
        self.queue: list[tuple[float, int, Envelope[Event], int]] = []
        self.published: list[Envelope[Event]] = []
        self.handled: set[str] = set()
        self.parked: list[tuple[Envelope[Event], str]] = []
        self.delivered: list[Envelope[Event]] = []
        self.timers: list[tuple[str, float]] = []
        self.crash_when: Callable[[Envelope[Event]], bool] | None = None
        self._seq = itertools.count()
        self.pauses: list[float] = []
        self.during_pause: Callable[[], None] | None = None
        """Called in each pause of a run (what changes in the world while it waits)."""

    async def _pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.clock.advance(seconds)
        if self.during_pause is not None:
            self.during_pause()

    def send(self, envelope: Envelope[Event], delay: float = 0, receives: int = 0) -> None:
        due = self.clock.now().timestamp() + delay
        heapq.heappush(self.queue, (due, next(self._seq), envelope, receives))

    async def step(self) -> bool:
        """Deliver the next message; False when the queue is empty."""
        if not self.queue:
            return False
        due, _, envelope, receives = heapq.heappop(self.queue)
        wait = due - self.clock.now().timestamp()
        if wait > 0:
            self.clock.advance(wait)
        if envelope.event_id in self.handled:
            return True
        outbox = Outbox()
        self.delivered.append(envelope)
        try:
            await self.handlers[envelope.type](envelope, outbox)
        except Crash:
            self.send(envelope, self.visibility_seconds, receives + 1)
            return True
        except Exception as exc:  # the runtime's retry, then its DLQ
            if receives + 1 >= self.max_receives:
                self.parked.append((envelope, repr(exc)))
            else:
                self.send(envelope, self.retry_seconds * 2**receives, receives + 1)
            return True
        self.handled.add(envelope.event_id)
        for event in outbox.events:
            self.published.append(event)
            if event.type in MONITOR_INPUTS:
                self.send(event)
        for timer in outbox.timers:
            self.timers.append((timer.envelope.type, timer.delay.total_seconds()))
            self.send(timer.envelope, timer.delay.total_seconds())
        return True

    async def run(self, until: Callable[[], bool] | None = None, *, limit: int = 20_000) -> None:
        """Deliver messages until `until()` holds (or the queue empties)."""
        for _ in range(limit):
            if until is not None and until():
                return
            if not await self.step():
                assert until is None or until(), "the queue emptied before the condition held"
                return
        raise AssertionError(f"no end after {limit} deliveries")

    def events(self, event_type: str) -> list[Event]:
        """Published events of a type, each event ID once (downstream inboxes dedupe)."""
        unique = {e.event_id: e for e in self.published if e.type == event_type}
        return [e.payload for e in unique.values()]

    def completed(self) -> list[RequestCompleted]:
        found = [e for e in self.events("RequestCompleted") if isinstance(e, RequestCompleted)]
        return sorted(found, key=lambda e: e.chunk.index)

    def ended(self) -> bool:
        done = self.completed()
        return bool(done) and len(done) >= done[0].chunk.count
