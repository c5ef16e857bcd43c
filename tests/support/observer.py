"""Watching the deployed stack from outside: requests in, every event of the events topic out.

The in-process pipelines (discovery and matcher, or all four services) publish a
request as the CLI does and read what the services publish from a queue subscribed
raw to the events topic; each keeps what it reads in its own way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiobotocore.session import get_session

from drsorch.cli.follow import request_envelope
from drsorch.contracts import Envelope, Event, RequestSpec, Topic
from drsorch.local.deploy import StackOutputs
from drsorch.runtime.sns import SnsPublisher
from support.aws import client


def observer_queue(stack: StackOutputs, name: str) -> str:
    """A queue that receives every event of every service's topic, raw; its URL."""
    sqs = client("sqs")
    url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    for topic_arn in stack.events_topic_arns:
        client("sns").subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "true"},
        )
    return url


async def publish_request(
    stack: StackOutputs, spec: RequestSpec, request_id: str
) -> Envelope[Event]:
    """Publish the spec's FailbackRequested or FailoverRequested as the CLI does; its envelope."""
    envelope = request_envelope(spec, request_id)
    async with get_session().create_client("sns") as sns:
        await SnsPublisher(sns, {Topic.REQUESTS: stack.requests_topic_arn}).publish([envelope])
    return envelope


async def observe(
    url: str, record: Callable[[str], None], changed: asyncio.Condition, stop: asyncio.Event
) -> None:
    """Hand each message body of the queue to `record`, delete it, and wake `changed`'s waiters."""
    async with get_session().create_client("sqs") as sqs:
        while not stop.is_set():
            answer = await sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
            messages = answer.get("Messages", [])
            for message in messages:
                record(message["Body"])
            if messages:
                await sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(messages)
                    ],
                )
                async with changed:
                    changed.notify_all()
