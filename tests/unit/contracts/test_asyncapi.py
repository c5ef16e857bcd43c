"""The AsyncAPI document names every message and mirrors the template's topology."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from drsorch.contracts import EVENTS, Topic
from drsorch.contracts.asyncapi import build_asyncapi, render_yaml
from drsorch.contracts.asyncapi_objects import message_id
from drsorch.contracts.cfn import load_template
from drsorch.contracts.export import render_all
from drsorch.contracts.schemas import schema_file_name
from drsorch.contracts.topology import read_topology

ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = ROOT / "contracts" / "schemas"
TEMPLATE = ROOT / "infra" / "aws" / "drsorch.yaml"
FIXTURE = Path(__file__).parent / "fixtures" / "template.yaml"


def fixture_document() -> dict[str, Any]:
    topology = read_topology(load_template(FIXTURE))
    document: dict[str, Any] = yaml.safe_load(
        render_yaml(build_asyncapi(EVENTS, topology, schema_file_name))
    )
    return document


def resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def local_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if str(node.get("$ref", "")).startswith("#/") else []
        return own + [r for value in node.values() for r in local_refs(value)]
    if isinstance(node, list):
        return [r for item in node for r in local_refs(item)]
    return []


def test_the_committed_document_is_asyncapi_3_and_names_every_message() -> None:
    document = yaml.safe_load((SCHEMAS / "asyncapi.yaml").read_text())
    assert document["asyncapi"] == "3.0.0"
    assert set(document["components"]["messages"]) == {message_id(e) for e in EVENTS}
    for event in EVENTS:
        message = document["components"]["messages"][message_id(event)]
        assert message["name"] == event.event_type
        assert (SCHEMAS / message["payload"]["schema"]["$ref"]).is_file()


@pytest.mark.skipif(not TEMPLATE.is_file(), reason="infra/aws/drsorch.yaml not written yet")
def test_the_committed_document_matches_the_template() -> None:
    committed = (SCHEMAS / "asyncapi.yaml").read_text()
    assert committed == render_all(EVENTS, TEMPLATE)["asyncapi.yaml"], (
        "contracts/schemas/asyncapi.yaml is out of date with infra/aws/drsorch.yaml or the "
        "models: run `make schemas` and commit contracts/schemas"
    )


def test_every_local_reference_resolves() -> None:
    document = fixture_document()
    refs = local_refs(document)
    assert refs
    for ref in refs:
        assert resolve(document, ref) is not None, ref


def test_topics_are_channels_named_by_their_logical_topic() -> None:
    channels = fixture_document()["channels"]
    assert channels["requests"]["address"] == "drs-test-requests"
    # One channel for every producer's own topic, the producer a parameter of its address.
    assert channels["events"]["address"] == "drs-test-{producer}-events"
    assert channels["events"]["parameters"]["producer"]["enum"] == ["configurator", "matcher"]
    for topic in Topic:
        published = {message_id(e) for e in EVENTS if e.topic is topic}
        assert set(channels[topic.value]["messages"]) == published


def test_each_service_queue_is_a_channel_with_its_filters_and_dead_letter_queue() -> None:
    channels = fixture_document()["channels"]
    discovery = channels["discoveryQueue"]
    assert discovery["address"] == "drs-test-discovery"
    # A queue takes every version its consumer reads: v1 is upcast on arrival.
    assert set(discovery["messages"]) == {
        f"{kind}Requested.v{v}" for kind in ("Failback", "Failover") for v in (1, 2, 3, 4)
    }
    sqs = discovery["bindings"]["sqs"]
    assert sqs["queue"]["redrivePolicy"] == {
        "deadLetterQueue": {"name": "drs-test-discovery-dlq"},
        "maxReceiveCount": 4,
    }
    assert sqs["queue"]["visibilityTimeout"] == 90
    assert sqs["deadLetterQueue"]["messageRetentionPeriod"] == 1209600
    (subscription,) = discovery["x-drsorch-subscriptions"]
    assert subscription["filterPolicy"] == {"type": ["FailbackRequested", "FailoverRequested"]}
    assert subscription["topic"] == {"$ref": "#/channels/requests"}

    monitor = channels["monitorQueue"]
    assert set(monitor["messages"]) == {
        "PairsMatched.v1",
        "PairsMatched.v2",
        "PairsMatched.v3",
        "PairsMatched.v4",
        "PairsMatched.v5",
        "TargetConfigured.v1",
        "TargetConfigured.v2",
        "TargetConfigured.v3",
    }
    assert monitor["x-drsorch-subscriptions"][0]["rawMessageDelivery"] is True


def test_producers_send_and_services_receive() -> None:
    operations = fixture_document()["operations"]
    assert operations["cli.send.requests"]["action"] == "send"
    assert operations["matcher.send.events"]["messages"] == [
        {"$ref": "#/channels/events/messages/PairsMatched.v5"}
    ]
    receive = operations["monitor.receive.matcher.events"]
    assert receive["action"] == "receive"
    assert receive["channel"] == {"$ref": "#/channels/monitorQueue"}
    assert receive["bindings"]["sns"]["topic"] == {"name": "drs-test-matcher-events"}
    (consumer,) = receive["bindings"]["sns"]["consumers"]
    assert consumer["filterPolicy"] == {"type": ["PairsMatched"]}
    assert consumer["filterPolicyScope"] == "MessageAttributes"
    sending = {op["channel"]["$ref"] for op in operations.values() if op["action"] == "send"}
    assert sending == {"#/channels/requests", "#/channels/events"}


def test_rendering_is_deterministic() -> None:
    topology = read_topology(load_template(FIXTURE))
    first = render_yaml(build_asyncapi(EVENTS, topology, schema_file_name))
    assert first == render_yaml(build_asyncapi(EVENTS, topology, schema_file_name))
    assert "&id" not in first  # no YAML anchors
