"""drsorch's messaging topology, read from its CloudFormation template.

The template is the one place topics, queues, dead-letter queues and subscription
filters are declared; the AsyncAPI document is derived from it, never written a
second time. Conventions: the topic `RequestsTopic`, and per producing service P its
own events topic `PEventsTopic` (only P may publish there, so the topic a message came
through names its producer); per service S, `SQueue` with `SDeadLetterQueue` (found
through the redrive policy), and SQS subscriptions whose `FilterPolicy` lists event
types under `type`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drsorch.contracts.cfn import Template, TemplateError
from drsorch.contracts.envelope import Topic

SERVICE_QUEUE = re.compile(r"^(?P<service>[A-Z][A-Za-z0-9]*?)Queue$")
PRODUCER_TOPIC = re.compile(r"^(?P<producer>[A-Z][a-z0-9]+)EventsTopic$")
REQUESTS_TOPIC = "RequestsTopic"
REQUESTER = "cli"
"""The producer the requests topic stands for: operators, through the CLI."""


@dataclass(frozen=True)
class QueueInfo:
    """An SQS queue: its logical ID, its name, and the attributes AsyncAPI can show."""

    logical_id: str
    name: str
    visibility_timeout: int | None = None
    retention_seconds: int | None = None


@dataclass(frozen=True)
class Subscription:
    """One SNS subscription of a service queue, with the event types it lets through."""

    logical_id: str
    topic: Topic
    producer: str
    """Who alone may publish to the subscribed topic (`cli` for the requests topic)."""
    topic_name: str
    event_types: tuple[str, ...]
    filter_policy: Mapping[str, Any]
    filter_policy_scope: str
    raw_message_delivery: bool


@dataclass(frozen=True)
class ServiceQueue:
    """A service's queue, its dead-letter queue and its subscriptions."""

    service: str
    queue: QueueInfo
    dead_letter: QueueInfo | None
    max_receive_count: int | None
    subscriptions: tuple[Subscription, ...]


@dataclass(frozen=True)
class Topology:
    """The channels (physical name, or address with `{producer}`, by logical channel), each
    producer's own topic, and every service queue."""

    topics: Mapping[Topic, str]
    producer_topics: Mapping[str, str]
    queues: tuple[ServiceQueue, ...]


def _producer_topics(template: Template) -> dict[str, str]:
    found = {
        match["producer"].lower(): template.name(logical_id, "TopicName")
        for logical_id in template.of_type("AWS::SNS::Topic")
        if (match := PRODUCER_TOPIC.match(logical_id))
    }
    if not found:
        raise TemplateError("the template declares no producer topic (`<Service>EventsTopic`)")
    return found


def _events_address(producer_topics: Mapping[str, str]) -> str:
    """One address for every producer's topic, e.g. `drsorch-{producer}-events`."""
    addresses = {name.replace(p, "{producer}", 1) for p, name in producer_topics.items()}
    if len(addresses) != 1:
        raise TemplateError(
            f"producer topics must be named alike, with the producer's name: {sorted(addresses)}"
        )
    return addresses.pop()


def read_topology(document: Mapping[str, Any]) -> Topology:
    """Topics, service queues and subscriptions declared in a parsed template."""
    template = Template(document)
    if REQUESTS_TOPIC not in template.of_type("AWS::SNS::Topic"):
        raise TemplateError(f"the template has no AWS::SNS::Topic named {REQUESTS_TOPIC}")
    producer_topics = _producer_topics(template)
    topics = {
        Topic.REQUESTS: template.name(REQUESTS_TOPIC, "TopicName"),
        Topic.EVENTS: _events_address(producer_topics),
    }
    queues = tuple(
        _service_queue(template, match["service"], logical_id)
        for logical_id in template.of_type("AWS::SQS::Queue")
        if (match := SERVICE_QUEUE.match(logical_id)) and not logical_id.endswith("DeadLetterQueue")
    )
    if not queues:
        raise TemplateError("the template declares no service queue (`<Service>Queue`)")
    return Topology(topics=topics, producer_topics=producer_topics, queues=queues)


def _as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _queue_info(template: Template, logical_id: str) -> QueueInfo:
    props = template.props(logical_id)
    return QueueInfo(
        logical_id=logical_id,
        name=template.name(logical_id, "QueueName"),
        visibility_timeout=_as_int(template.value(props.get("VisibilityTimeout"))),
        retention_seconds=_as_int(template.value(props.get("MessageRetentionPeriod"))),
    )


def _service_queue(template: Template, service: str, logical_id: str) -> ServiceQueue:
    redrive = template.json_value(template.props(logical_id).get("RedrivePolicy")) or {}
    dlq_id = template.target(redrive.get("deadLetterTargetArn")) or f"{service}DeadLetterQueue"
    return ServiceQueue(
        service=service.lower(),
        queue=_queue_info(template, logical_id),
        dead_letter=_queue_info(template, dlq_id) if dlq_id in template.resources else None,
        max_receive_count=_as_int(template.value(redrive.get("maxReceiveCount"))),
        subscriptions=tuple(
            _subscription(template, sub_id)
            for sub_id in template.of_type("AWS::SNS::Subscription")
            if template.props(sub_id).get("Protocol") == "sqs"
            and template.target(template.props(sub_id).get("Endpoint")) == logical_id
        ),
    )


def _subscription(template: Template, logical_id: str) -> Subscription:
    props = template.props(logical_id)
    topic_id = template.target(props.get("TopicArn")) or ""
    if topic_id == REQUESTS_TOPIC:
        topic, producer = Topic.REQUESTS, REQUESTER
    elif match := PRODUCER_TOPIC.match(topic_id):
        topic, producer = Topic.EVENTS, match["producer"].lower()
    else:
        raise TemplateError(
            f"{logical_id}: TopicArn must be a Ref to RequestsTopic or a <Service>EventsTopic"
        )
    policy = template.json_value(props.get("FilterPolicy")) or {}
    types = policy.get("type")
    if not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types):
        raise TemplateError(
            f"{logical_id}: FilterPolicy must list event types as exact strings under `type`"
        )
    scope = str(props.get("FilterPolicyScope", "MessageAttributes"))
    if scope != "MessageAttributes":
        # The runtime puts the event type in a message attribute, not in the body.
        raise TemplateError(f"{logical_id}: FilterPolicyScope must be MessageAttributes")
    return Subscription(
        logical_id=logical_id,
        topic=topic,
        producer=producer,
        topic_name=template.name(topic_id, "TopicName"),
        event_types=tuple(types),
        filter_policy=policy,
        filter_policy_scope=scope,
        raw_message_delivery=props.get("RawMessageDelivery") in (True, "true"),
    )
