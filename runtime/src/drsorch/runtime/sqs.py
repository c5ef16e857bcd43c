"""The service's SQS queue over aiobotocore, in batches of ten."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from drsorch.runtime.errors import PublishError
from drsorch.runtime.messages import (
    ATTR_PARK_DETAIL,
    ATTR_PARK_REASON,
    ATTR_PARK_TRUNCATED,
    InboundMessage,
    from_sqs_api,
)
from drsorch.runtime.ports import OutgoingMessage
from drsorch.runtime.redrive import QueueLimits

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient
    from types_aiobotocore_sqs.type_defs import (
        DeleteMessageBatchRequestEntryTypeDef,
        MessageAttributeValueTypeDef,
    )

BATCH = 10  # SQS's limit for every batch call
MAX_MESSAGE_BYTES = 262_144  # SQS's limit for one message, body and attributes together


def _chunks(items: Sequence[Any], size: int = BATCH) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _attributes(values: dict[str, str]) -> dict[str, MessageAttributeValueTypeDef]:
    return {k: {"DataType": "String", "StringValue": v} for k, v in values.items() if v}


class SqsQueue:
    """A queue URL and, learned from its redrive policy, its dead-letter queue."""

    def __init__(self, client: SQSClient, queue_url: str, dead_letter_url: str) -> None:
        self.client = client
        self.url = queue_url
        self.dead_letter_url = dead_letter_url

    @classmethod
    async def open(cls, client: SQSClient, queue_url: str) -> tuple[SqsQueue, QueueLimits]:
        """The queue, and what it allows a message; a queue without a DLQ is refused."""
        attrs = await client.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["RedrivePolicy", "VisibilityTimeout"]
        )
        policy = attrs.get("Attributes", {}).get("RedrivePolicy")
        visibility = int(attrs.get("Attributes", {}).get("VisibilityTimeout", "30"))
        if not policy:
            raise ValueError(f"{queue_url} has no redrive policy: poison messages would loop")
        redrive = json.loads(policy)
        dlq_name = str(redrive["deadLetterTargetArn"]).rsplit(":", 1)[-1]
        owner = str(redrive["deadLetterTargetArn"]).split(":")[4]
        dlq = await client.get_queue_url(QueueName=dlq_name, QueueOwnerAWSAccountId=owner)
        limits = QueueLimits(visibility, int(redrive["maxReceiveCount"]))
        return cls(client, queue_url, dlq["QueueUrl"]), limits

    async def receive(self, max_messages: int, wait_seconds: int) -> list[InboundMessage]:
        response = await self.client.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=max_messages,
            WaitTimeSeconds=wait_seconds,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return [from_sqs_api(dict(m)) for m in response.get("Messages", [])]

    async def delete(self, messages: Sequence[InboundMessage]) -> None:
        for chunk in _chunks(messages):
            entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
                {"Id": str(i), "ReceiptHandle": m.receipt_handle} for i, m in enumerate(chunk)
            ]
            response = await self.client.delete_message_batch(QueueUrl=self.url, Entries=entries)
            # A failed delete only means a redelivery, which the inbox absorbs.
            _ = response.get("Failed", [])

    async def change_visibility(self, message: InboundMessage, seconds: int) -> None:
        await self.client.change_message_visibility(
            QueueUrl=self.url, ReceiptHandle=message.receipt_handle, VisibilityTimeout=seconds
        )

    async def send(self, messages: Sequence[OutgoingMessage]) -> None:
        await self._send(self.url, messages)

    async def park(self, message: InboundMessage, reason: str, detail: str) -> None:
        attributes = {**message.attributes, ATTR_PARK_REASON: reason, ATTR_PARK_DETAIL: detail}
        # SQS allows ten attributes: keep the reason and the IDs, drop the rest.
        keep = [ATTR_PARK_REASON, ATTR_PARK_DETAIL, "type", "version", "request_id"]
        kept = {k: attributes[k] for k in keep if attributes.get(k)}
        body = message.raw_body or message.body
        room = MAX_MESSAGE_BYTES - sum(len(k) + len(v.encode()) + 6 for k, v in kept.items())
        if len(body.encode()) > room:
            # The message and our reasons must fit in one: keep the reason, cut the body.
            kept[ATTR_PARK_TRUNCATED] = str(len(body.encode()))
            body = body.encode()[: room - 64].decode(errors="ignore")
        parked = OutgoingMessage(body=body, attributes=kept)
        await self._send(self.dead_letter_url, [parked])

    async def _send(self, url: str, messages: Sequence[OutgoingMessage]) -> None:
        for chunk in _chunks(messages):
            entries: list[Any] = [
                {
                    "Id": str(i),
                    "MessageBody": m.body,
                    "DelaySeconds": m.delay_seconds,
                    "MessageAttributes": _attributes(m.attributes),
                }
                for i, m in enumerate(chunk)
            ]
            response = await self.client.send_message_batch(QueueUrl=url, Entries=entries)
            if response.get("Failed"):
                raise PublishError(f"SQS refused {len(response['Failed'])} messages to {url}")
