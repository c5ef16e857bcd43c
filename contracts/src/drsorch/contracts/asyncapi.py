"""The AsyncAPI 3.0 document of drsorch: topics, service queues, messages, operations.

Channels: the two SNS topics (`requests`, `events`) and one per service queue
(`discoveryQueue`, ...). Operations: `<producer>.send.<topic>` for every part of
drsorch that publishes, `<service>.receive.<topic>` for every queue subscription.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata
from typing import Any

import yaml

from drsorch.contracts import asyncapi_objects as obj
from drsorch.contracts.cfn import TemplateError
from drsorch.contracts.envelope import Event, Topic
from drsorch.contracts.registry import EventRegistry
from drsorch.contracts.topology import ServiceQueue, Subscription, Topology

ASYNCAPI_VERSION = "3.0.0"
TOPIC_DESCRIPTIONS = {
    Topic.REQUESTS: "Requests to fail over or fail back, from the CLI or another publisher.",
    Topic.EVENTS: (
        "What each drsorch service did, on that service's own topic (only its role may "
        "publish there); the next service's input."
    ),
}


def queue_channel_id(queue: ServiceQueue) -> str:
    """The channel key of a service queue, e.g. `discoveryQueue`."""
    return f"{queue.service}Queue"


class _Document:
    def __init__(self, registry: EventRegistry, topology: Topology) -> None:
        self.topology = topology
        self.events = sorted(registry, key=lambda e: (e.event_type, e.event_version))

    def routed(self, sub: Subscription) -> list[type[Event]]:
        """Every registered version of the types a subscription lets through, checked."""
        routed = []
        for event_type in sub.event_types:
            versions = [e for e in self.events if e.event_type == event_type]
            if not versions:
                raise TemplateError(f"{sub.logical_id} filters on unknown event type {event_type}")
            for event in versions:
                if event.topic is not sub.topic:
                    raise TemplateError(
                        f"{sub.logical_id} expects {event_type} on the {sub.topic.value} "
                        f"topic, but it is published on {event.topic.value}"
                    )
                if sub.producer not in event.producers:
                    raise TemplateError(
                        f"{sub.logical_id} takes {event_type} from {sub.producer}'s topic, "
                        f"but only {', '.join(event.producers)} publish it"
                    )
            routed.extend(versions)
        return routed

    def channel_messages(self, events: list[type[Event]]) -> dict[str, Any]:
        return {
            obj.message_id(e): obj.ref("components", "messages", obj.message_id(e)) for e in events
        }

    def topic_channel(self, topic: Topic) -> dict[str, Any]:
        name = self.topology.topics[topic]
        channel: dict[str, Any] = {
            "address": name,
            "title": f"{topic.value} topic",
            "description": TOPIC_DESCRIPTIONS[topic],
            "messages": self.channel_messages([e for e in self.events if e.topic is topic]),
            "bindings": {"sns": {"name": name, "bindingVersion": obj.SNS_BINDING}},
        }
        if "{producer}" in name:
            channel["parameters"] = {
                "producer": {
                    "enum": sorted(self.topology.producer_topics),
                    "description": "The service that published the event: the topic is its own.",
                }
            }
        return channel

    def queue_channel(self, queue: ServiceQueue) -> dict[str, Any]:
        received = "; ".join(
            f"{', '.join(s.event_types)} from the {s.topic.value} topic"
            for s in queue.subscriptions
        )
        return {
            "address": queue.queue.name,
            "title": f"{queue.service} queue",
            "description": f"The {queue.service} service's queue; it receives {received}.",
            "messages": self.channel_messages(
                [e for sub in queue.subscriptions for e in self.routed(sub)]
            ),
            "bindings": {"sqs": obj.sqs_binding(queue)},
            "x-drsorch-subscriptions": [obj.subscription_extension(s) for s in queue.subscriptions],
        }

    def channels(self) -> dict[str, Any]:
        channels = {topic.value: self.topic_channel(topic) for topic in Topic}
        for queue in self.topology.queues:
            channels[queue_channel_id(queue)] = self.queue_channel(queue)
        return channels

    def send_operations(self) -> dict[str, Any]:
        operations: dict[str, Any] = {}
        latest: dict[str, int] = {}
        for e in self.events:
            latest[e.event_type] = max(latest.get(e.event_type, 0), e.event_version)
        # Producers send the latest version only; consumers still read the earlier ones.
        current = [e for e in self.events if e.event_version == latest[e.event_type]]
        for producer in sorted({p for e in current for p in e.producers}):
            for topic in Topic:
                sent = [e for e in current if producer in e.producers and e.topic is topic]
                if sent:
                    operations[f"{producer}.send.{topic.value}"] = {
                        "action": "send",
                        "title": f"{producer} publishes to the {topic.value} topic",
                        "channel": obj.ref("channels", topic.value),
                        "messages": [
                            obj.ref("channels", topic.value, "messages", obj.message_id(e))
                            for e in sent
                        ],
                    }
        return operations

    def receive_operations(self) -> dict[str, Any]:
        operations: dict[str, Any] = {}
        for queue in self.topology.queues:
            channel = queue_channel_id(queue)
            for sub in queue.subscriptions:
                source = (
                    sub.topic.value if sub.topic is Topic.REQUESTS else f"{sub.producer}.events"
                )
                operations[f"{queue.service}.receive.{source}"] = {
                    "action": "receive",
                    "title": f"{queue.service} receives from the {sub.topic_name} topic",
                    "channel": obj.ref("channels", channel),
                    "messages": [
                        obj.ref("channels", channel, "messages", obj.message_id(e))
                        for e in self.routed(sub)
                    ],
                    "bindings": {"sns": obj.sns_receive_binding(sub.topic_name, queue, sub)},
                }
        return operations


def build_asyncapi(
    registry: EventRegistry, topology: Topology, schema_ref: Callable[[type[Event]], str]
) -> dict[str, Any]:
    """The AsyncAPI document; `schema_ref` names each event's payload schema file."""
    document = _Document(registry, topology)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "drsorch",
            "version": metadata.version("drsorch-contracts"),
            "description": "Events between drsorch's CLI, alarm rule and services "
            "(discovery, matcher, configurator, monitor) on SNS topics and SQS queues. "
            "The alarm rule is an EventBridge rule, not a publisher on a topic: its target "
            "puts a plan-only FailbackRequested envelope straight on the discovery queue. "
            "The topology is read from the CloudFormation template; names are those "
            "of a deployment with default parameters.",
        },
        "defaultContentType": "application/json",
        "channels": document.channels(),
        "operations": {**document.send_operations(), **document.receive_operations()},
        "components": {
            "messages": {obj.message_id(e): obj.message(e, schema_ref(e)) for e in document.events}
        },
    }


class _Dumper(yaml.SafeDumper):
    """Writes shared objects out in full: anchors and aliases only obscure the document."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render_yaml(document: dict[str, Any]) -> str:
    """Deterministic YAML: the document's own key order, no line folding."""
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=10_000, allow_unicode=True)
