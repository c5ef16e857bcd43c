"""Put in place, through the service APIs, what moto's CloudFormation leaves out.

moto 5.2.5 skips `AWS::SNS::Subscription`, `AWS::SQS::QueuePolicy` and
`AWS::CloudWatch::Alarm` (a log line, no error), ignores a table's
`TimeToLiveSpecification`, and on a stack update leaves most queue attributes as
they were. Each `Reconciler` here covers one such resource or property: `gap()`
says what differs from the template (None when nothing does) and `apply()` closes
the gap. Both read before they write, so a second deploy changes nothing, and
`gap()` is also how the deploy verifies the result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient


class Reconciler(Protocol):
    logical_id: str

    def gap(self) -> str | None:
        """What differs from the template, or None when the resource is as declared."""

    def apply(self) -> None:
        """Create or change the resource so that `gap()` answers None."""


def canonical(value: Any) -> Any:
    """A value in a form where equal settings compare equal (JSON text, numbers, bools)."""
    if isinstance(value, str):
        return _canonical_text(value)
    if isinstance(value, dict):
        return {str(key): canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _canonical_text(text: str) -> Any:
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return canonical(parsed) if isinstance(parsed, dict | list) else text


def differing(current: dict[str, Any], desired: dict[str, Any]) -> list[str]:
    """The keys of `desired` whose values `current` does not hold."""
    return [
        key for key, value in desired.items() if canonical(current.get(key)) != canonical(value)
    ]


def as_text(value: Any) -> str:
    """A template value as an API attribute string (JSON for documents)."""
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


@dataclass
class Subscription:
    logical_id: str
    sns: SNSClient
    topic_arn: str
    protocol: str
    endpoint: str
    attributes: dict[str, str] = field(default_factory=dict)

    def _find(self) -> str | None:
        pages = self.sns.get_paginator("list_subscriptions_by_topic").paginate(
            TopicArn=self.topic_arn
        )
        for page in pages:
            for sub in page["Subscriptions"]:
                if (sub.get("Protocol"), sub.get("Endpoint")) == (self.protocol, self.endpoint):
                    return sub["SubscriptionArn"]
        return None

    def _differing(self, arn: str) -> list[str]:
        current = self.sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
        return differing(dict(current), dict(self.attributes))

    def gap(self) -> str | None:
        arn = self._find()
        if arn is None:
            return f"no {self.protocol} subscription of {self.endpoint} to {self.topic_arn}"
        keys = self._differing(arn)
        return f"subscription {arn} differs in {', '.join(keys)}" if keys else None

    def apply(self) -> None:
        arn = self._find()
        if arn is None:
            self.sns.subscribe(
                TopicArn=self.topic_arn,
                Protocol=self.protocol,
                Endpoint=self.endpoint,
                Attributes=self.attributes,
                ReturnSubscriptionArn=True,
            )
            return
        for key in self._differing(arn):
            self.sns.set_subscription_attributes(
                SubscriptionArn=arn, AttributeName=key, AttributeValue=self.attributes[key]
            )


@dataclass
class QueueAttributes:
    """Attributes of one queue: a queue policy, or what moto drops on a stack update."""

    logical_id: str
    sqs: SQSClient
    queue_url: str
    attributes: dict[str, str]

    def _differing(self) -> list[str]:
        found = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["All"])
        current = {str(key): value for key, value in found.get("Attributes", {}).items()}
        return differing(current, dict(self.attributes))

    def gap(self) -> str | None:
        keys = self._differing()
        return f"queue {self.queue_url} differs in {', '.join(keys)}" if keys else None

    def apply(self) -> None:
        keys = self._differing()
        if keys:
            changes = {key: self.attributes[key] for key in keys}
            self.sqs.set_queue_attributes(QueueUrl=self.queue_url, Attributes=changes)  # type: ignore[arg-type]


@dataclass
class TopicPolicy:
    """A topic's access policy (moto's CloudFormation skips `AWS::SNS::TopicPolicy`)."""

    logical_id: str
    sns: SNSClient
    topic_arn: str
    policy: str

    def _differing(self) -> list[str]:
        found = self.sns.get_topic_attributes(TopicArn=self.topic_arn)["Attributes"]
        return differing({"Policy": found.get("Policy", "")}, {"Policy": self.policy})

    def gap(self) -> str | None:
        return f"topic {self.topic_arn} has another policy" if self._differing() else None

    def apply(self) -> None:
        if self._differing():
            self.sns.set_topic_attributes(
                TopicArn=self.topic_arn, AttributeName="Policy", AttributeValue=self.policy
            )


@dataclass
class MetricAlarm:
    logical_id: str
    cloudwatch: CloudWatchClient
    settings: dict[str, Any]

    def _differing(self) -> list[str] | None:
        found = self.cloudwatch.describe_alarms(AlarmNames=[self.settings["AlarmName"]])
        alarms = found["MetricAlarms"]
        return differing(dict(alarms[0]), self.settings) if alarms else None

    def gap(self) -> str | None:
        keys = self._differing()
        if keys is None:
            return f"no alarm {self.settings['AlarmName']}"
        return f"alarm {self.settings['AlarmName']} differs in {', '.join(keys)}" if keys else None

    def apply(self) -> None:
        # Putting an alarm again resets its state, so only put one that differs.
        if self._differing() != []:
            self.cloudwatch.put_metric_alarm(**self.settings)


@dataclass
class TableTimeToLive:
    logical_id: str
    dynamodb: DynamoDBClient
    table_name: str
    attribute_name: str
    enabled: bool

    def gap(self) -> str | None:
        found = self.dynamodb.describe_time_to_live(TableName=self.table_name)
        description = found.get("TimeToLiveDescription", {})
        is_on = description.get("TimeToLiveStatus") in {"ENABLED", "ENABLING"}
        if is_on == self.enabled and (
            not self.enabled or description.get("AttributeName") == self.attribute_name
        ):
            return None
        return f"table {self.table_name} time to live is not {self.attribute_name}={self.enabled}"

    def apply(self) -> None:
        if self.gap() is not None:
            self.dynamodb.update_time_to_live(
                TableName=self.table_name,
                TimeToLiveSpecification={
                    "Enabled": self.enabled,
                    "AttributeName": self.attribute_name,
                },
            )
