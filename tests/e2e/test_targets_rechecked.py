"""Launch-into targets read again before a StartRecovery made later than their check, with
the four services as processes.

DRS throttles every StartRecovery while an operator starts one original instance and
takes the launch-into tag off another. Once DRS answers again, the monitor's call (a
retry after its pause, or the intent settled by a later run) reads EC2 first: the two
servers are rejected with what EC2 holds now, DRS's call log shows that it was never
asked to act on them, and EC2 shows their instances untouched. The rest land.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from drsorch.contracts import Accounts, RequestCompleted, RequestOptions, RequestSpec, Scope
from drsorch.local.server import LocalEndpoint
from support.approving import sign
from support.aws import client, deploy, wait_for
from support.discovery_estates import PRIMARY, RECOVERY, fresh
from support.hostile import completed, run_request, workers_running
from support.monitor_world import calls, emulator_settings
from support.observer import observer_queue, publish_request

pytestmark = pytest.mark.e2e

STACK = "x7recheck"
HUB = "123456789012"
ESTATE = """
version: 1
name: x7recheck
seed: 37
regions: {primary: us-east-1, recovery: us-west-2}
phase: failed_over
drs:
  seed: 37
  clock: {scale: 600}
  faults:
    operations:
      StartRecovery: {throttle_rate: 1.0, retry_after_seconds: 1}
accounts:
  - kind: hub
    generators:
      - count: 4
        name: rc-app-{index:02d}
        waves: [1]
        name_noise: {rate: 0}
        template: {tags: {app: recheck}}
"""
STARTED, UNTAGGED = "rc-app-02", "rc-app-03"


def _volumes(instance_ids: list[str]) -> dict[str, frozenset[str]]:
    answer = client("ec2", region_name=PRIMARY).describe_instances(InstanceIds=instance_ids)
    return {
        instance["InstanceId"]: frozenset(
            m["Ebs"]["VolumeId"] for m in instance.get("BlockDeviceMappings", [])
        )
        for reservation in answer["Reservations"]
        for instance in reservation["Instances"]
    }


def _throttled_starts() -> int:
    return sum(1 for c in calls("StartRecovery") if c["error_code"] == "ThrottlingException")


def _throttled_starts_named(count: int) -> bool:
    named = {
        s["sourceServerID"]
        for c in calls("StartRecovery")
        if c["error_code"] == "ThrottlingException"
        for s in c["arguments"]["sourceServers"]
    }
    return len(named) >= count


@pytest.fixture(scope="module")
async def outcome(
    endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    endpoint.reset()
    report = fresh(ESTATE)
    servers = {s.name: s for s in report.servers}
    stack = deploy(STACK, VisibilityTimeoutSeconds=60)
    observer = observer_queue(stack, f"{STACK}-observer")
    spec = RequestSpec(
        operation="failback",
        scope=Scope(selector={"app": "recheck"}),
        accounts=Accounts(hub=HUB),
        primary_region=PRIMARY,
        recovery_region=RECOVERY,
        options=RequestOptions(wave_success_ratio=0.0),
        requested_by="e2e",
    )
    originals = [s.original_instance_id for s in servers.values() if s.original_instance_id]
    folder: Path = tmp_path_factory.mktemp(STACK)
    # The four servers wait for each other and start as one batch, so that batch's intent
    # holds every server when DRS throttles it.
    with workers_running(endpoint, STACK, folder, DRSORCH_MONITOR_BATCH_LINGER_SECONDS="60"):
        planned = await run_request(
            stack, observer, spec.model_copy(update={"plan_only": True}), "req-x7-plan", within=240
        )
        plan_hash = planned[0].plan_hash
        assert plan_hash is not None
        assert [line.outcome for line in planned[0].servers] == ["planned"] * len(servers)
        approval = await sign(stack, "req-x7-apply", plan_hash)
        approved = spec.model_copy(
            update={"approved_plan_hash": plan_hash, "approvals": (approval,)}
        )
        await publish_request(stack, approved, "req-x7-apply")
        # Every server is configured and in a batch DRS refuses with 429s; now the operator
        # changes two originals, and only then does DRS answer again.
        await asyncio.to_thread(
            wait_for, lambda: _throttled_starts_named(len(servers)), timeout=180
        )
        before = _volumes(originals)
        ec2 = client("ec2", region_name=PRIMARY)
        ec2.start_instances(InstanceIds=[servers[STARTED].original_instance_id])
        ec2.delete_tags(
            Resources=[servers[UNTAGGED].original_instance_id], Tags=[{"Key": "AWSDRS"}]
        )
        # A call logged after the change may have been checked before it; the one after
        # that was checked after it. Only then does DRS answer again.
        after = _throttled_starts() + 2
        await asyncio.to_thread(wait_for, lambda: _throttled_starts() >= after, timeout=120)
        emulator_settings({"faults": {"operations": {}}})
        applied = await completed(observer, "req-x7-apply", within=300)
    return {"applied": applied, "servers": servers, "before": before, "after": _volumes(originals)}


def _lines(outcome: dict[str, Any]) -> dict[str, Any]:
    applied: list[RequestCompleted] = outcome["applied"]
    return {str(line.server.name): line for chunk in applied for line in chunk.servers}


def test_the_changed_targets_servers_are_rejected_with_what_ec2_holds_now(
    outcome: dict[str, Any],
) -> None:
    lines = _lines(outcome)
    started, untagged = lines[STARTED], lines[UNTAGGED]
    assert (started.outcome, untagged.outcome) == ("rejected", "rejected")
    assert str(started.reason).startswith("checked right before StartRecovery: ")
    assert "is running" in str(started.reason)
    assert "lacks the tag AWSDRS=AllowLaunchingIntoThisInstance" in str(untagged.reason)
    rest = [line.outcome for name, line in lines.items() if name not in (STARTED, UNTAGGED)]
    assert rest == ["recovered", "recovered"]


def test_drs_was_never_asked_to_act_on_them_and_ec2_shows_them_untouched(
    outcome: dict[str, Any],
) -> None:
    lines = _lines(outcome)
    servers = outcome["servers"]
    for name in (STARTED, UNTAGGED):
        launching = lines[name].launching_server_id
        asked = [
            c
            for c in calls("StartRecovery")
            if launching in {s["sourceServerID"] for s in c["arguments"]["sourceServers"]}
        ]
        assert asked, "the batch's throttled calls named it: the test proves nothing"
        assert {c["error_code"] for c in asked} == {"ThrottlingException"}, name
        original = servers[name].original_instance_id
        assert outcome["after"][original] == outcome["before"][original], name
    landed = [
        servers[n].original_instance_id for n, line in lines.items() if line.outcome == "recovered"
    ]
    assert all(outcome["after"][i] != outcome["before"][i] for i in landed), "volumes swapped"
