"""AsyncAPI 3.0 objects for one message, one queue, one subscription."""

from __future__ import annotations

import inspect
from typing import Any

from drsorch.contracts.envelope import Event
from drsorch.contracts.topology import QueueInfo, ServiceQueue, Subscription

# The newest binding versions AsyncAPI publishes JSON Schemas for (spec-json-schemas),
# so tools can validate the bindings; their fields are those drsorch uses.
SNS_BINDING = "0.1.0"
SQS_BINDING = "0.2.0"
# The exported schemas are JSON Schema 2020-12 (what pydantic emits); AsyncAPI lets a
# message name its schema format, so it says so rather than claim draft-07.
SCHEMA_FORMAT = "application/schema+json;version=2020-12"


def message_id(event: type[Event]) -> str:
    """The key of an event's message in the document, e.g. `PairsMatched.v1`."""
    return f"{event.event_type}.v{event.event_version}"


def ref(*parts: str) -> dict[str, str]:
    """A local `$ref` to the JSON pointer made of `parts` (escaped per RFC 6901)."""
    return {"$ref": "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)}


def message(event: type[Event], schema_ref: str) -> dict[str, Any]:
    """The Message Object of one (event, version); its payload is the exported schema."""
    summary, _, rest = inspect.cleandoc(event.__doc__ or event.event_type).partition("\n")
    description = {"description": rest.strip()} if rest.strip() else {}
    return {
        "name": event.event_type,
        "title": f"{event.event_type} v{event.event_version}",
        "summary": summary,
        **description,
        "contentType": "application/json",
        "correlationId": {"location": "$message.payload#/request_id"},
        "headers": headers(event),
        "payload": {"schemaFormat": SCHEMA_FORMAT, "schema": {"$ref": schema_ref}},
        "x-drsorch-producers": list(event.producers),
    }


def headers(event: type[Event]) -> dict[str, Any]:
    """The SNS message attributes drsorch's runtime sets; filter policies match on `type`."""
    return {
        "type": "object",
        "required": ["type", "version", "request_id"],
        "properties": {
            "type": {"type": "string", "const": event.event_type},
            "version": {"type": "string", "const": str(event.event_version)},
            "request_id": {"type": "string"},
            "traceparent": {"type": "string", "description": "W3C trace context"},
            "tracestate": {"type": "string", "description": "W3C trace context"},
        },
    }


def sqs_queue(info: QueueInfo, redrive: dict[str, Any] | None = None) -> dict[str, Any]:
    """An SQS binding Queue Object."""
    queue: dict[str, Any] = {"name": info.name, "fifoQueue": False}
    if info.visibility_timeout is not None:
        queue["visibilityTimeout"] = info.visibility_timeout
    if info.retention_seconds is not None:
        queue["messageRetentionPeriod"] = info.retention_seconds
    if redrive:
        queue["redrivePolicy"] = redrive
    return queue


def sqs_binding(queue: ServiceQueue) -> dict[str, Any]:
    """The SQS channel binding of a service queue, with its dead-letter queue."""
    dlq = queue.dead_letter
    if dlq is None:
        return {"queue": sqs_queue(queue.queue), "bindingVersion": SQS_BINDING}
    redrive: dict[str, Any] = {"deadLetterQueue": {"name": dlq.name}}
    if queue.max_receive_count is not None:
        redrive["maxReceiveCount"] = queue.max_receive_count
    return {
        "queue": sqs_queue(queue.queue, redrive),
        "deadLetterQueue": sqs_queue(dlq),
        "bindingVersion": SQS_BINDING,
    }


def sns_receive_binding(topic_name: str, queue: ServiceQueue, sub: Subscription) -> dict[str, Any]:
    """The SNS operation binding of a queue's subscription: topic, endpoint, filter."""
    return {
        "topic": {"name": topic_name},
        "consumers": [
            {
                "protocol": "sqs",
                "endpoint": {"name": queue.queue.name},
                "filterPolicy": dict(sub.filter_policy),
                "filterPolicyScope": sub.filter_policy_scope,
                "rawMessageDelivery": sub.raw_message_delivery,
            }
        ],
        "bindingVersion": SNS_BINDING,
    }


def subscription_extension(sub: Subscription) -> dict[str, Any]:
    """`x-drsorch-subscriptions` entry: the subscription as the template declares it."""
    return {
        "subscription": sub.logical_id,
        "topic": ref("channels", sub.topic.value),
        "filterPolicyScope": sub.filter_policy_scope,
        "filterPolicy": dict(sub.filter_policy),
        "rawMessageDelivery": sub.raw_message_delivery,
    }
