"""Two throwaway handlers exchange events through the real topology on the local endpoint.

The template in infra/aws is deployed into the endpoint (moto + drsorch's DRS
emulator) as its own stack; the runtime's workers run in this process against it
with the real aiobotocore clients over HTTP.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from drsorch.contracts import EVENTS, Envelope, Event, EventRegistry
from drsorch.contracts.events.configuration import TargetConfigured
from drsorch.contracts.events.discovery import ServersDiscovered
from drsorch.contracts.events.matching import PairsMatched
from drsorch.contracts.events.requests import (
    Accounts,
    FailbackRequested,
    RequestSpec,
    Scope,
)
from drsorch.local.deploy import StackOutputs
from drsorch.local.server import LocalEndpoint
from drsorch.runtime import Outbox, Resources, RuntimeSettings, Service, lambda_handler, serve
from drsorch.runtime.tracing import instrument_aws_clients
from support.aws import client, deploy, depth, drain, wait_for
from support.events import Tick
from support.producers import publish_as_producers

pytestmark = pytest.mark.integration

STACK = "rtbus"
MAX_RECEIVES = 3
PLAN_HASH = "0" * 64


def request(requested_by: str = "operator", reason: str | None = None) -> FailbackRequested:
    return FailbackRequested(
        spec=RequestSpec(
            operation="failback",
            scope=Scope(selector={"app": "payments"}),
            accounts=Accounts(hub="123456789012"),
            primary_region="us-east-1",
            recovery_region="us-west-2",
            requested_by=requested_by,
            reason=reason,
        )
    )


def wrap(event: Event, request_id: str, step: str = "request") -> Envelope[Event]:
    return Envelope.wrap(event, request_id=request_id, step=step, producer="cli")


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrument_aws_clients()
    yield exporter


@pytest.fixture(scope="module")
def topology(endpoint: LocalEndpoint) -> StackOutputs:
    return deploy(STACK, MaxReceiveCount=MAX_RECEIVES, VisibilityTimeoutSeconds=10)


@dataclass
class Seen:
    """What the throwaway handlers saw, with events a test can wait on."""

    requests: list[str] = field(default_factory=list)
    discovered: list[Envelope[Event]] = field(default_factory=list)
    ticks: list[float] = field(default_factory=list)
    timer_sent_at: list[float] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def note(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def until(self, predicate: Any, within: float = 20.0) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(predicate), within)


def discovery_service(seen: Seen) -> Any:
    async def on_request(envelope: Envelope[Event], outbox: Outbox) -> None:
        assert isinstance(envelope.payload, FailbackRequested)
        seen.requests.append(envelope.event_id)
        await seen.note()
        spec = envelope.payload.spec
        if spec.requested_by == "poison":
            raise RuntimeError("discovery cannot reach the spoke account")
        if spec.reason == "timer":
            tick = Envelope.wrap(
                Tick(n=1), request_id=envelope.request_id, step="tick", producer="discovery"
            )
            outbox.schedule(tick, timedelta(seconds=3))
            seen.timer_sent_at.append(time.monotonic())
            return
        outbox.publish(
            Envelope.wrap(
                ServersDiscovered(spec=spec),
                request_id=envelope.request_id,
                step="discovered",
                producer="discovery",
                causation_id=envelope.event_id,
            )
        )

    async def on_tick(envelope: Envelope[Event], outbox: Outbox) -> None:
        seen.ticks.append(time.monotonic())
        await seen.note()

    async def build(resources: Resources) -> Service:
        registry = EventRegistry([*EVENTS, Tick])
        return Service("discovery", registry, {"FailbackRequested": on_request, "Tick": on_tick})

    return build


def matcher_service(seen: Seen) -> Any:
    async def on_discovered(envelope: Envelope[Event], outbox: Outbox) -> None:
        seen.discovered.append(envelope)
        await seen.note()

    async def build(resources: Resources) -> Service:
        return Service("matcher", EVENTS, {"ServersDiscovered": on_discovered})

    return build


@pytest.fixture
async def workers(topology: StackOutputs, spans: InMemorySpanExporter) -> AsyncIterator[Seen]:
    seen = Seen()
    stop = asyncio.Event()
    settings = RuntimeSettings(
        stack_name=STACK, wait_seconds=1, retry_base_seconds=0, retry_busy_seconds=1, pollers=2
    )
    tasks = [
        asyncio.create_task(serve("discovery", discovery_service(seen), stop, settings)),
        asyncio.create_task(serve("matcher", matcher_service(seen), stop, settings)),
    ]
    yield seen
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=15)


async def publish(*envelopes: Envelope[Event]) -> None:
    """Each envelope on the topic of the service that produces it."""
    await publish_as_producers(StackOutputs.from_outputs(STACK, _outputs()), envelopes)


def _outputs() -> dict[str, str]:
    stack = client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def parked(dlq_url: str, expect: int = 1) -> list[dict[str, Any]]:
    return drain(dlq_url, expect=expect, timeout=20)


async def test_fan_out_follows_the_filter_policies(topology: StackOutputs) -> None:
    spec = request().spec
    pairs = PairsMatched(spec=spec, match_hash=PLAN_HASH)
    await publish(
        wrap(request(), "req-fanout-0001"),
        wrap(pairs, "req-fanout-0001", "pairs"),
        wrap(TargetConfigured(), "req-fanout-0001", "configured"),
    )
    received = {
        name: sorted(
            # Raw delivery is off: SNS's attributes ride inside the notification body.
            json.loads(m["Body"])["MessageAttributes"]["type"]["Value"]
            for m in await asyncio.to_thread(drain, getattr(topology, name).queue_url, expect=want)
        )
        for name, want in (("discovery", 1), ("configurator", 1), ("monitor", 2))
    }
    assert received == {
        "discovery": ["FailbackRequested"],
        "configurator": ["PairsMatched"],
        "monitor": ["PairsMatched", "TargetConfigured"],
    }
    assert depth(topology.matcher.queue_url) == 0  # SNS delivered synchronously: nothing came


async def test_handlers_exchange_events_and_a_duplicate_is_processed_once(
    workers: Seen, spans: InMemorySpanExporter
) -> None:
    tracer = trace.get_tracer("tests")
    envelope = wrap(request(), "req-exchange-0001")
    with tracer.start_as_current_span("operator asks for failback", kind=SpanKind.PRODUCER) as root:
        await publish(envelope)
        await publish(envelope)  # the same event delivered twice
    await workers.until(lambda: len(workers.discovered) >= 1 and len(workers.requests) >= 1)
    # The second copy reaches the inbox and is dropped; wait until both copies are gone.
    queue = _outputs()["DiscoveryQueueUrl"]
    await _until_empty(queue)
    assert workers.requests == [envelope.event_id]
    assert len(workers.discovered) == 1
    discovered = workers.discovered[0]
    assert discovered.causation_id == envelope.event_id
    assert discovered.request_id == envelope.request_id

    trace_id = root.get_span_context().trace_id
    consumers = [
        s
        for s in spans.get_finished_spans()
        if s.kind is SpanKind.CONSUMER
        and s.attributes
        and s.attributes.get("drsorch.request_id") == "req-exchange-0001"
    ]
    by_service = {str(s.attributes["drsorch.service"]) for s in consumers if s.attributes}
    assert by_service == {"discovery", "matcher"}
    assert {s.context.trace_id for s in consumers} == {trace_id}  # one trace, producer to consumer
    # AWS calls made while handling (the inbox's DynamoDB writes, the SNS publish) join it too.
    aws_services = {
        str(s.attributes.get("rpc.service"))
        for s in spans.get_finished_spans()
        if s.context.trace_id == trace_id and s.attributes and "rpc.service" in s.attributes
    }
    assert {"SNS", "DynamoDB"} <= aws_services


async def _until_empty(queue_url: str) -> None:
    await asyncio.to_thread(wait_for, lambda: depth(queue_url) == 0)


async def test_a_poison_message_is_parked_after_the_configured_receives_with_its_reason(
    workers: Seen, topology: StackOutputs, caplog: pytest.LogCaptureFixture
) -> None:
    envelope = wrap(request(requested_by="poison"), "req-poison-0001")

    def parked_line() -> list[logging.LogRecord]:
        return [
            r
            for r in caplog.records
            if getattr(r, "event_id", None) == envelope.event_id
            and getattr(r, "reason", "") == "handler-failed"
        ]

    with caplog.at_level(logging.WARNING, logger="drsorch"):
        await publish(envelope)
        dead = await asyncio.to_thread(parked, topology.discovery.dead_letter_queue_url)
        # The worker logs the park once its dead-letter send and delete are done, which
        # can be after the message shows in the dead-letter queue: wait for the line.
        logged = await asyncio.to_thread(wait_for, parked_line)
    assert len(dead) == 1
    attrs = {k: v["StringValue"] for k, v in dead[0]["MessageAttributes"].items()}
    assert attrs["drsorch_park_reason"] == "handler-failed"
    assert "cannot reach the spoke account" in attrs["drsorch_park_detail"]
    assert workers.requests.count(envelope.event_id) == MAX_RECEIVES
    notification = json.loads(dead[0]["Body"])
    assert json.loads(notification["Message"])["event_id"] == envelope.event_id  # kept whole
    assert logged[0].levelno == logging.ERROR


async def test_an_unknown_version_is_parked_at_once(
    workers: Seen, topology: StackOutputs, caplog: pytest.LogCaptureFixture
) -> None:
    envelope = wrap(request(), "req-version-0001")
    body = envelope.to_json().replace(f'"version":{envelope.version}', '"version":7')

    def parked_line() -> list[logging.LogRecord]:
        return [r for r in caplog.records if getattr(r, "reason", "") == "unknown-version"]

    with caplog.at_level(logging.ERROR, logger="drsorch"):
        client("sns").publish(
            TopicArn=topology.requests_topic_arn,
            Message=body,
            MessageAttributes={
                "type": {"DataType": "String", "StringValue": "FailbackRequested"},
                "version": {"DataType": "String", "StringValue": "7"},
            },
        )
        dead = await asyncio.to_thread(parked, topology.discovery.dead_letter_queue_url)
        # Logged once the park is done, which can be after the message shows there.
        line = (await asyncio.to_thread(wait_for, parked_line))[0]
    attrs = {k: v["StringValue"] for k, v in dead[0]["MessageAttributes"].items()}
    assert attrs["drsorch_park_reason"] == "unknown-version"
    assert "v7" in attrs["drsorch_park_detail"]
    assert envelope.event_id not in workers.requests  # never handled, never retried
    assert line.__dict__["event_id"] == envelope.event_id
    assert line.__dict__["receive_count"] == 1


async def test_a_delayed_self_message_arrives_after_its_delay_not_before(workers: Seen) -> None:
    await publish(wrap(request(reason="timer"), "req-timer-0001"))
    await workers.until(lambda: len(workers.ticks) >= 1, within=30)
    waited = workers.ticks[0] - workers.timer_sent_at[0]
    assert waited >= 3.0 - 0.05, f"the timer came back after {waited:.2f} s, before its 3 s delay"


def _lambda_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """An SQS message as an event source mapping hands it to Lambda."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            k: {"stringValue": v["StringValue"], "dataType": "String"}
            for k, v in message.get("MessageAttributes", {}).items()
        },
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
    }


