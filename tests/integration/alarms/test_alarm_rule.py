"""The alarm path on the local endpoint: an alarm's state change reaches EventBridge as on
AWS, and the template's rule turns a watched alarm's return to OK into a plan-only
FailbackRequested on the discovery queue.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from drsorch.contracts import EVENTS, EventRegistry, FailbackRequested
from drsorch.local.deploy import StackOutputs
from drsorch.local.server import LocalEndpoint
from support.alarm_events import AlarmEventWindow, new_alarm, outage_then_recovery, set_state
from support.aws import client, deploy, depth, drain

pytestmark = pytest.mark.integration

STACK = "x6alarm"
SPOKES = ("222233334444", "333344445555")


@pytest.fixture(scope="module")
def watched(endpoint: LocalEndpoint) -> list[str]:
    return [new_alarm(f"{STACK}-primary-healthy") for _ in range(2)]


@pytest.fixture(scope="module")
def topology(watched: list[str]) -> StackOutputs:
    return deploy(
        STACK,
        FailbackAlarmNames=",".join(watched),
        FailbackScopeSelector='{"app": "payments", "dr:tier": "1"}',
        FailbackSpokeAccountIds=",".join(SPOKES),
        FailbackPrimaryRegion="eu-west-1",
        FailbackRecoveryRegion="eu-central-1",
    )


def requests(topology: StackOutputs, expect: int) -> list[dict[str, Any]]:
    return drain(topology.discovery.queue_url, expect=expect)


def test_a_state_change_reaches_the_default_bus_as_aws_puts_it(endpoint: LocalEndpoint) -> None:
    alarm = new_alarm(f"{STACK}-shape")
    window = AlarmEventWindow(f"{STACK}-shape", [alarm])

    set_state(alarm, "ALARM", "primary region health check failing")

    (event,) = window.take(1)
    arn = client("cloudwatch").describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["AlarmArn"]
    assert event["source"] == "aws.cloudwatch"
    assert event["detail-type"] == "CloudWatch Alarm State Change"
    assert (event["account"], event["region"]) == ("123456789012", "us-east-1")
    assert event["resources"] == [arn]
    assert datetime.fromisoformat(event["time"]) > datetime.now(UTC) - timedelta(minutes=1)
    detail = event["detail"]
    assert detail["alarmName"] == alarm
    assert detail["state"]["value"] == "ALARM"
    assert detail["state"]["reason"] == "primary region health check failing"
    assert detail["previousState"]["value"] == "OK"  # moto creates alarms OK
    metric = detail["configuration"]["metrics"][0]["metricStat"]["metric"]
    assert metric == {
        "namespace": "AWS/Route53",
        "name": "HealthCheckStatus",
        "dimensions": {"HealthCheckId": alarm},
    }


def test_setting_the_state_an_alarm_is_in_sends_nothing(endpoint: LocalEndpoint) -> None:
    alarm = new_alarm(f"{STACK}-same")
    window = AlarmEventWindow(f"{STACK}-same", [alarm])

    set_state(alarm, "OK")  # already OK
    set_state(alarm, "ALARM")
    set_state(alarm, "ALARM")
    set_state(alarm, "OK")

    # Delivered within each SetAlarmState call: what is not in the queue now was never sent.
    events = window.take(2)
    changes = [
        (e["detail"]["previousState"]["value"], e["detail"]["state"]["value"]) for e in events
    ]
    assert depth(window.queue_url) == 0
    assert changes == [("OK", "ALARM"), ("ALARM", "OK")]


def test_a_watched_alarm_back_to_ok_requests_a_plan_only_failback(
    topology: StackOutputs, watched: list[str]
) -> None:
    window = AlarmEventWindow(f"{STACK}-plan", [watched[1]])

    outage_then_recovery(watched[1])

    _, recovered = window.take(2)
    (message,) = requests(topology, expect=1)
    envelope = EventRegistry(EVENTS).parse(message["Body"])
    assert isinstance(envelope.payload, FailbackRequested)
    # The alarm event's own ID: EventBridge keeps it across retries, so the inbox drops a repeat.
    assert envelope.event_id == recovered["id"]
    assert envelope.request_id == f"alarm-{recovered['id']}"
    assert envelope.producer == "alarm-rule"
    assert abs(envelope.occurred_at - datetime.fromisoformat(recovered["time"])) < timedelta(
        seconds=1
    )
    spec = envelope.payload.spec
    assert spec.plan_only
    assert spec.approved_plan_hash is None
    assert spec.scope.selector == {"app": "payments", "dr:tier": "1"}
    assert spec.accounts.hub == "123456789012"
    assert tuple(s.account_id for s in spec.accounts.spokes) == SPOKES
    assert (spec.primary_region, spec.recovery_region) == ("eu-west-1", "eu-central-1")
    assert spec.requested_by == f"alarm:{watched[1]}"
    assert spec.reason is not None
    assert watched[1] in spec.reason


def test_an_outage_or_an_unwatched_alarm_requests_nothing(
    topology: StackOutputs, watched: list[str]
) -> None:
    unwatched = new_alarm(f"{STACK}-unwatched")
    window = AlarmEventWindow(f"{STACK}-sentinel", [watched[0]])

    set_state(watched[0], "ALARM")  # the outage itself: no request
    outage_then_recovery(unwatched)  # not in FailbackAlarmNames: no request
    set_state(watched[0], "OK")  # the sentinel: the one request expected

    *_, sentinel = window.take(2)
    # EventBridge delivers within the SetAlarmState call here, so once the sentinel's
    # request is in, anything the outage or the unwatched alarm sent would be too.
    (first,) = requests(topology, expect=1)
    assert EventRegistry(EVENTS).parse(first["Body"]).event_id == sentinel["id"]
    assert depth(topology.discovery.queue_url) == 0


def test_the_rule_is_deployed_as_declared(topology: StackOutputs, watched: list[str]) -> None:
    events = client("events")
    rule = events.describe_rule(Name=f"{STACK}-failback-on-alarm")
    assert rule["State"] == "ENABLED"
    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert target["Arn"] == topology.discovery.queue_arn
    policy = client("sqs").get_queue_attributes(
        QueueUrl=topology.discovery.queue_url, AttributeNames=["Policy"]
    )["Attributes"]["Policy"]
    assert rule["Arn"] in policy  # EventBridge may send to the discovery queue


def test_a_deploy_without_alarm_parameters_takes_the_defaults(endpoint: LocalEndpoint) -> None:
    deploy(f"{STACK}d")
    rule = client("events").describe_rule(Name=f"{STACK}d-failback-on-alarm")
    assert '"alarmName": ["drsorch-primary-region-healthy"]' in rule["EventPattern"]
