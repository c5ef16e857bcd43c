"""One request, one trace: what a handler sends (events, timers, chunks) continues the trace
of the event it handled, through the real processor and SNS publisher over fakes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, cast

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel, Field

from drsorch.contracts import Chunk, Envelope, Event, EventRegistry, Topic, TraceContext
from drsorch.runtime import MessageProcessor, Outbox, Outcome, Service
from drsorch.runtime.chunks import ChunkAssembler, MemoryChunkStore, split
from drsorch.runtime.inbox import MemoryInbox
from drsorch.runtime.messages import ATTR_DUE_AT, InboundMessage, unwrap
from drsorch.runtime.sns import SnsPublisher
from drsorch.runtime.tracing import current_trace_id
from support.alarm_traces import memory_spans, traceparent
from support.events import Ping, Pong, Tick, ping
from support.runtime_fakes import FakeClock, FakeQueue, inbound

if TYPE_CHECKING:
    from types_aiobotocore_sns import SNSClient

TRACE, PARENT = 0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7
TRACE_HEX = f"{TRACE:032x}"


class Item(BaseModel):
    n: int


class Batch(Event):
    """A chunked result, as ServersDiscovered or RequestCompleted are."""

    event_type: ClassVar[str] = "Batch"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.EVENTS

    items: Annotated[tuple[Item, ...], Field(max_length=1000)] = ()
    chunk: Chunk = Chunk()


REGISTRY = EventRegistry([Ping, Pong, Tick, Batch])


class FakeSns:
    """SNS's PublishBatch, recording each entry as the consumer would receive it."""

    def __init__(self) -> None:
        self.delivered: list[InboundMessage] = []

    async def publish_batch(self, **request: Any) -> dict[str, Any]:
        entries: Sequence[dict[str, Any]] = request["PublishBatchRequestEntries"]
        for entry in entries:
            attributes = {
                k: {"Type": "String", "Value": v["StringValue"]}
                for k, v in entry["MessageAttributes"].items()
            }
            notification = {
                "Type": "Notification",
                "Message": entry["Message"],
                "MessageAttributes": attributes,
            }
            self.delivered.append(
                unwrap(f"sns-{len(self.delivered)}", "rh", json.dumps(notification), {}, 1)
            )
        return {"Successful": [{"Id": e["Id"]} for e in entries], "Failed": []}

    def envelopes(self) -> list[Envelope[Event]]:
        return [REGISTRY.parse(m.body) for m in self.delivered]


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    return memory_spans()


@pytest.fixture
def spans(exporter: InMemorySpanExporter) -> InMemorySpanExporter:
    exporter.clear()
    return exporter


def processor(handlers: dict[str, Any], sns: FakeSns, queue: FakeQueue) -> MessageProcessor:
    publisher = SnsPublisher(cast("SNSClient", sns), {Topic.EVENTS: "arn:aws:sns:events"})
    return MessageProcessor(
        Service("unit", REGISTRY, handlers),
        queue,
        publisher,
        MemoryInbox(),
        max_receives=3,
        clock=FakeClock(),
    )


def traced(envelope: Envelope[Event], trace_id: int = TRACE) -> str:
    return envelope.with_trace(TraceContext(traceparent=traceparent(trace_id, PARENT))).to_json()


def reply(envelope: Envelope[Event], event: Event, step: str = "reply") -> Envelope[Event]:
    return Envelope.wrap(
        event,
        request_id=envelope.request_id,
        step=step,
        producer="unit",
        causation_id=envelope.event_id,
    )


async def answer_pong(envelope: Envelope[Event], outbox: Outbox) -> None:
    outbox.publish(reply(envelope, Pong(n=1)))


