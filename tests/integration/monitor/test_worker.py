"""The monitor worker in-process, driven by the plan and configuration events a test
publishes, on a seeded failed-over estate whose reverse replication runs.

The configurator's part (launch-into on each FAILBACK server) is done by hand here;
tests/e2e runs all four services.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from drsorch.local.deploy import StackOutputs
from drsorch.local.estate import SeededServer
from drsorch.local.server import LocalEndpoint
from drsorch.monitor.adapters.telemetry import METRICS_FILE_VARIABLE
from drsorch.monitor.bootstrap import build_with
from drsorch.monitor.settings import MonitorSettings
from drsorch.runtime import RuntimeSettings, serve
from support.aws import client, deploy, drain
from support.monitor_world import (
    calls,
    configure_launch_into,
    configured,
    envelopes_from,
    failback_pair,
    hub_spec,
    plan_events,
    private_ips,
    seed,
    watch,
)
from support.producers import publish_as_producers

pytestmark = pytest.mark.integration

STACK = "x5monwork"
SPOKE = "210987654321"
REQUEST = "req-x5monwork-0001"
ESTATE = """
version: 1
name: x5monwork
seed: 11
regions: {primary: us-east-1, recovery: us-west-2}
phase: failed_over
reverse_replication: {state: CONTINUOUS, lag_seconds: 0}
drs:
  seed: 11
  clock: {scale: 600}
  faults:
    servers:
      work-bad-01: {launch_failure: "Insufficient capacity in us-east-1a"}
accounts:
  - kind: hub
    servers:
      - {name: work-db-01, wave: 1}
      - {name: work-db-02, wave: 1}
      - {name: work-app-01, wave: 2}
      - {name: work-app-02, wave: 2}
      - {name: work-bad-01, wave: 2}
      - {name: work-running-01, wave: 2, original: {state: running}}
      - {name: work-elsewhere-01, wave: 2}
