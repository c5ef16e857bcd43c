"""The CLI's own temporary queue: every event of one request, and nothing else.

An SQS queue named after the request, subscribed to one service's events topic (the
monitor's for a request, the configurator's for a restore: topics only that service's
role may publish to) with a filter policy on the `request_id` message attribute, so
the services' traffic for other requests never reaches it. The queue's policy lets
only that topic send to it, and the feed still reads each message's delivering topic
(SNS's `TopicArn`): anything else is counted as untrusted and dropped, so no forged
outcome ever reaches the operator. It is created before the request is published (no
event can be missed) and deleted afterwards, on Ctrl-C too. Were the CLI killed
outright, the queue (tagged `drsorch:purpose=cli-follow`) would stay; its messages
expire after an hour.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Sequence
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


def follow_policy(queue_arn: str, topic_arn: str) -> dict[str, Any]:
    """Only the followed service's topic may send to the queue, and only over TLS."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EventsTopicOnly",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            },
            {
                "Sid": "NothingElseSends",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnNotEquals": {"aws:SourceArn": topic_arn}},
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

    def __init__(self, sqs: SQSClient, queue_url: str, topic_arn: str) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.topic_arn = topic_arn
        """The only topic whose messages are believed."""
        self._unreadable = 0
        self._untrusted = 0

    @property
    def unreadable(self) -> int:
        return self._unreadable

    @property
    def untrusted(self) -> int:
        """Messages that did not come through the followed topic (dropped, counted)."""
        return self._untrusted

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
            if message.topic_arn != self.topic_arn:
                self._untrusted += 1
                continue
            try:
                envelopes.append(EVENTS.parse(message.body))
            except (ContractError, ValueError, RecursionError):
                # Not an event (deeply nested or broken JSON among them): counted and dropped,
                # so one bad message never ends the following of a request.
                self._unreadable += 1
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
    sqs: SQSClient, sns: SNSClient, events_topic_arn: str, request_id: str
) -> AsyncIterator[SqsEventFeed]:
    """`events_topic_arn`: the one service topic the command follows and believes."""
    """The queue, subscribed; unsubscribed and deleted on the way out, whatever happens."""
    created = await sqs.create_queue(
        QueueName=queue_name(request_id),
        Attributes={"MessageRetentionPeriod": str(RETENTION_SECONDS)},
        tags={"drsorch:purpose": "cli-follow", "drsorch:request-id": request_id},
    )
    url = created["QueueUrl"]
    subscription_arn: str | None = None
    try:
        attrs = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        arn = attrs["Attributes"]["QueueArn"]
        await sqs.set_queue_attributes(
            QueueUrl=url, Attributes={"Policy": json.dumps(follow_policy(arn, events_topic_arn))}
        )
        subscribed = await sns.subscribe(
            TopicArn=events_topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={
                "FilterPolicy": json.dumps({"request_id": [request_id]}),
                "FilterPolicyScope": "MessageAttributes",
            },
            ReturnSubscriptionArn=True,
        )
        subscription_arn = subscribed["SubscriptionArn"]
        yield SqsEventFeed(sqs, url, events_topic_arn)
    finally:
        await _remove(sqs, sns, url, subscription_arn)


async def _remove(sqs: SQSClient, sns: SNSClient, url: str, subscription_arn: str | None) -> None:
    # Cleanup must finish even when the command was cancelled (Ctrl-C).
    with contextlib.suppress(Exception):
        if subscription_arn:
            await sns.unsubscribe(SubscriptionArn=subscription_arn)
    with contextlib.suppress(Exception):
        await sqs.delete_queue(QueueUrl=url)
