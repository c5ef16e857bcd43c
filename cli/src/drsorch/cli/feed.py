"""The CLI's own temporary queue: every event of one request, and nothing else.

An SQS queue named after the request, subscribed to the events topics of the services
it follows (each a topic only that service's role may publish to) with a filter policy
on the `request_id` message attribute, so the services' traffic for other requests
never reaches it. The queue's policy lets only those topics send to it, and the feed
still reads each message's delivering topic (SNS's `TopicArn`): an event is believed
only from the topic of a service that produces its type (an outcome only from the
monitor's), anything else is counted as untrusted and dropped, so no forged outcome
ever reaches the operator. It is created before the request is published (no
event can be missed) and deleted afterwards, on Ctrl-C too. Were the CLI killed
outright, the queue (tagged `drsorch:purpose=cli-follow`) would stay; its messages
expire after an hour.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from drsorch.contracts import EVENTS, ContractError, Envelope, Event
from drsorch.runtime.messages import from_sqs_api

if TYPE_CHECKING:
    from types_aiobotocore_sns import SNSClient
    from types_aiobotocore_sqs import SQSClient

RETENTION_SECONDS = 3600
BATCH = 10


def queue_name(request_id: str) -> str:
    """SQS allows 80 characters; request IDs have at most 64."""
    return f"drsorch-cli-{request_id}"[:80]


def follow_policy(queue_arn: str, topic_arns: Sequence[str]) -> dict[str, Any]:
    """Only the followed services' topics may send to the queue, and only over TLS."""
    topics = sorted(topic_arns)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EventsTopicOnly",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topics}},
            },
            {
                "Sid": "NothingElseSends",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnNotEquals": {"aws:SourceArn": topics}},
            },
            {
                "Sid": "SecureTransportOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": queue_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


class SqsEventFeed:
    """Receives, parses and deletes the messages of the CLI's queue."""

    def __init__(self, sqs: SQSClient, queue_url: str, topics: Mapping[str, str]) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.topics = dict(topics)
        """The followed services' topics, by service: an event is believed only from the
        topic of a service that produces its type."""
        self._unreadable = 0
        self._untrusted = 0

    @property
    def unreadable(self) -> int:
        return self._unreadable

    @property
    def untrusted(self) -> int:
        """Messages not from the topic of their type's producer (dropped, counted)."""
        return self._untrusted

    def _believed(self, topic_arn: str | None, envelope: Envelope[Event]) -> bool:
        producers = type(envelope.payload).producers
        return topic_arn is not None and topic_arn in {self.topics.get(p) for p in producers}

    async def receive(self, wait_seconds: int) -> Sequence[Envelope[Event]]:
        response = await self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=BATCH,
            WaitTimeSeconds=max(0, min(20, wait_seconds)),
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        envelopes = []
        for raw in messages:
            message = from_sqs_api(dict(raw))
            if message.topic_arn not in self.topics.values():
                self._untrusted += 1
                continue
            try:
                envelope = EVENTS.parse(message.body)
            except (ContractError, ValueError, RecursionError):
                # Not an event (deeply nested or broken JSON among them): counted and dropped,
                # so one bad message never ends the following of a request.
                self._unreadable += 1
                continue
            if self._believed(message.topic_arn, envelope):
                envelopes.append(envelope)
            else:
                self._untrusted += 1
        if messages:
            await self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages)
                ],
            )
        return envelopes


class SqsQueueDepths:
    """Waiting and in-flight message counts of a queue, for the liveness watch."""

    def __init__(self, sqs: SQSClient) -> None:
        self.sqs = sqs

    async def depths(self, queue_url: str) -> tuple[int, int]:
        attributes = await self.sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
            ],
        )
        found = attributes.get("Attributes", {})
        return (
            int(found.get("ApproximateNumberOfMessages", 0)),
            int(found.get("ApproximateNumberOfMessagesNotVisible", 0)),
        )


@contextlib.asynccontextmanager
async def event_feed(
    sqs: SQSClient, sns: SNSClient, topics: Mapping[str, str], request_id: str
) -> AsyncIterator[SqsEventFeed]:
    """The queue, subscribed to `topics` (the followed services' events topics, by
    service); unsubscribed and deleted on the way out, whatever happens."""
    created = await sqs.create_queue(
        QueueName=queue_name(request_id),
        Attributes={"MessageRetentionPeriod": str(RETENTION_SECONDS)},
        tags={"drsorch:purpose": "cli-follow", "drsorch:request-id": request_id},
    )
    url = created["QueueUrl"]
    subscriptions: list[str] = []
    try:
        attrs = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        arn = attrs["Attributes"]["QueueArn"]
        policy = follow_policy(arn, list(topics.values()))
        await sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
        for topic_arn in sorted(set(topics.values())):
            subscribed = await sns.subscribe(
                TopicArn=topic_arn,
                Protocol="sqs",
                Endpoint=arn,
                Attributes={
                    "FilterPolicy": json.dumps({"request_id": [request_id]}),
                    "FilterPolicyScope": "MessageAttributes",
                },
                ReturnSubscriptionArn=True,
            )
            subscriptions.append(subscribed["SubscriptionArn"])
        yield SqsEventFeed(sqs, url, topics)
    finally:
        await _remove(sqs, sns, url, subscriptions)


async def _remove(sqs: SQSClient, sns: SNSClient, url: str, subscriptions: list[str]) -> None:
    # Cleanup must finish even when the command was cancelled (Ctrl-C).
    for subscription_arn in subscriptions:
        with contextlib.suppress(Exception):
            await sns.unsubscribe(SubscriptionArn=subscription_arn)
    with contextlib.suppress(Exception):
        await sqs.delete_queue(QueueUrl=url)