"""
SETTINGS = MonitorSettings(
    poll_min_seconds=1,
    poll_max_seconds=2,
    readiness_poll_seconds=1,
    batch_linger_seconds=1,
    intent_settle_seconds=2,
    lease_seconds=10,
    start_retry_seconds=1,
    capacity_retry_seconds=1,
    wake_delay_seconds=0,
)


@pytest.fixture(scope="module")
def world(endpoint: LocalEndpoint) -> tuple[StackOutputs, dict[str, SeededServer], str, str]:
    endpoint.reset()
    servers = seed(ESTATE, "x5monwork")
    configure_launch_into(
        s for name, s in servers.items() if name not in ("work-running-01", "work-elsewhere-01")
    )
    topology = deploy(STACK, VisibilityTimeoutSeconds=20)
    events = watch(topology, "x5monwork-watch")
    sns, sqs = client("sns"), client("sqs")
    # An operator's subscription to the stack's own notifications topic, which the
    # monitor finds in the stack's outputs (no setting names it).
    notices = sqs.create_queue(QueueName="x5monwork-notices")["QueueUrl"]
    topic = topology.outputs["NotificationsTopicArn"]
    arn = sqs.get_queue_attributes(QueueUrl=notices, AttributeNames=["QueueArn"])["Attributes"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["QueueArn"])
    return topology, servers, events, notices


@pytest.fixture(scope="module")
async def report(
    world: tuple[StackOutputs, dict[str, SeededServer], str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[dict[str, Any]]:
    topology, servers, events, notices = world
    assert SETTINGS.notification_topic_arn is None
    metrics = tmp_path_factory.mktemp("metrics") / "emf.jsonl"
    os.environ[METRICS_FILE_VARIABLE] = str(metrics)  # read when the monitor is built
    stop = asyncio.Event()
    runtime = RuntimeSettings(stack_name=STACK, wait_seconds=1, retry_base_seconds=1)
    task = asyncio.create_task(serve("monitor", build_with(SETTINGS), stop, runtime))
    ips = private_ips([s.original_instance_id for s in servers.values()])
    waves = {name: (1 if "-db-" in name else 2) for name in servers}
    pairs = [failback_pair(s, waves[n], ips[s.original_instance_id]) for n, s in servers.items()]
    # A pair whose target sits in another account than the job: a matcher or configurator
    # mistake upstream, which the monitor must still refuse to launch into.
    pairs = [
        p.model_copy(update={"target": p.target.model_copy(update={"account_id": SPOKE})})
        if p.server.name == "work-elsewhere-01" and p.target
        else p
        for p in pairs
    ]
    results = [
        configured(s, "rejected", "target is running") if n == "work-running-01" else configured(s)
        for n, s in servers.items()
    ]
    spec = hub_spec(options={"wave_success_ratio": 0.5})
    await publish_as_producers(topology, plan_events(REQUEST, spec, pairs, results))
    try:
        seen = await asyncio.to_thread(envelopes_from, events, expect=2 + 2 + 1, timeout=60)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)
        os.environ.pop(METRICS_FILE_VARIABLE, None)
    yield {
        "events": seen,
        "servers": servers,
        "ips": ips,
        "topology": topology,
        "notices": notices,
        "metrics": [json.loads(line) for line in metrics.read_text().splitlines()],
    }


def _payloads(report: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["payload"] for e in report["events"] if e["type"] == kind]


def test_the_request_ends_partial_with_a_line_per_server(report: dict[str, Any]) -> None:
    [done] = _payloads(report, "RequestCompleted")
    servers: dict[str, SeededServer] = report["servers"]
    lines = {line["server"]["name"]: line for line in done["servers"]}
    assert done["status"] == "PARTIAL"
    assert {name: line["outcome"] for name, line in lines.items()} == {
        "work-db-01": "recovered",
        "work-db-02": "recovered",
        "work-app-01": "recovered",
        "work-app-02": "recovered",
        "work-bad-01": "failed",
        "work-running-01": "rejected",
        "work-elsewhere-01": "rejected",
    }
    for name in ("work-db-01", "work-db-02", "work-app-01", "work-app-02"):
        line, server = lines[name], servers[name]
        assert line["ec2_instance_id"] == server.original_instance_id
        assert line["launched_into_expected"] is True
        assert (
            line["private_ip_after"]
            == line["private_ip_before"]
            == report["ips"][server.original_instance_id]
        )
    assert lines["work-bad-01"]["reason"] == "LAUNCH_FAILED: Insufficient capacity in us-east-1a"
    assert lines["work-running-01"]["reason"] == "target is running"
    assert f"sits in {SPOKE}/us-east-1" in lines["work-elsewhere-01"]["reason"]
    assert done["api_calls"]["StartRecovery"] == 2
    assert done["api_calls"]["UpdateLaunchConfiguration"] == 7


def test_jobs_ran_one_per_wave_without_tags_or_quota_errors(report: dict[str, Any]) -> None:
    started = _payloads(report, "JobStarted")
    assert sorted((j["wave"], len(j["source_server_ids"])) for j in started) == [(1, 2), (2, 3)]
    assert all(j["launch_into"] for j in started)
    starts = calls("StartRecovery")
    assert len(starts) == 2
    assert all("tags" not in c["arguments"] for c in starts)
    assert not [
        c
        for c in calls()
        if c["error_code"] in ("ServiceQuotaExceededException", "ConflictException")
    ]
    launched = {s["sourceServerID"] for c in starts for s in c["arguments"]["sourceServers"]}
    for name in ("work-running-01", "work-elsewhere-01"):
        assert report["servers"][name].failback_source_server_id not in launched
    completed = _payloads(report, "JobCompleted")
    assert sorted(j["wave"] for j in completed) == [1, 2]


def test_metrics_and_a_notice_went_out(report: dict[str, Any]) -> None:
    # Embedded Metric Format lines: the request ID a property, never a dimension.
    lines = [line for line in report["metrics"] if line.get("request_id") == REQUEST]
    named = {
        metric["Name"]
        for line in lines
        for directive in line["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
    }
    assert {"JobDuration", "ServersLaunched", "ServersFailed", "RequestsEnded"} <= named
    for line in lines:
        for directive in line["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == "drsorch"
            assert set(directive["Dimensions"][0]) <= {"service", "operation", "outcome"}
    assert {line.get("outcome") for line in lines} >= {"partial"}
    queue = report["notices"]
    [notice] = drain(queue, expect=1, timeout=10)
    body = json.loads(notice["Body"])
    assert REQUEST in body["Subject"] and "PARTIAL" in body["Subject"]


def test_the_report_is_kept_in_the_table_for_the_cli(report: dict[str, Any]) -> None:
    topology: StackOutputs = report["topology"]
    items = client("dynamodb").query(
        TableName=topology.monitor.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"request#{REQUEST}"}},
    )["Items"]
    kinds = {item["sk"]["S"].split("#")[0] for item in items}
    assert {"summary", "server", "batch", "result", "report"} <= kinds
    summary = next(item for item in items if item["sk"]["S"] == "summary")
    assert summary["status"]["S"] == "PARTIAL" and summary["phase"]["S"] == "done"
