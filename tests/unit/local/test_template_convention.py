"""infra/aws/drsorch.yaml follows the convention other code depends on."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from drsorch.local.cfn_gaps import SKIPPED_TYPES
from drsorch.local.deploy import DEFAULT_TEMPLATE
from drsorch.local.outputs import SERVICES, expected_output_names

SUBSCRIPTIONS = {  # each from the topic of the one service that produces those events
    "DiscoveryFromRequestsTopicSubscription": (
        "RequestsTopic",
        "DiscoveryQueue",
        ["FailbackRequested", "FailoverRequested", "DrillRequested"],
    ),
    "DiscoveryFromMonitorEventsTopicSubscription": (
        "MonitorEventsTopic",
        "DiscoveryQueue",
        ["RequestCompleted"],
    ),
    "MatcherFromDiscoveryEventsTopicSubscription": (
        "DiscoveryEventsTopic",
        "MatcherQueue",
        ["ServersDiscovered"],
    ),
    "MatcherFromMonitorEventsTopicSubscription": (
        "MonitorEventsTopic",
        "MatcherQueue",
        ["JobCompleted"],
    ),
    "ConfiguratorFromMatcherEventsTopicSubscription": (
        "MatcherEventsTopic",
        "ConfiguratorQueue",
        ["PairsMatched"],
    ),
    "ConfiguratorFromRequestsTopicSubscription": (
        "RequestsTopic",
        "ConfiguratorQueue",
        [
            "RestoreRequested",
            "ReverseReplicationRequested",
            "RetireRequested",
            "DrillRequested",
            "DrillCleanupRequested",
        ],
    ),
    "ConfiguratorFromMonitorEventsTopicSubscription": (
        "MonitorEventsTopic",
        "ConfiguratorQueue",
        ["RequestCompleted"],
    ),
    "MonitorFromRequestsTopicSubscription": (
        "RequestsTopic",
        "MonitorQueue",
        ["CancelRequested", "DrillRequested"],
    ),
    "MonitorFromMatcherEventsTopicSubscription": (
        "MatcherEventsTopic",
        "MonitorQueue",
        ["PairsMatched"],
    ),
    "MonitorFromConfiguratorEventsTopicSubscription": (
        "ConfiguratorEventsTopic",
        "MonitorQueue",
        ["TargetConfigured"],
    ),
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DEFAULT_TEMPLATE.read_text())  # long-form only
    return loaded


def _logical_ids_in(value: Any) -> set[str]:
    """The logical IDs a value refers to through Ref, Fn::GetAtt or Fn::Sub."""
    if isinstance(value, list):
        return set().union(*map(_logical_ids_in, value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    for key, item in value.items():
        if key == "Ref":
            found.add(item)
        elif key == "Fn::GetAtt":
            found.add(item[0])
        elif key == "Fn::Sub":
            text = item if isinstance(item, str) else item[0]
            found |= {part.split("}")[0].split(".")[0] for part in text.split("${")[1:]}
        else:
            found |= _logical_ids_in(item)
    return found


def test_parameters_and_their_defaults(template: dict[str, Any]) -> None:
    defaults = {
        name: spec["Default"] for name, spec in template["Parameters"].items() if "Default" in spec
    }
    # The functions' code has no default: `make deploy` (or the local deploy) names it.
    required = {name for name, spec in template["Parameters"].items() if "Default" not in spec}
    assert required == {
        "ArtifactBucket",
        "DiscoveryCodeKey",
        "MatcherCodeKey",
        "ConfiguratorCodeKey",
        "MonitorCodeKey",
    }
    assert defaults == {
        "Prefix": "drsorch",
        "MaxReceiveCount": 5,
        "VisibilityTimeoutSeconds": 60,
        "MessageRetentionSeconds": 345600,
        "DeadLetterRetentionSeconds": 1209600,
        "FailbackAlarmNames": "drsorch-primary-region-healthy",
        "FailbackAlarmRuleState": "ENABLED",
        "FailbackScopeSelector": '{"dr:failback-on-alarm":"true"}',
        "FailbackSpokeAccountIds": "",
        "FailbackPrimaryRegion": "us-east-1",
        "FailbackRecoveryRegion": "us-west-2",
        "Architecture": "x86_64",
        "FunctionTimeoutSeconds": 50,
        "FunctionMemoryMB": 512,
        "EventSourceMappingsEnabled": "true",
        "SpokeRoleName": "drsorch-spoke",
        "SpokeExternalId": "",
        "TracesLayerArn": "",
        "ApproverRoleArnPattern": "",
        "ApprovalsRequired": 1,
        "LogRetentionDays": 90,
    }


def test_resources_per_service(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    assert resources["RequestsTopic"]["Properties"]["TopicName"] == {
        "Fn::Sub": "${Prefix}-requests"
    }
    for service in SERVICES:
        name = service.capitalize()
        topic = resources[f"{name}EventsTopic"]["Properties"]
        assert topic["TopicName"] == {"Fn::Sub": f"${{Prefix}}-{service}-events"}
        assert resources[f"{name}EventsTopicPolicy"]["Type"] == "AWS::SNS::TopicPolicy"
        queue = resources[f"{name}Queue"]["Properties"]
        assert queue["QueueName"] == {"Fn::Sub": f"${{Prefix}}-{service}"}
        assert queue["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [f"{name}DeadLetterQueue", "Arn"]},
            "maxReceiveCount": {"Ref": "MaxReceiveCount"},
        }
        dlq = resources[f"{name}DeadLetterQueue"]["Properties"]
        assert dlq["QueueName"] == {"Fn::Sub": f"${{Prefix}}-{service}-dlq"}
        assert resources[f"{name}QueuePolicy"]["Type"] == "AWS::SQS::QueuePolicy"
        table = resources[f"{name}Table"]["Properties"]
        assert table["TableName"] == {"Fn::Sub": f"${{Prefix}}-{service}"}
        assert table["BillingMode"] == "PAY_PER_REQUEST"
        assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
        alarm = resources[f"{name}DeadLetterAlarm"]
        assert alarm["Type"] == "AWS::CloudWatch::Alarm"
        assert alarm["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert _logical_ids_in(alarm["Properties"]["Dimensions"]) == {f"{name}DeadLetterQueue"}


def test_subscriptions_and_their_filters(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    declared = {k for k, v in resources.items() if v["Type"] == "AWS::SNS::Subscription"}
    assert declared == set(SUBSCRIPTIONS)
    for logical_id, (topic, queue, types) in SUBSCRIPTIONS.items():
        props = resources[logical_id]["Properties"]
        assert props["TopicArn"] == {"Ref": topic}
        assert props["Protocol"] == "sqs"
        assert props["Endpoint"] == {"Fn::GetAtt": [queue, "Arn"]}
        assert props["RawMessageDelivery"] is False
        assert props["FilterPolicyScope"] == "MessageAttributes"
        assert props["FilterPolicy"] == {"type": types}
        # The queue's policy lets exactly the topics subscribed to it send (and the alarm
        # rule, to discovery), and the consuming service itself (its timers).
        policy = resources[queue.replace("Queue", "QueuePolicy")]["Properties"]
        topics = {t for t, q, _ in SUBSCRIPTIONS.values() if q == queue}
        alarm_rule = {"FailbackAlarmRule"} if queue == "DiscoveryQueue" else set()
        role = queue.replace("Queue", "FunctionRole")
        assert _logical_ids_in(policy["PolicyDocument"]) == topics | {queue, role} | alarm_rule


def test_outputs_are_the_convention_and_avoid_what_moto_skips(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert tuple(outputs) == expected_output_names()
    types = {k: v["Type"] for k, v in template["Resources"].items()}
    for name, output in outputs.items():
        referred = _logical_ids_in(output["Value"])
        assert referred, name
        assert not {types[logical_id] for logical_id in referred} & SKIPPED_TYPES, name
