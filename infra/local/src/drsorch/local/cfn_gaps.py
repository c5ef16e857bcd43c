"""Which reconcilers a template needs on the local endpoint, built from its resources.

Resource types moto's CloudFormation skips become reconcilers that create them;
managed types whose properties moto drops (queue attributes on update, a table's
time to live and point-in-time recovery) get reconcilers for those properties.
Property values are the template's own, resolved against the deployed stack. The
other types (functions, roles, the key, log groups, the dashboard) moto creates
whole, and their properties are never resolved here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from drsorch.local.reconcile import (
    MetricAlarm,
    QueueAttributes,
    Reconciler,
    Subscription,
    TableTimeToLive,
    TopicPolicy,
    as_text,
)
from drsorch.local.template import Resolver, Resource, Template, TemplateError

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

SKIPPED_TYPES = frozenset(
    {
        "AWS::SNS::Subscription",
        "AWS::SNS::TopicPolicy",
        "AWS::SQS::QueuePolicy",
        "AWS::CloudWatch::Alarm",
    }
)
RECONCILED_TYPES = SKIPPED_TYPES | {"AWS::SQS::Queue", "AWS::DynamoDB::Table"}

_SUBSCRIPTION_ATTRIBUTES = (
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "DeliveryPolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
)
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "ContentBasedDeduplication",
)


def _boolean(value: Any) -> bool:
    return as_text(value) == "true"


_ALARM_CONVERSIONS: dict[str, Callable[[Any], Any]] = {
    "AlarmName": str,
    "AlarmDescription": str,
    "ActionsEnabled": _boolean,
    "OKActions": list,
    "AlarmActions": list,
    "InsufficientDataActions": list,
    "MetricName": str,
    "Namespace": str,
    "Statistic": str,
    "ExtendedStatistic": str,
    "Dimensions": list,
    "Period": int,
    "Unit": str,
    "EvaluationPeriods": int,
    "DatapointsToAlarm": int,
    "Threshold": float,
    "ComparisonOperator": str,
    "TreatMissingData": str,
    "EvaluateLowSampleCountPercentile": str,
    "Metrics": list,
    "ThresholdMetricId": str,
}


@dataclass(frozen=True)
class Clients:
    sns: SNSClient
    sqs: SQSClient
    cloudwatch: CloudWatchClient
    dynamodb: DynamoDBClient


def build_reconcilers(
    template: Template, resolver: Resolver, clients: Clients, refs: Mapping[str, str]
) -> tuple[list[Reconciler], dict[str, str]]:
    """Reconcilers for the template, and the logical IDs whose values did not resolve."""
    reconcilers: list[Reconciler] = []
    failures: dict[str, str] = {}
    for resource in template.resources:
        if resource.type not in RECONCILED_TYPES:
            continue
        try:
            props = resolver.resolve(dict(resource.properties))
            reconcilers.extend(_for_resource(resource, props, clients, refs))
        except (TemplateError, KeyError, TypeError, ValueError, ClientError, BotoCoreError) as exc:
            failures[resource.logical_id] = f"cannot resolve its properties: {exc!r}"
    return reconcilers, failures


def _for_resource(
    resource: Resource, props: dict[str, Any], clients: Clients, refs: Mapping[str, str]
) -> list[Reconciler]:
    logical_id = resource.logical_id
    match resource.type:
        case "AWS::SNS::Subscription":
            attributes = {k: as_text(props[k]) for k in _SUBSCRIPTION_ATTRIBUTES if k in props}
            return [
                Subscription(
                    logical_id,
                    clients.sns,
                    props["TopicArn"],
                    props["Protocol"],
                    props["Endpoint"],
                    attributes,
                )
            ]
        case "AWS::SNS::TopicPolicy" | "AWS::SQS::QueuePolicy":
            return _policies(resource.type, logical_id, props, clients)
        case "AWS::CloudWatch::Alarm":
            settings = {
                k: convert(props[k]) for k, convert in _ALARM_CONVERSIONS.items() if k in props
            }
            settings.setdefault("AlarmName", f"{refs['AWS::StackName']}-{logical_id}")
            return [MetricAlarm(logical_id, clients.cloudwatch, settings)]
        case "AWS::SQS::Queue" if logical_id in refs:
            attributes = {k: as_text(props[k]) for k in _QUEUE_ATTRIBUTES if k in props}
            return [QueueAttributes(logical_id, clients.sqs, refs[logical_id], attributes)]
        case "AWS::DynamoDB::Table" if logical_id in refs:
            return _table(logical_id, props, clients, refs[logical_id])
    return []


def _policies(
    resource_type: str, logical_id: str, props: dict[str, Any], clients: Clients
) -> list[Reconciler]:
    document = as_text(props["PolicyDocument"])
    if resource_type == "AWS::SNS::TopicPolicy":
        return [TopicPolicy(logical_id, clients.sns, arn, document) for arn in props["Topics"]]
    policy = {"Policy": document}
    return [QueueAttributes(logical_id, clients.sqs, url, policy) for url in props["Queues"]]


def _table(
    logical_id: str, props: dict[str, Any], clients: Clients, table: str
) -> list[Reconciler]:
    found: list[Reconciler] = []
    if "TimeToLiveSpecification" in props:
        ttl = props["TimeToLiveSpecification"]
        name = str(ttl.get("AttributeName", ""))
        enabled = _boolean(ttl.get("Enabled", False))
        found.append(TableTimeToLive(logical_id, clients.dynamodb, table, name, enabled))
    recovery = props.get("PointInTimeRecoverySpecification", {})
    if "PointInTimeRecoveryEnabled" in recovery:
        enabled = _boolean(recovery["PointInTimeRecoveryEnabled"])
        found.append(TablePointInTimeRecovery(logical_id, clients.dynamodb, table, enabled))
    return found


@dataclass
class TablePointInTimeRecovery:
    """moto's CloudFormation ignores `PointInTimeRecoverySpecification`."""

    logical_id: str
    dynamodb: DynamoDBClient
    table_name: str
    enabled: bool

    def gap(self) -> str | None:
        found = self.dynamodb.describe_continuous_backups(TableName=self.table_name)
        description = found["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription")
        is_on = (description or {}).get("PointInTimeRecoveryStatus") == "ENABLED"
        if is_on == self.enabled:
            return None
        return f"table {self.table_name} point-in-time recovery is not {self.enabled}"

    def apply(self) -> None:
        if self.gap() is not None:
            self.dynamodb.update_continuous_backups(
                TableName=self.table_name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": self.enabled},
            )
