"""Reading the topology from a CloudFormation template, and refusing a broken one."""

from __future__ import annotations

from pathlib import Path

import pytest

from drsorch.contracts import EVENTS, Topic
from drsorch.contracts.asyncapi import build_asyncapi
from drsorch.contracts.cfn import TemplateError, load_template
from drsorch.contracts.export import main
from drsorch.contracts.schemas import schema_file_name
from drsorch.contracts.topology import read_topology

FIXTURE = Path(__file__).parent / "fixtures" / "template.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return path


def fixture_with(old: str, new: str, tmp_path: Path) -> Path:
    text = FIXTURE.read_text()
    assert old in text
    return write(tmp_path, text.replace(old, new))


def test_the_fixture_reads_as_two_topics_and_two_service_queues() -> None:
    topology = read_topology(load_template(FIXTURE))
    assert topology.topics == {
        Topic.REQUESTS: "drs-test-requests",
        Topic.EVENTS: "drs-test-{producer}-events",
    }
    assert topology.producer_topics == {
        "matcher": "drs-test-matcher-events",
        "configurator": "drs-test-configurator-events",
    }
    assert [q.service for q in topology.queues] == ["discovery", "monitor"]
    discovery, monitor = topology.queues
    assert discovery.dead_letter is not None
    assert discovery.dead_letter.name == "drs-test-discovery-dlq"
    assert discovery.max_receive_count == 4
    assert discovery.subscriptions[0].topic is Topic.REQUESTS
    assert [(s.producer, s.event_types) for s in monitor.subscriptions] == [
        ("matcher", ("PairsMatched",)),
        ("configurator", ("TargetConfigured",)),
    ]
    assert monitor.max_receive_count == 3


def test_short_form_intrinsics_read_as_their_long_form(tmp_path: Path) -> None:
    path = fixture_with(
        '      Endpoint:\n        "Fn::GetAtt": [MonitorQueue, Arn]',
        "      Endpoint: !GetAtt MonitorQueue.Arn",
        tmp_path,
    )
    path.write_text(
        path.read_text().replace(
            "        Ref: MatcherEventsTopic", "        !Ref MatcherEventsTopic"
        )
    )
    monitor = read_topology(load_template(path)).queues[1]
    assert monitor.subscriptions[0].topic is Topic.EVENTS


def test_a_missing_template_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"nope\.yaml not found.*--template"):
        load_template(tmp_path / "nope.yaml")


def test_a_template_without_a_topic_is_refused(tmp_path: Path) -> None:
    path = fixture_with(
        "  RequestsTopic:\n    Type: AWS::SNS::Topic",
        "  RequestsTopic:\n    Type: AWS::SQS::Queue",
        tmp_path,
    )
    with pytest.raises(TemplateError, match="no AWS::SNS::Topic named RequestsTopic"):
        read_topology(load_template(path))


def test_a_filter_on_an_unknown_event_type_is_refused(tmp_path: Path) -> None:
    path = fixture_with(
        "type: [FailbackRequested, FailoverRequested]", "type: [FailbackRequested, Typo]", tmp_path
    )
    topology = read_topology(load_template(path))
    with pytest.raises(
        TemplateError, match="DiscoverySubscription filters on unknown event type Typo"
    ):
        build_asyncapi(EVENTS, topology, schema_file_name)


def test_a_filter_for_an_event_on_the_other_topic_is_refused(tmp_path: Path) -> None:
    path = fixture_with(
        "type: [FailbackRequested, FailoverRequested]", "type: [JobStarted]", tmp_path
    )
    topology = read_topology(load_template(path))
    with pytest.raises(TemplateError, match="expects JobStarted on the requests topic"):
        build_asyncapi(EVENTS, topology, schema_file_name)


def test_a_filter_policy_on_the_body_is_refused(tmp_path: Path) -> None:
    path = fixture_with(
        "      FilterPolicyScope: MessageAttributes\n      FilterPolicy:\n        type: [Failback",
        "      FilterPolicyScope: MessageBody\n      FilterPolicy:\n        type: [Failback",
        tmp_path,
    )
    with pytest.raises(TemplateError, match="must be MessageAttributes"):
        read_topology(load_template(path))


def test_the_export_writes_every_schema_and_the_document(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    assert main([str(out), "--template", str(FIXTURE)]) == 0
    assert {p.name for p in out.iterdir()} == {
        *(schema_file_name(e) for e in EVENTS),
        "asyncapi.yaml",
    }
    assert all(p.read_text().endswith("\n") for p in out.iterdir())
    assert main([str(out), "--template", str(FIXTURE), "--check"]) == 0
    (out / "JobStarted.v1.schema.json").write_text("{}\n")
    assert main([str(out), "--template", str(FIXTURE), "--check"]) == 1


def test_the_export_fails_clearly_without_a_template(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path / "out"), "--template", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
