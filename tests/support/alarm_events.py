"""CloudWatch alarms on the local endpoint, and a window onto the events they put on EventBridge."""

from __future__ import annotations

import json
import uuid
from typing import Any

from support.aws import client, drain


def new_alarm(prefix: str) -> str:
    """A fresh alarm (moto starts it OK) watching a Route 53 health check; returns its name."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    client("cloudwatch").put_metric_alarm(
        AlarmName=name,
        AlarmDescription="the primary region answers its health check",
        Namespace="AWS/Route53",
        MetricName="HealthCheckStatus",
        Dimensions=[{"Name": "HealthCheckId", "Value": name}],
        Statistic="Minimum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="LessThanThreshold",
    )
    return name


def set_state(alarm: str, value: str, reason: str = "set by a test") -> None:
    client("cloudwatch").set_alarm_state(AlarmName=alarm, StateValue=value, StateReason=reason)


def outage_then_recovery(alarm: str) -> None:
    """The primary region goes down (ALARM), then answers again (OK)."""
    set_state(alarm, "ALARM", "primary region health check failing")
    set_state(alarm, "OK", "primary region health check passing")


class AlarmEventWindow:
    """A rule on the default bus that copies the state changes of some alarms to a queue."""

    def __init__(self, name: str, alarms: list[str]) -> None:
        sqs, events = client("sqs"), client("events")
        self.queue_url: str = sqs.create_queue(QueueName=f"{name}-window")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
        pattern = {"source": ["aws.cloudwatch"], "detail": {"alarmName": alarms}}
        events.put_rule(Name=f"{name}-window", EventPattern=json.dumps(pattern))
        whole_event = {"InputTemplate": "<aws.events.event.json>"}  # `account` included
        target = {
            "Id": "window",
            "Arn": arn["Attributes"]["QueueArn"],
            "InputTransformer": whole_event,
        }
        events.put_targets(Rule=f"{name}-window", Targets=[target])

    def take(self, expect: int) -> list[dict[str, Any]]:
        """The next `expect` events, in the order they were put."""
        return [json.loads(m["Body"]) for m in drain(self.queue_url, expect=expect)]
