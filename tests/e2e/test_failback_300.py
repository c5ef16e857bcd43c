"""Issue 5's failback, end to end: 300 servers in three waves, all four services as
workers (in-process `serve` tasks) on the local endpoint.

The estate starts failed over with no reverse replication: drsorch discovers, pairs
by lineage, starts reverse replication, configures launch-into, waits for each
FAILBACK server to replicate CONTINUOUS, launches in waves within DRS quotas, and
proves every server landed in its original instance with ID and private IP unchanged.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import pytest

from drsorch.contracts import Accounts, RequestCompleted, RequestSpec, Scope, TargetConfigured
from drsorch.local.deploy import StackOutputs
from drsorch.local.estate import SeededServer
from drsorch.local.server import LocalEndpoint
from support.approving import plan_and_approve
from support.aws import deploy
from support.monitor_e2e import running, services
from support.monitor_world import calls, private_ips, seed
from support.observer import observer_queue

pytestmark = pytest.mark.e2e

STACK = "x5e2e"
REQUEST = "req-x5e2e-failback-300"
ESTATE = """
version: 1
name: x5e2e
seed: 17
regions: {primary: us-east-1, recovery: us-west-2}
phase: failed_over
drs:
  seed: 17
  clock: {scale: 600}
accounts:
  - kind: hub
    generators:
      - count: 300
        name: e2e-{index:03d}
        waves: [1, 2, 3]
        name_noise: {rate: 0}
        template:
          tags: {app: e2e}
"""


@pytest.fixture(scope="module")
def world(
    endpoint: LocalEndpoint,
) -> tuple[StackOutputs, dict[str, SeededServer], dict[str, str], str]:
    endpoint.reset()
    servers = seed(ESTATE, "x5e2e")
    ips = private_ips([s.original_instance_id for s in servers.values()])
    stack = deploy(STACK, VisibilityTimeoutSeconds=60)
    return stack, servers, ips, observer_queue(stack, f"{STACK}-observer")


@pytest.fixture(scope="module")
async def outcome(
    world: tuple[StackOutputs, dict[str, SeededServer], dict[str, str], str],
) -> dict[str, Any]:
    stack, servers, ips, watch = world
    spec = RequestSpec(
        operation="failback",
        scope=Scope(selector={"app": "e2e"}),
        accounts=Accounts(hub="123456789012"),
        primary_region="us-east-1",
        recovery_region="us-west-2",
        requested_by="e2e",
    )
    async with running(stack, watch, services()) as flow:
        spec = await plan_and_approve(flow, spec, REQUEST)
        await flow.request(spec, REQUEST)
        report = await flow.completed(REQUEST, within=600)
        configured = flow.events(REQUEST, "TargetConfigured")
        started = flow.events(REQUEST, "JobStarted")
    return {
        "report": report,
        "servers": servers,
        "ips": ips,
        "configured": configured,
        "started": started,
    }


def _lines(report: list[RequestCompleted]) -> dict[str, Any]:
    return {line.server.source_server_id: line for chunk in report for line in chunk.servers}


def test_every_server_landed_in_its_original_instance_keeping_id_and_ip(
    outcome: dict[str, Any],
) -> None:
    report: list[RequestCompleted] = outcome["report"]
    servers: dict[str, SeededServer] = outcome["servers"]
    lines = _lines(report)
    assert report[0].status == "SUCCEEDED", report[0].reason
    assert len(lines) == 300
    for server in servers.values():
        line = lines[server.source_server_id]
        assert line.outcome == "recovered", (server.name, line.reason)
        assert line.method == "lineage"
        assert line.ec2_instance_id == server.original_instance_id
        assert line.launched_into_expected is True
        assert (
            line.private_ip_after
            == line.private_ip_before
            == outcome["ips"][server.original_instance_id]
        )
        assert line.launching_server_id not in (None, server.source_server_id)
        assert line.previous_launch_configuration is not None
    assert Counter(line.server.wave for line in lines.values()) == {1: 100, 2: 100, 3: 100}


def test_drsorch_started_reverse_replication_itself(outcome: dict[str, Any]) -> None:
    results = [
        r
        for event in outcome["configured"]
        if isinstance(event, TargetConfigured)
        for r in event.results
    ]
    assert len(results) == 300
    assert all(r.reverse_replication_started for r in results)
    assert len([c for c in calls("ReverseReplication") if c["status"] == 200]) == 300


def test_waves_ran_in_order_within_quotas_and_without_tags(outcome: dict[str, Any]) -> None:
    started = outcome["started"]
    assert sorted(len(j.source_server_ids) for j in started) == [100] * 3
    report: list[RequestCompleted] = outcome["report"]
    jobs = sorted((j for chunk in report for j in chunk.jobs), key=lambda j: j.started_at)
    assert [j.wave for j in jobs] == [1, 2, 3]
    for earlier, later in itertools.pairwise(jobs):
        assert earlier.ended_at is not None and earlier.ended_at <= later.started_at
    starts = calls("StartRecovery")
    assert len(starts) == 3 and all(c["status"] == 202 for c in starts)
    assert all("tags" not in c["arguments"] for c in starts)
    assert not [c for c in calls() if c["error_code"] == "ServiceQuotaExceededException"]
    launched = Counter(s["sourceServerID"] for c in starts for s in c["arguments"]["sourceServers"])
    assert set(launched.values()) == {1}, "a server in two jobs"
