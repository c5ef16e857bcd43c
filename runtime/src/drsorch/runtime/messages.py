"""Messages as the runtime sees them: one shape for SQS polled by a worker or pushed to Lambda."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# Message attribute names. SQS allows 10 attributes a message: these take at most 7.
ATTR_TYPE = "type"
ATTR_VERSION = "version"
ATTR_REQUEST_ID = "request_id"
ATTR_TRACEPARENT = "traceparent"
ATTR_TRACESTATE = "tracestate"
ATTR_DUE_AT = "drsorch_due_at"  # epoch seconds: when a timer SQS cannot delay exactly is due
ATTR_RENEWALS = "drsorch_renewals"  # fresh copies a message got on its last receive
ATTR_PARK_REASON = "drsorch_park_reason"
ATTR_PARK_DETAIL = "drsorch_park_detail"
ATTR_PARK_TRUNCATED = "drsorch_park_truncated"  # bytes of a body cut to fit the DLQ

MAX_DELAY_SECONDS = 900  # SQS DelaySeconds ceiling


@dataclass(frozen=True)
class InboundMessage:
    """One SQS message: its envelope JSON (SNS wrapper removed) and string attributes."""

    message_id: str
    receipt_handle: str
    body: str
    attributes: dict[str, str] = field(default_factory=dict)
    receive_count: int = 1
    raw_body: str = ""  # as received, SNS wrapper included: what a park keeps
    topic_arn: str | None = None
    """The SNS topic that delivered it (the notification's `TopicArn`); None when the
    message was sent straight to the queue."""


def _sns_attributes(notification: dict[str, Any]) -> dict[str, str]:
    attrs = notification.get("MessageAttributes") or {}
    if not isinstance(attrs, dict):
        return {}
    return {str(k): str(v.get("Value", "")) for k, v in attrs.items() if isinstance(v, dict)}


def unwrap(
    message_id: str,
    receipt_handle: str,
    body: str,
    attributes: dict[str, str],
    receive_count: int,
) -> InboundMessage:
    """Strip the SNS notification wrapper, if any, keeping the attributes SNS carried.

    Messages that came through SNS (raw delivery off) hold the envelope in `Message`
    and the publisher's attributes in `MessageAttributes`; self-messages sent straight
    to the queue hold the envelope itself.
    """
    envelope = body
    attrs = dict(attributes)
    topic_arn: str | None = None
    try:
        parsed = json.loads(body)
        if (
            isinstance(parsed, dict)
            and parsed.get("Type") == "Notification"
            and "Message" in parsed
        ):
            envelope = str(parsed["Message"])
            attrs = {**_sns_attributes(parsed), **attrs}
            topic_arn = str(parsed.get("TopicArn", ""))
    except Exception:  # noqa: BLE001 - RecursionError, odd shapes: the processor parks the body
        envelope, attrs, topic_arn = body, dict(attributes), None
    return InboundMessage(
        message_id=message_id,
        receipt_handle=receipt_handle,
        body=envelope,
        attributes=attrs,
        receive_count=receive_count,
        raw_body=body,
        topic_arn=topic_arn,
    )


def from_sqs_api(message: dict[str, Any]) -> InboundMessage:
    """An InboundMessage from an SQS ReceiveMessage item."""
    attrs = {
        k: str(v.get("StringValue", ""))
        for k, v in (message.get("MessageAttributes") or {}).items()
    }
    system = message.get("Attributes") or {}
    return unwrap(
        str(message["MessageId"]),
        str(message["ReceiptHandle"]),
        str(message.get("Body", "")),
        attrs,
        int(system.get("ApproximateReceiveCount", "1")),
    )


def from_lambda_record(record: dict[str, Any]) -> InboundMessage:
    """An InboundMessage from one record of an SQS event source mapping's event."""
    attrs = {
        k: str(v.get("stringValue", "")) for k, v in (record.get("messageAttributes") or {}).items()
    }
    system = record.get("attributes") or {}
    return unwrap(
        str(record["messageId"]),
        str(record.get("receiptHandle", "")),
        str(record.get("body", "")),
        attrs,
        int(system.get("ApproximateReceiveCount", "1")),
    )
