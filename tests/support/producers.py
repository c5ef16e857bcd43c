"""Publishing events as the service that produces them would: on that service's own topic.

Each service publishes to a topic only its role may publish to, and consumers trust an
event only through the topic of a producer of its type. A test standing in for an
upstream service publishes where that service would.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiobotocore.session import get_session

from drsorch.contracts import Envelope, Event, Topic
from drsorch.local.deploy import StackOutputs
from drsorch.runtime.sns import SnsPublisher


def topic_of(stack: StackOutputs, envelope: Envelope[Event]) -> str:
    """The topic the first producer of the envelope's type publishes to."""
    payload = envelope.payload
    if payload.topic is Topic.REQUESTS:
        return stack.requests_topic_arn
    return stack.service(type(payload).producers[0]).events_topic_arn


async def publish_as_producers(stack: StackOutputs, envelopes: Sequence[Envelope[Event]]) -> None:
    """Publish each envelope on its producer's topic."""
    by_topic: dict[str, list[Envelope[Event]]] = {}
    for envelope in envelopes:
        by_topic.setdefault(topic_of(stack, envelope), []).append(envelope)
    async with get_session().create_client("sns") as sns:
        for arn, items in by_topic.items():
            topic = items[0].payload.topic
            await SnsPublisher(sns, {topic: arn}).publish(items)
