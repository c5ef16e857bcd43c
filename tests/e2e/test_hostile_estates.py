"""Hostile estates, failback and failover, with the four services as processes.

The estates lay every wrong-instance trap seen in the field (terminated and unknown
originals beside look-alikes, origins in other accounts and regions, out-of-scope
namesakes, duplicate FAILBACK servers, preset launch-into targets, stopped recovery
instances) and declare, per server, where a correct run leaves it. Each run is planned,
approved by its hash, and applied as an operator would; then it is judged from EC2's and
DRS's own state (volumes replaced, instances created, recovery instances), not from the
report: precision 1.0, no wrong-instance launch, and nothing launched that the approver
did not see.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from drsorch.contracts import Accounts, RequestCompleted, RequestSpec, Scope, Spoke
from drsorch.local.deploy import StackOutputs
from drsorch.local.estate import SeedReport
from drsorch.local.server import LocalEndpoint
from support.aws import client, deploy, wait_for
from support.discovery_estates import PRIMARY, RECOVERY, SPOKE_EXTERNAL_ID, SPOKE_ROLE, fresh
from support.hostile import (
    landings,
    recovery_instances,
    run_request,
    score,
    sessions,
    volumes,
    workers_running,
)
from support.observer import observer_queue

pytestmark = pytest.mark.e2e

HUB = "123456789012"
SPOKES = ("210987654321", "345678901234")
ESTATES = Path(__file__).resolve().parents[2] / "infra" / "local" / "estates"

FAILOVER_ESTATE = """
version: 1
name: hostile-failover
seed: 31
regions: {primary: us-east-1, recovery: us-west-2}
phase: protected
drs: {seed: 31, clock: {scale: 120}}
accounts:
  - kind: hub
    id: "123456789012"
    instances:
      - {name: fo-db-01, region: recovery, state: stopped}     # look-alike of fo-db-01's target
      - {name: fo-spare, region: recovery, state: stopped}
    servers:
      - name: fo-db-01
        wave: 1
        tags: {plan: fo}
        target: {}
        expect: {must-not-launch: "a stopped look-alike shares its Name: ambiguous"}
      - {name: fo-db-02, wave: 1, tags: {plan: fo}, target: {}, expect: land-in-target}
      - name: fo-app-01
        wave: 1
        tags: {plan: fo}
        target: {state: running}
        expect: {must-not-launch: its pre-provisioned target is running}
      - name: fo-app-02
        wave: 2
        tags: {plan: fo}
        target: {allow_launch_into: false}
        expect: {must-not-launch: its target lacks the AWSDRS tag}
      - name: fo-web-01
        wave: 2
        tags: {plan: fo}
        launch_configuration: {failover_launch_into: {instance: fo-spare}}
        expect: new-instance
      - name: fo-web-02
        wave: 2
        tags: {plan: fo}
        target: {}
        expect: land-in-target
      - name: fo-other-01
        tags: {plan: other}
        target: {name: fo-web-03-old}       # a near name: a suggestion, never a pair
        expect: {must-not-launch: out of the request's scope}
      - {name: fo-web-03, wave: 2, tags: {plan: fo}, expect: new-instance}
"""


def _spec(
    operation: str, selector: dict[str, str], spokes: tuple[str, ...], **fields: Any
) -> RequestSpec:
    return RequestSpec.model_validate(
        {
            "operation": operation,
            "scope": Scope(selector=selector),
            "accounts": Accounts(
                hub=HUB,
                spokes=tuple(
                    Spoke(account_id=s, role_name=SPOKE_ROLE, external_id=SPOKE_EXTERNAL_ID)
                    for s in spokes
                ),
            ),
            "primary_region": PRIMARY,
            "recovery_region": RECOVERY,
            "requested_by": "hostile-suite",
            # Traps are refused in every wave: later waves go on regardless.
            "options": {"wave_success_ratio": 0.0},
            **fields,
        }
    )


async def _plan_and_apply(
    stack: StackOutputs,
    observer: str,
    report: SeedReport,
    spec: RequestSpec,
    name: str,
) -> dict[str, Any]:
    accounts = sessions(report, HUB, SPOKE_ROLE, SPOKE_EXTERNAL_ID)
    region = spec.launch_region
    planned = await run_request(
        stack, observer, spec.model_copy(update={"plan_only": True}), f"req-{name}-plan", within=240
    )
    plan_hash = planned[0].plan_hash
    assert planned[0].status == "PLANNED" and plan_hash is not None
    before = volumes(accounts, region)
    approved = spec.model_copy(update={"approved_plan_hash": plan_hash})
    applied = await run_request(stack, observer, approved, f"req-{name}-apply", within=420)
    after = volumes(accounts, region)
    landed = landings(report, before, after, recovery_instances(accounts, region))
    return {"planned": planned, "applied": applied, "landed": landed, "report": report}


def _lines(chunks: list[RequestCompleted]) -> dict[str, Any]:
    return {line.server.source_server_id: line for chunk in chunks for line in chunk.servers}


def _left_alone(chunks: list[RequestCompleted]) -> dict[str, str]:
    """Every server the request did not launch, with the reason it gave."""
    out = {
        line.server.source_server_id: str(line.reason)
        for chunk in chunks
        for line in chunk.servers
        if line.outcome not in ("recovered", "recovered_elsewhere")
    }
    for chunk in chunks:
        out.update({u.server.source_server_id: u.reason for u in chunk.unmatched})
        out.update({a.server.source_server_id: a.reason for a in chunk.ambiguous})
    return out


@pytest.fixture(scope="module")
async def failback(
    endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    endpoint.reset()
    report = fresh((ESTATES / "hostile.yaml").read_text())
    stack = deploy("x9hostile", VisibilityTimeoutSeconds=60)
    observer = observer_queue(stack, "x9hostile-observer")
    spec = _spec("failback", {"dr-plan": "hostile"}, SPOKES)
    # The deployment's spoke access covers both spokes of this estate.
    spokes = {"DRSORCH_SPOKE_ACCOUNTS": ",".join(SPOKES)}
    with workers_running(endpoint, "x9hostile", tmp_path_factory.mktemp("x9hostile"), **spokes):
        return await _plan_and_apply(stack, observer, report, spec, "x9-failback")


@pytest.fixture(scope="module")
async def failover(
    endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    endpoint.reset()
    report = fresh(FAILOVER_ESTATE)
    stack = deploy("x9hostfo", VisibilityTimeoutSeconds=60)
    observer = observer_queue(stack, "x9hostfo-observer")
    spec = _spec("failover", {"plan": "fo"}, ())
    with workers_running(endpoint, "x9hostfo", tmp_path_factory.mktemp("x9hostfo")):
        outcome = await _plan_and_apply(stack, observer, report, spec, "x9-failover")
        # The matcher keeps a failover's pairs from the monitor's JobCompleted, after the
        # request's end may have been reported: wait until it holds the landed ones.
        into = {x.server.source_server_id for x in outcome["landed"] if x.server and not x.new}
        assert into, "nothing landed in a target: the failover proves nothing"

        def kept_all() -> dict[str, str] | None:
            kept = _kept_pairs(stack)
            return kept if into <= set(kept) else None

        outcome["kept"] = await asyncio.to_thread(wait_for, kept_all, timeout=120)
        return outcome


def _kept_pairs(stack: StackOutputs) -> dict[str, str]:
    """The failover pairs the matcher keeps as lineage: server ID -> target instance."""
    pages = (
        client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=stack.matcher.table_name,
            FilterExpression="begins_with(pk, :pk)",
            ExpressionAttributeValues={":pk": {"S": "failover#server#"}},
            ConsistentRead=True,
        )
    )
    return {
        item["source_server_id"]["S"]: item["target_instance_id"]["S"]
        for page in pages
        for item in page["Items"]
    }


@pytest.mark.parametrize("run", ["failback", "failover"])
def test_no_launch_goes_into_an_instance_that_is_not_the_servers_own(
    run: str, request: pytest.FixtureRequest
) -> None:
    outcome = request.getfixturevalue(run)
    result = score(outcome["report"], outcome["landed"])
    assert result.wrong == [], result.wrong
    assert result.precision == 1.0
    alone = _left_alone(outcome["applied"])
    names = {s.name: s.source_server_id for s in outcome["report"].servers}
    why = [f"{m}: {alone.get(names[m.split(' ')[0]], '?')}" for m in result.missed]
    assert result.recall == 1.0, why
    assert result.correct, "nothing landed: the estate proves nothing"


@pytest.mark.parametrize("run", ["failback", "failover"])
def test_every_launch_was_in_the_plan_the_approver_saw(
    run: str, request: pytest.FixtureRequest
) -> None:
    outcome = request.getfixturevalue(run)
    approved = {
        (line.server.source_server_id, line.target.instance_id if line.target else None)
        for chunk in outcome["planned"]
        for line in chunk.servers
        if line.outcome == "planned"
    }
    for landed in outcome["landed"]:
        assert landed.server is not None
        target = None if landed.new else landed.instance_id
        assert (landed.server.source_server_id, target) in approved, landed


@pytest.mark.parametrize("run", ["failback", "failover"])
def test_every_server_left_alone_says_why_and_the_report_matches_ec2(
    run: str, request: pytest.FixtureRequest
) -> None:
    outcome = request.getfixturevalue(run)
    report: SeedReport = outcome["report"]
    applied: list[RequestCompleted] = outcome["applied"]
    alone = _left_alone(applied)
    for server in report.servers:
        if server.must_not_launch and server.source_server_id in alone:
            reason = alone[server.source_server_id]
            assert reason and "None" not in reason, (server.name, reason)
    landed = {x.server.source_server_id for x in outcome["landed"] if x.server}
    lines = _lines(applied)
    recovered = {sid for sid, line in lines.items() if line.outcome == "recovered"}
    assert recovered == landed
    assert not [line for line in lines.values() if line.outcome == "recovered_elsewhere"]


def test_a_failover_keeps_as_lineage_only_the_pairs_it_proved_landed(
    failover: dict[str, Any],
) -> None:
    # A pair the configurator refused (a running target, an untagged one) or one that
    # launched a new instance is no lineage for a later failback or failover.
    landed = {
        x.server.source_server_id: x.instance_id
        for x in failover["landed"]
        if x.server is not None and not x.new
    }
    assert failover["kept"] == landed


def test_the_failback_names_each_trap_as_the_fact_it_is(failback: dict[str, Any]) -> None:
    report: SeedReport = failback["report"]
    alone = _left_alone(failback["applied"])
    said = {s.name: alone.get(s.source_server_id, "") for s in report.servers if s.must_not_launch}
    assert "is terminated" in said["shop-web-01"]
    assert "was not found by EC2" in said["shop-web-02"]
    assert "which this request does not cover" in said["shop-app-03"]
    assert "not the primary region" in said[next(n for n, r in said.items() if "us-east-2" in r)]
