"""A failback through the replicating quota, on an estate an earlier round trip left
unretired, with the four services as processes (T10).

Every server failed back once before and that round trip was never retired: DRS still
lists its FAILBACK server (replication stopped) and that server's record of a launch
into the original, by a job completed 40 days ago. ReverseReplication re-points the same
FAILBACK server; its replication then rescans for a while before it can launch. The
original is stopped, as every launch-into target is, so the old record, its COMPLETED
job and EC2 look exactly like a landing. More servers wait for slots than fit, so the
pipeline looks for landed servers to free slots while the first ones still rescan.

A slot is freed only for a server DRS shows landed **by this failback**: DRS's call log
shows every StopReplication of a FAILBACK server after a StartRecovery that launched it,
and every server lands in its own original.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from drsorch.contracts import (
    Accounts,
    RequestCompleted,
    RequestSpec,
    Scope,
)
from drsorch.local.server import LocalEndpoint
from support.aws import FAST, deploy
from support.discovery_estates import PRIMARY, RECOVERY, fresh
from support.hostile import approved, run_request, workers_running
from support.monitor_world import calls
from support.observer import observer_queue

pytestmark = pytest.mark.e2e

HUB = "123456789012"
QUOTA = 4
COUNT = 8
# Failed over; the FAILOVER servers' replication stopped after the failover; reverse
# replication not started, and an earlier round trip's failback of every server left in
# DRS. A re-pointed FAILBACK server rescans for 50 to 60 simulated minutes (5 to 6 s here):
# long after the configurator's next step looks for slots to free.
ESTATE = f"""
version: 1
name: earlier-landings
seed: 31
regions: {{primary: {PRIMARY}, recovery: {RECOVERY}}}
phase: failed_over
drs:
  seed: 31
  clock: {{scale: 600}}
  quotas: {{replicating_servers: {QUOTA}}}
  timings:
    rescan: {{min_seconds: 3000, max_seconds: 3600}}
    conversion: {{min_seconds: 30, max_seconds: 60}}
accounts:
  - kind: hub
    id: "{HUB}"
    generators:
      - count: {COUNT}
        name: el-{{index:03d}}
        waves: [1, 2]
        name_noise: {{rate: 0}}
        template:
          tags: {{app: earlier}}
          replication: {{state: STOPPED}}
          reverse_replication: {{started: false, earlier_landing: true}}
"""


@pytest.fixture(scope="module")
async def outcome(
    endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    endpoint.reset()
    report = fresh(ESTATE)
    stack = deploy("t10earl", VisibilityTimeoutSeconds=60)
    observer = observer_queue(stack, "t10earl-observer")
    spec = RequestSpec(
        operation="failback",
        scope=Scope(selector={"app": "earlier"}),
        accounts=Accounts(hub=HUB),
        primary_region=PRIMARY,
        recovery_region=RECOVERY,
        requested_by="e2e-earlier-landing",
    )
    env = {"DRSORCH_CONFIGURATOR_REPLICATING_SERVERS_QUOTA": str(QUOTA)}
    with workers_running(endpoint, "t10earl", tmp_path_factory.mktemp("t10earl"), **env):
        apply = await approved(
            stack, observer, spec, plan_id="req-t10-plan", apply_id="req-t10-apply"
        )
        applied = await run_request(stack, observer, apply, "req-t10-apply", within=120)
    return {"report": report, "applied": applied}


def _lines(chunks: list[RequestCompleted]) -> dict[str, Any]:
    return {line.server.source_server_id: line for chunk in chunks for line in chunk.servers}


def test_every_server_lands_in_its_own_original(outcome: dict[str, Any]) -> None:
    applied: list[RequestCompleted] = outcome["applied"]
    assert applied[0].status == "SUCCEEDED", applied[0].reason
    lines = _lines(applied)
    servers = outcome["report"].servers
    assert len(servers) == len(lines) == COUNT
    for server in servers:
        line = lines[server.source_server_id]
        assert line.outcome == "recovered", (server.name, line.reason)
        assert line.ec2_instance_id == server.original_instance_id
        # The FAILBACK server the earlier round trip left, re-pointed.
        assert line.launching_server_id == server.earlier_failback_server_id


def test_no_slot_was_freed_before_its_server_launched_in_this_failback(
    outcome: dict[str, Any],
) -> None:
    log = sorted(calls(), key=lambda c: c["seq"])
    stopped = [c for c in log if c["operation"] == "StopReplication" and c["region"] == PRIMARY]
    assert stopped, "the pipeline never freed a slot: the test proves nothing"
    drs = boto3.client("drs", region_name=PRIMARY, config=FAST)
    jobs = [j for p in drs.get_paginator("describe_jobs").paginate() for j in p["items"]]
    launched_by = {
        (j["jobID"], s["sourceServerID"])
        for j in jobs
        if j["status"] == "COMPLETED"
        for s in j["participatingServers"]
        if s["launchStatus"] == "LAUNCHED"
    }
    earlier = {s.earlier_landing_id for s in outcome["report"].servers}
    for stop in stopped:
        server_id = stop["arguments"]["sourceServerID"]
        launches = [
            c
            for c in log
            if c["operation"] == "StartRecovery"
            and c["status"] < 300
            and c["seq"] < stop["seq"]
            and (c["result"]["job"]["jobID"], server_id) in launched_by
        ]
        assert launches, f"{server_id}'s slot was freed before this failback launched it"
    # The earlier round trip's records were cleaned up by this failback's launches, as DRS
    # cleans up a server's previous recovery instance; the originals were kept.
    records = [
        r["recoveryInstanceID"]
        for p in drs.get_paginator("describe_recovery_instances").paginate()
        for r in p["items"]
    ]
    assert not earlier & set(records)
