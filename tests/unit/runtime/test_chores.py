"""A service's chores: run on the worker's clock, their outbox sent, a failure survived."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from drsorch.contracts import Envelope
from drsorch.runtime import Chore, MessageProcessor, Outbox, Service
from drsorch.runtime.chores import run_chores
from drsorch.runtime.inbox import MemoryInbox
from support.events import TEST_EVENTS, Tick
from support.runtime_fakes import FakeClock, FakePublisher, FakeQueue


async def test_chores_run_on_their_period_send_their_timers_and_outlive_a_failure() -> None:
    runs: list[int] = []
    stop = asyncio.Event()

    async def chore(outbox: Outbox) -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise ConnectionError("DynamoDB unreachable")  # logged; the next run comes
        tick = Envelope.wrap(
            Tick(n=len(runs)), request_id="req-chore-0001", step=f"t{len(runs)}", producer="unit"
        )
        outbox.schedule(tick, timedelta(0))
        if len(runs) == 3:
            stop.set()

    queue = FakeQueue()
    service = Service("unit", TEST_EVENTS, {}, chores=(Chore("sweep", 0.01, chore),))
    processor = MessageProcessor(
        service, queue, FakePublisher(), MemoryInbox(), max_receives=3, clock=FakeClock()
    )
    await asyncio.wait_for(run_chores(processor, stop), timeout=5)
    assert len(runs) == 3
    assert [m.attributes["type"] for m in queue.sent] == ["Tick", "Tick"]
