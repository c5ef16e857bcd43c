"""What no parser survives, through the real queue: parked alone, never failing its batch;
and a lease the queue's redrive window cannot hold, refused at start-up."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from drsorch.contracts import EVENTS, Envelope, Event
from drsorch.contracts.events.requests import Accounts, FailbackRequested, RequestSpec, Scope
from drsorch.local.deploy import StackOutputs
from drsorch.local.server import LocalEndpoint
from drsorch.runtime import Outbox, Outcome, Resources, RuntimeSettings, Service, open_runtime
from drsorch.runtime.consumer import Consumer, ConsumerSettings
from drsorch.runtime.messages import InboundMessage
from drsorch.runtime.redrive import LeaseOutlivesQueue
from support.aws import client, deploy, depth, drain
from support.producers import publish_as_producers

pytestmark = pytest.mark.integration

STACK = "rtpoison"
NESTED = "[" * 100_000 + "]" * 100_000  # json.loads raises RecursionError on it


def _request() -> Envelope[Event]:
    spec = RequestSpec(
        operation="failback",
        scope=Scope(selector={"app": "payments"}),
        accounts=Accounts(hub="123456789012"),
        primary_region="us-east-1",
        recovery_region="us-west-2",
        requested_by="operator",
    )
    return Envelope.wrap(
        FailbackRequested(spec=spec), request_id="req-poison-batch", step="r", producer="cli"
    )


@pytest.fixture(scope="module")
def topology(endpoint: LocalEndpoint) -> StackOutputs:
    return deploy(STACK)  # the template's own VisibilityTimeout and maxReceiveCount


async def _one_batch(queue: Any, want: int) -> list[InboundMessage]:
    """Receive until one receive brings all `want` messages together."""
    for _ in range(20):
        got = await queue.receive(10, 1)
        if len(got) == want:
            return list(got)
        for message in got:
            await queue.change_visibility(message, 0)
    raise AssertionError(f"never received {want} messages in one batch")


async def test_a_nested_message_is_parked_alone_and_its_batch_is_handled(
    topology: StackOutputs,
) -> None:
    handled: list[str] = []

    async def on_request(envelope: Envelope[Event], outbox: Outbox) -> None:
        handled.append(envelope.event_id)

    async def build(resources: Resources) -> Service:
        return Service("discovery", EVENTS, {"FailbackRequested": on_request})

    real = _request()
    queue_url = topology.discovery.queue_url
    await publish_as_producers(topology, [real])  # the way a request comes: the requests topic
    client("sqs").send_message(QueueUrl=queue_url, MessageBody=NESTED)
    settings = RuntimeSettings(stack_name=STACK, wait_seconds=1)
    async with open_runtime("discovery", build, settings) as runtime:
        consumer = Consumer(runtime.processor, runtime.queue, ConsumerSettings(pollers=1))
        batch = await _one_batch(runtime.queue, 2)
        await consumer.settle(batch, await consumer.handle(batch))

    assert handled == [real.event_id]
    assert consumer.outcomes == {Outcome.HANDLED: 1, Outcome.PARKED: 1}
    assert await asyncio.to_thread(depth, queue_url) == 0
    (dead,) = await asyncio.to_thread(drain, topology.discovery.dead_letter_queue_url, expect=1)
    attrs = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attrs["drsorch_park_reason"] == "malformed-envelope"
    assert "recursion limit" in attrs["drsorch_park_detail"]
    assert dead["Body"] == NESTED  # kept whole for whoever looks


async def test_a_lease_longer_than_the_redrive_window_is_refused_at_start(
    topology: StackOutputs,
) -> None:
    async def build(resources: Resources) -> Service:
        raise AssertionError("never built: the runtime refuses first")

    settings = RuntimeSettings(stack_name=STACK, inbox_lease_seconds=300)
    with pytest.raises(LeaseOutlivesQueue, match=r"maxReceiveCount 5.*at most 85"):
        async with open_runtime("discovery", build, settings):
            pass


async def test_the_lease_is_derived_from_the_queue_when_unset(topology: StackOutputs) -> None:
    async def build(resources: Resources) -> Service:
        return Service("discovery", EVENTS, {})

    async with open_runtime("discovery", build, RuntimeSettings(stack_name=STACK)) as runtime:
        inbox: Any = runtime.processor.inbox
        assert inbox.lease.total_seconds() == 85
        assert runtime.processor.max_receives == 5
