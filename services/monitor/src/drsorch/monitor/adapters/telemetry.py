"""CloudWatch metrics and the SNS notice when a request ends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_aiobotocore_cloudwatch import CloudWatchClient
    from types_aiobotocore_sns import SNSClient


class CloudWatchMetrics:
    """Per-request metrics in one namespace, dimensioned by request and operation."""

    def __init__(self, client: CloudWatchClient, namespace: str) -> None:
        self.client = client
        self.namespace = namespace

    def _dimensions(self, request_id: str, operation: str) -> list[Any]:
        return [
            {"Name": "RequestId", "Value": request_id},
            {"Name": "Operation", "Value": operation},
        ]

    async def job_finished(
        self, request_id: str, operation: str, seconds: float, launched: int, failed: int
    ) -> None:
        dims = self._dimensions(request_id, operation)
        await self.client.put_metric_data(
            Namespace=self.namespace,
            MetricData=[
                {
                    "MetricName": "JobDuration",
                    "Dimensions": dims,
                    "Value": seconds,
                    "Unit": "Seconds",
                },
                {
                    "MetricName": "JobServersLaunched",
                    "Dimensions": dims,
                    "Value": launched,
                    "Unit": "Count",
                },
                {
                    "MetricName": "JobServersFailed",
                    "Dimensions": dims,
                    "Value": failed,
                    "Unit": "Count",
                },
            ],
        )

    async def request_finished(
        self, request_id: str, operation: str, status: str, launched: int, failed: int
    ) -> None:
        dims = self._dimensions(request_id, operation)
        await self.client.put_metric_data(
            Namespace=self.namespace,
            MetricData=[
                {
                    "MetricName": "ServersLaunched",
                    "Dimensions": dims,
                    "Value": launched,
                    "Unit": "Count",
                },
                {
                    "MetricName": "ServersFailed",
                    "Dimensions": dims,
                    "Value": failed,
                    "Unit": "Count",
                },
                {
                    "MetricName": "RequestsEnded",
                    "Dimensions": [*dims, {"Name": "Status", "Value": status}],
                    "Value": 1,
                    "Unit": "Count",
                },
            ],
        )

    async def landed_elsewhere(self, request_id: str, operation: str, servers: int) -> None:
        # Counted without the request's ID too, so one alarm covers every request.
        await self.client.put_metric_data(
            Namespace=self.namespace,
            MetricData=[
                {
                    "MetricName": "ServersLandedElsewhere",
                    "Dimensions": dims,
                    "Value": servers,
                    "Unit": "Count",
                }
                for dims in (
                    self._dimensions(request_id, operation),
                    self._dimensions(request_id, operation)[1:],
                )
            ],
        )


class SnsNotifier:
    """A plain-text notice to an SNS topic (email, chat) when a request ends."""

    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self.client = client
        self.topic_arn = topic_arn

    async def request_ended(self, subject: str, message: str) -> None:
        await self.client.publish(TopicArn=self.topic_arn, Subject=subject, Message=message)


class NoNotice:
    """No notification topic: RequestCompleted on the events topic is the notice."""

    async def request_ended(self, subject: str, message: str) -> None:
        return None
