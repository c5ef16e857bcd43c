"""A failover of an estate spread over staging accounts, with the four services as processes.

DRS lets a limited number of servers replicate per account and region (300; here the
emulator's quota is set to 20 to stay fast). 54 servers replicate in three staging
accounts (18 each) and are extended into the hub, which could not hold them itself.
drsorch discovers the extended servers in the hub, pairs each with its pre-provisioned
target, and lands every one of them in the hub's recovery region: proven from DRS's and
EC2's own state, and from the emulator's call log (no launch in a staging account, no
quota error).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3
import pytest

from drsorch.contracts import Accounts, RequestCompleted, RequestSpec, Scope
from drsorch.local.server import LocalEndpoint
from support.aws import FAST, deploy
from support.discovery_estates import PRIMARY, RECOVERY, fresh
from support.hostile import approved, run_request, workers_running
from support.monitor_world import calls
from support.observer import observer_queue

pytestmark = pytest.mark.e2e

HUB = "123456789012"
STAGING = ("444400000001", "444400000002", "444400000003")
QUOTA = 20
COUNT = 54
ESTATE = f"""
version: 1
name: staged-failover
seed: 23
regions: {{primary: {PRIMARY}, recovery: {RECOVERY}}}
phase: protected
drs: {{seed: 23, clock: {{scale: 600}}, quotas: {{replicating_servers: {QUOTA}}}}}
accounts:
  - kind: hub
    id: "{HUB}"
    staging_accounts: {list(STAGING)}
    generators:
      - count: {COUNT}
        name: st-{{index:03d}}
        waves: [1, 2]
        staging_accounts: {list(STAGING)}
        template: {{tags: {{app: staged}}, target: {{}}}}
"""


@pytest.fixture(scope="module")
async def outcome(
    endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    endpoint.reset()
    report = fresh(ESTATE)
    stack = deploy("x14stage", VisibilityTimeoutSeconds=60)
    observer = observer_queue(stack, "x14stage-observer")
    spec = RequestSpec(
        operation="failover",
        scope=Scope(selector={"app": "staged"}),
        accounts=Accounts(hub=HUB),
        primary_region=PRIMARY,
        recovery_region=RECOVERY,
        requested_by="e2e-staging",
    )
    with workers_running(endpoint, "x14stage", tmp_path_factory.mktemp("x14stage")):
        apply = await approved(
            stack, observer, spec, plan_id="req-x14-plan", apply_id="req-x14-apply", within=180
        )
        applied = await run_request(stack, observer, apply, "req-x14-apply", within=300)
    return {"report": report, "applied": applied}


def _lines(chunks: list[RequestCompleted]) -> dict[str, Any]:
    return {line.server.source_server_id: line for chunk in chunks for line in chunk.servers}


def test_the_estate_is_only_possible_through_staging_accounts(outcome: dict[str, Any]) -> None:
    servers = outcome["report"].servers
    assert len(servers) == COUNT > QUOTA
    assert Counter(s.staging_account_id for s in servers) == dict.fromkeys(STAGING, COUNT // 3)
    drs = boto3.client("drs", region_name=RECOVERY, config=FAST)
    pages = drs.get_paginator("describe_source_servers").paginate()
    held = [item for page in pages for item in page["items"]]
    assert {s["stagingArea"]["status"] for s in held} == {"EXTENDED"}
    accounts = drs.get_paginator("list_staging_accounts").paginate()
    assert sorted(a["accountID"] for page in accounts for a in page["accounts"]) == list(STAGING)


def test_every_server_landed_in_its_target_in_the_target_account(
    outcome: dict[str, Any],
) -> None:
    applied: list[RequestCompleted] = outcome["applied"]
    assert applied[0].status == "SUCCEEDED", applied[0].reason
    lines = _lines(applied)
    assert len(lines) == COUNT
    for server in outcome["report"].servers:
        line = lines[server.source_server_id]
        assert line.outcome == "recovered", (server.name, line.reason)
        assert line.server.account_id == HUB
        assert line.ec2_instance_id == server.target_instance_id
        assert line.launched_into_expected is True

    # DRS's and EC2's own facts: each extended server's recovery instance is the hub's,
    # on its target, and the target now runs.
    drs = boto3.client("drs", region_name=RECOVERY, config=FAST)
    pages = drs.get_paginator("describe_recovery_instances").paginate()
    recovered = {
        item["sourceServerID"]: item["ec2InstanceID"] for page in pages for item in page["items"]
    }
    expected = {s.source_server_id: s.target_instance_id for s in outcome["report"].servers}
    assert recovered == expected
    ec2 = boto3.client("ec2", region_name=RECOVERY, config=FAST)
    reservations = ec2.describe_instances(InstanceIds=list(expected.values()))["Reservations"]
    states = {i["InstanceId"]: i["State"]["Name"] for r in reservations for i in r["Instances"]}
    assert set(states.values()) == {"running"}


def test_nothing_launched_in_a_staging_account_and_no_quota_error(
    outcome: dict[str, Any],
) -> None:
    starts = calls("StartRecovery")
    assert starts and {(c["account_id"], c["region"]) for c in starts} == {(HUB, RECOVERY)}
    launched = Counter(s["sourceServerID"] for c in starts for s in c["arguments"]["sourceServers"])
    assert set(launched) == {s.source_server_id for s in outcome["report"].servers}
    assert not [c for c in calls() if c["error_code"] == "ServiceQuotaExceededException"]
    assert not [c for c in calls() if c["account_id"] in STAGING]
