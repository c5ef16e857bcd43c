"""The bus's cost on the local endpoint: batch vs single publish, and draining while publishing.

moto's SQS scans a queue's messages on every call, so cost grows with queue depth
(as a real bill grows with calls). This prints messages per second for:
- publishing one message a call vs ten a call (SNS PublishBatch);
- end to end through the runtime (SNS → SQS → consumer → inbox → delete), draining
  concurrently while publishing vs publishing everything first and draining after.
Each figure is the median of three runs; min and max follow in brackets.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from aiobotocore.session import get_session

from bench.local import deploy, endpoint
from drsorch.contracts import EVENTS, Envelope, Event, ServersDiscovered
from drsorch.contracts.events.requests import Accounts, RequestSpec, Scope
from drsorch.runtime import Outbox, Resources, RuntimeSettings, Service, serve
from drsorch.runtime.sns import SnsPublisher
from drsorch.runtime.wire import attributes_for

N = 400
RUNS = 3
SPEC = RequestSpec(
    operation="failback",
    scope=Scope(selector={"app": "bench"}),
    accounts=Accounts(hub="123456789012"),
    primary_region="us-east-1",
    recovery_region="us-west-2",
    requested_by="bench",
)


def envelopes(run: str) -> list[Envelope[Event]]:
    return [
        Envelope.wrap(
            ServersDiscovered(spec=SPEC),
            request_id=f"req-bench-{run}",
            step=f"m{i}",
            producer="discovery",
        )
        for i in range(N)
    ]


async def publish_single(topic: str, items: list[Envelope[Event]]) -> None:
    async with get_session().create_client("sns") as sns:
        for envelope in items:
            attrs: dict[str, Any] = {
                k: {"DataType": "String", "StringValue": v}
                for k, v in attributes_for(envelope).items()
            }
            await sns.publish(TopicArn=topic, Message=envelope.to_json(), MessageAttributes=attrs)


async def publish_batched(topic: str, items: list[Envelope[Event]]) -> None:
    async with get_session().create_client("sns") as sns:
        await SnsPublisher(sns, {ServersDiscovered.topic: topic}).publish(items)


async def end_to_end(
    stack: str, topic: str, items: list[Envelope[Event]], *, concurrent: bool
) -> float:
    """Seconds from the first publish until the consumer handled every message."""
    done = asyncio.Event()
    handled = 0

    async def count(envelope: Envelope[Event], outbox: Outbox) -> None:
        nonlocal handled
        handled += 1
        if handled == len(items):
            done.set()

    async def build(resources: Resources) -> Service:
        return Service("matcher", EVENTS, {"ServersDiscovered": count})

    stop = asyncio.Event()
    settings = RuntimeSettings(stack_name=stack, wait_seconds=1, pollers=2 if concurrent else 1)
    started = time.perf_counter()
    if concurrent:
        worker = asyncio.create_task(serve("matcher", build, stop, settings))
        await publish_batched(topic, items)
    else:
        await publish_batched(topic, items)
        worker = asyncio.create_task(serve("matcher", build, stop, settings))
    await asyncio.wait_for(done.wait(), timeout=600)
    elapsed = time.perf_counter() - started
    stop.set()
    await worker
    return elapsed


def rate(label: str, seconds: list[float]) -> None:
    rates = [N / s for s in seconds]
    print(
        f"  {label:<52} {statistics.median(rates):7.1f} msg/s"
        f"  [{min(rates):.1f} to {max(rates):.1f}]"
    )


def main() -> None:
    with endpoint("us-east-1") as local:

        def fresh(name: str) -> str:
            """A stack of its own, so every measurement starts with empty queues."""
            return deploy(name).discovery.events_topic_arn

        print(f"{N} messages a run, {RUNS} runs, in-process endpoint {local.url}")
        single, batched, draining, after = [], [], [], []
        for run in range(RUNS):
            topic = fresh(f"bbs{run}")
            t0 = time.perf_counter()
            asyncio.run(publish_single(topic, envelopes(f"s{run}")))
            single.append(time.perf_counter() - t0)
            topic = fresh(f"bbb{run}")
            t0 = time.perf_counter()
            asyncio.run(publish_batched(topic, envelopes(f"b{run}")))
            batched.append(time.perf_counter() - t0)
            stack = f"bbc{run}"
            topic = fresh(stack)
            draining.append(
                asyncio.run(end_to_end(stack, topic, envelopes(f"c{run}"), concurrent=True))
            )
            stack = f"bba{run}"
            topic = fresh(stack)
            after.append(
                asyncio.run(end_to_end(stack, topic, envelopes(f"a{run}"), concurrent=False))
            )
        rate("publish, one message a call", single)
        rate("publish, ten a call (PublishBatch)", batched)
        rate("end to end, drained while publishing (2 polls)", draining)
        rate("end to end, published first, then drained (1 poll)", after)