async def test_the_lambda_driver_reports_only_what_must_be_retried(
    topology: StackOutputs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRSORCH_STACK_NAME", STACK)
    monkeypatch.setenv("DRSORCH_RETRY_BASE_SECONDS", "0")
    seen = Seen()
    handler = lambda_handler("discovery", discovery_service(seen))
    good, poison = wrap(request(), "req-lambda-0001"), wrap(request("poison"), "req-lambda-0002")
    await publish(good, poison)
    sqs = client("sqs")
    queue = topology.discovery.queue_url
    messages = await asyncio.to_thread(
        lambda: sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=2, AttributeNames=["All"]
        )["Messages"]
    )
    assert len(messages) == 2
    ids = {
        json.loads(json.loads(m["Body"])["Message"])["event_id"]: m["MessageId"] for m in messages
    }
    event = {"Records": [_lambda_record(m, topology.discovery.queue_arn) for m in messages]}
    result = await asyncio.to_thread(handler, event, None)
    assert result == {"batchItemFailures": [{"itemIdentifier": ids[poison.event_id]}]}
    assert seen.requests.count(good.event_id) == 1
    discovered = await asyncio.to_thread(drain, topology.matcher.queue_url, expect=1)
    assert json.loads(json.loads(discovered[0]["Body"])["Message"])["causation_id"] == good.event_id
    # Lambda deletes the successes itself; the failure returns to the queue for its retry.
    for m in messages:
        if m["MessageId"] != ids[poison.event_id]:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    back = await asyncio.to_thread(drain, queue, expect=1)
    assert [json.loads(json.loads(m["Body"])["Message"])["event_id"] for m in back] == [
        poison.event_id
    ]