async def test_published_events_continue_the_trace_of_the_handled_event(
    spans: InMemorySpanExporter,
) -> None:
    sns = FakeSns()
    await processor({"Ping": answer_pong}, sns, FakeQueue()).process(inbound(traced(ping(1))))

    (pong,) = sns.envelopes()
    assert pong.trace.trace_id == TRACE_HEX
    assert sns.delivered[0].attributes["traceparent"] == pong.trace.traceparent
    consumer = next(s for s in spans.get_finished_spans() if s.name == "Ping process")
    publish = next(s for s in spans.get_finished_spans() if s.name == "drsorch publish")
    assert consumer.parent is not None
    assert consumer.parent.span_id == PARENT
    assert publish.parent is not None
    assert publish.parent.span_id == consumer.context.span_id
    assert pong.trace.traceparent == traceparent(TRACE, publish.context.span_id)


async def test_timers_and_timers_sent_on_keep_the_trace(spans: InMemorySpanExporter) -> None:
    async def wait_a_while(envelope: Envelope[Event], outbox: Outbox) -> None:
        outbox.schedule(reply(envelope, Tick(n=1), "tick"), timedelta(hours=2))

    queue = FakeQueue()
    unit = processor({"Ping": wait_a_while}, FakeSns(), queue)
    await unit.process(inbound(traced(ping(2))))
    (timer,) = queue.sent
    assert REGISTRY.parse(timer.body).trace.trace_id == TRACE_HEX

    # Past SQS's 15 minutes the timer comes back early and is sent on: the trace rides along.
    early = inbound(timer.body, message_id="t", attrs=timer.attributes)
    assert (await unit.process(early)).outcome is Outcome.DEFERRED
    assert queue.sent[-1].attributes[ATTR_DUE_AT] == timer.attributes[ATTR_DUE_AT]
    assert REGISTRY.parse(queue.sent[-1].body).trace.trace_id == TRACE_HEX


async def test_chunks_reassembled_by_the_consumer_keep_the_producers_trace(
    spans: InMemorySpanExporter,
) -> None:
    async def produce(envelope: Envelope[Event], outbox: Outbox) -> None:
        items = [Item(n=i) for i in range(150)]
        batches = split(lambda run, chunk: Batch(items=tuple(run), chunk=chunk), items, budget=100)
        outbox.publish(*(reply(envelope, b, f"batch-{b.chunk.index}") for b in batches))

    produced = FakeSns()
    await processor({"Ping": produce}, produced, FakeQueue()).process(inbound(traced(ping(3))))
    assert len(produced.delivered) > 10  # more than one PublishBatch call, so several spans

    assembler = ChunkAssembler(MemoryChunkStore(), REGISTRY)

    async def assemble(envelope: Envelope[Event], outbox: Outbox) -> None:
        assert isinstance(envelope.payload, Batch)
        whole = await assembler.add(envelope, envelope.payload.chunk)
        if whole is not None:
            assert current_trace_id() == TRACE_HEX  # what a monitor would record
            outbox.publish(reply(envelope, Pong(n=len(whole)), "assembled"))

    answered = FakeSns()
    consumer = processor({"Batch": assemble}, answered, FakeQueue())
    for message in reversed(produced.delivered):  # order does not matter
        assert (await consumer.process(message)).outcome is Outcome.HANDLED
    (pong,) = answered.envelopes()
    assert pong.trace.trace_id == TRACE_HEX
    assert {s.context.trace_id for s in spans.get_finished_spans()} == {TRACE}


async def test_a_request_without_a_trace_starts_the_one_trace_of_what_follows(
    spans: InMemorySpanExporter,
) -> None:
    sns = FakeSns()
    await processor({"Ping": answer_pong}, sns, FakeQueue()).process(inbound(ping(4).to_json()))

    consumer = next(s for s in spans.get_finished_spans() if s.name == "Ping process")
    assert consumer.parent is None
    (pong,) = sns.envelopes()
    assert pong.trace.trace_id == trace.format_trace_id(consumer.context.trace_id)


async def test_the_message_attributes_carry_the_trace_when_the_envelope_does_not(
    spans: InMemorySpanExporter,
) -> None:
    sns = FakeSns()
    message = inbound(ping(5).to_json(), attrs={"traceparent": traceparent(TRACE, PARENT)})
    await processor({"Ping": answer_pong}, sns, FakeQueue()).process(message)

    (pong,) = sns.envelopes()
    assert pong.trace.trace_id == TRACE_HEX
