"""CloudWatch metrics (Embedded Metric Format) and the SNS notice when a request ends."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)

if TYPE_CHECKING:
    from types_aiobotocore_sns import SNSClient

METRICS_FILE_VARIABLE = "DRSORCH_METRICS_FILE"
SERVICE = "drsorch-monitor"
FAILED = "FAILED"


class EmfMetrics:
    """The monitor's metrics as CloudWatch Embedded Metric Format lines, through Powertools.

    Each datapoint is a JSON line on stdout (or appended to `DRSORCH_METRICS_FILE`),
    which CloudWatch Logs turns into metrics: no PutMetricData call, no IAM grant, no
    latency on the monitor's path. Dimensions stay few and low-cardinality (`service`,
    `operation`, `outcome`) so alarms work across requests; the request ID is a
    property of the line, searchable in Logs Insights, never a dimension.
    """

    def __init__(self, namespace: str, service: str = SERVICE, path: str | None = None) -> None:
        self.namespace = namespace
        self.service = service
        self.path = path if path is not None else os.environ.get(METRICS_FILE_VARIABLE)

    async def job_finished(
        self, request_id: str, operation: str, seconds: float, launched: int, failed: int
    ) -> None:
        self._emit(
            {"JobDuration": (MetricUnit.Seconds, seconds)}
            | {"JobServersLaunched": (MetricUnit.Count, launched)}
            | {"JobServersFailed": (MetricUnit.Count, failed)},
            {"operation": operation},
            request_id,
        )

    async def request_finished(
        self, request_id: str, operation: str, status: str, launched: int, failed: int
    ) -> None:
        servers = {
            "ServersLaunched": (MetricUnit.Count, launched),
            "ServersFailed": (MetricUnit.Count, failed),
        }
        self._emit(servers, {"operation": operation}, request_id)
        outcome = {"operation": operation, "outcome": status.lower()}
        self._emit({"RequestsEnded": (MetricUnit.Count, 1)}, outcome, request_id)
        if status == FAILED:
            # One dimension only: the alarm on failed requests watches every operation.
            self._emit({"RequestsFailed": (MetricUnit.Count, 1)}, {}, request_id)

    def _emit(
        self,
        metrics: Mapping[str, tuple[MetricUnit, float]],
        dimensions: Mapping[str, str],
        request_id: str,
    ) -> None:
        provider = AmazonCloudWatchEMFProvider(namespace=self.namespace, service=self.service)
        for name, (unit, value) in metrics.items():
            provider.add_metric(name=name, unit=unit, value=value)
        for name, dimension in dimensions.items():
            provider.add_dimension(name=name, value=dimension)
        provider.add_metadata(key="request_id", value=request_id)
        line = json.dumps(provider.serialize_metric_set(), separators=(",", ":")) + "\n"
        if self.path:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
        else:
            sys.stdout.write(line)
            sys.stdout.flush()

    async def landed_elsewhere(self, request_id: str, operation: str, servers: int) -> None:
        # The service dimension only, so one alarm covers every request and operation.
        self._emit({"ServersLandedElsewhere": (MetricUnit.Count, servers)}, {}, request_id)


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
