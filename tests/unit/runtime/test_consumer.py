"""The worker's consumer against a fake queue: batch settling and a clean stop."""

from __future__ import annotations

import asyncio

from drsorch.contracts import Envelope, Event
from drsorch.runtime import MessageProcessor, Outbox, Outcome, RetryPolicy, Service
from drsorch.runtime.consumer import Consumer, ConsumerSettings
from drsorch.runtime.inbox import MemoryInbox
from support.events import TEST_EVENTS, ping
from support.runtime_fakes import FakeClock, FakePublisher, FakeQueue, inbound


async def _fails(envelope: Envelope[Event], outbox: Outbox) -> None:
    raise RuntimeError("always")


def _consumer(queue: FakeQueue, handler: object) -> Consumer:
    processor = MessageProcessor(
        Service("unit", TEST_EVENTS, {"Ping": handler}),  # type: ignore[dict-item]
        queue,
        FakePublisher(),
        MemoryInbox(),
        max_receives=5,
        retry=RetryPolicy(base_seconds=3),
        clock=FakeClock(),
    )
    return Consumer(processor, queue, ConsumerSettings(pollers=1, wait_seconds=0))


async def test_finished_messages_are_deleted_together_and_failures_get_their_backoff() -> None:
    async def ok(envelope: Envelope[Event], outbox: Outbox) -> None:
        return None

    queue = FakeQueue()
    consumer = _consumer(queue, ok)
    good = [inbound(ping(n).to_json(), message_id=f"g{n}") for n in range(3)]
    bad = inbound("{broken", message_id="bad")
    results = await consumer.handle([*good, bad])
    await consumer.settle([*good, bad], results)
    assert [m.message_id for m in queue.deleted] == ["g0", "g1", "g2", "bad"]
    assert consumer.outcomes == {Outcome.HANDLED: 3, Outcome.PARKED: 1}

    failing = _consumer(FakeQueue(), _fails)
    message = inbound(ping(1).to_json(), message_id="f")
    await failing.settle([message], await failing.handle([message]))
    assert failing.queue.deleted == []  # type: ignore[attr-defined]
    assert failing.queue.visibility == [("f", 3)]  # type: ignore[attr-defined]


async def test_the_consumer_drains_then_stops_when_asked() -> None:
    handled: list[int] = []
    stop = asyncio.Event()

    async def record(envelope: Envelope[Event], outbox: Outbox) -> None:
        handled.append(envelope.payload.n)  # type: ignore[attr-defined]
        if len(handled) == 4:
            stop.set()

    queue = FakeQueue(
        inbound=[
            [inbound(ping(n).to_json(), message_id=f"m{n}") for n in range(2)],
            [inbound(ping(n).to_json(), message_id=f"m{n}") for n in range(2, 4)],
        ]
    )
    consumer = _consumer(queue, record)
    await asyncio.wait_for(consumer.run(stop), timeout=5)
    assert sorted(handled) == [0, 1, 2, 3]
    assert len(queue.deleted) == 4
