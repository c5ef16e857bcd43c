"""Issue 4 end to end: discovery and the matcher as workers on estates seeded into the endpoint.

The template is deployed once as stack `x4pipe`; each test seeds its own estate
(EC2, IAM and DRS forgotten first), runs both services in-process against the
local endpoint over HTTP, publishes a request and reads ServersDiscovered and
PairsMatched from a queue subscribed to the events topic.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from drsorch.contracts import (
    Accounts,
    Envelope,
    PairsMatched,
    RequestCompleted,
    RequestOptions,
    RequestSpec,
    Scope,
    Spoke,
)
from drsorch.discovery.bootstrap import build as build_discovery
from drsorch.local.deploy import StackOutputs
from drsorch.local.server import LocalEndpoint
from drsorch.matcher.bootstrap import build as build_matcher
from support.aws import client, deploy, drain, wait_for
from support.discovery_estates import (
    AMBIGUOUS,
    DARK_SPOKE,
    FAILED_OVER_RENAMED,
    HUB,
    NOISY_TARGETS,
    PRIMARY,
    RECOVERY,
    SPOKE,
    SPOKE_EXTERNAL_ID,
    SPOKE_ROLE,
    THREE_ACCOUNTS,
    fresh,
    thousand,
)
from support.discovery_pipeline import SQS_LIMIT, Pipeline, running
from support.observer import observer_queue

pytestmark = pytest.mark.integration

STACK = "x4pipe"


@pytest.fixture(scope="module")
def stack(endpoint: LocalEndpoint) -> tuple[StackOutputs, str]:
    outputs = deploy(STACK, MaxReceiveCount=3, VisibilityTimeoutSeconds=30)
    return outputs, observer_queue(outputs, f"{STACK}-observer")


@pytest.fixture
async def pipeline(stack: tuple[StackOutputs, str]) -> AsyncIterator[Pipeline]:
    outputs, observer = stack
    services = [("discovery", build_discovery), ("matcher", build_matcher)]
    async with running(STACK, outputs, observer, services) as pipe:
        yield pipe


def spec(operation: str, selector: dict[str, str], **fields: object) -> RequestSpec:
    options = fields.pop("options", RequestOptions())
    return RequestSpec(
        operation=operation,  # type: ignore[arg-type]
        scope=Scope(selector=selector),
        accounts=fields.pop("accounts", Accounts(hub=HUB)),  # type: ignore[arg-type]
        primary_region=PRIMARY,
        recovery_region=RECOVERY,
        options=options,  # type: ignore[arg-type]
        requested_by="pipeline-tests",
        **fields,  # type: ignore[arg-type]
    )


def held_by(pipeline: Pipeline, server_id: str) -> str | None:
    """The request discovery's table says holds the server, if any."""
    item = client("dynamodb").get_item(
        TableName=pipeline.stack.discovery.table_name,
        Key={"pk": {"S": f"server#{HUB}#{RECOVERY}#{server_id}"}, "sk": {"S": "claim"}},
        ConsistentRead=True,
    )
    holder: str | None = item.get("Item", {}).get("request_id", {}).get("S")
    return holder


def forge_completion(pipeline: Pipeline, request_id: str) -> None:
    """A RequestCompleted for `request_id` on the requests topic (typed so SNS hands it to
    discovery) and sent straight to discovery's queue, as anybody could send it."""
    now = datetime.now(UTC)
    forged = RequestCompleted(
        status="FAILED", operation="failover", drill=False, started_at=now, ended_at=now
    )
    body = Envelope.wrap(forged, request_id=request_id, step="forged", producer="monitor").to_json()
    client("sns").publish(
        TopicArn=pipeline.stack.requests_topic_arn,
        Message=body,
        MessageAttributes={"type": {"DataType": "String", "StringValue": "FailoverRequested"}},
    )
    client("sqs").send_message(QueueUrl=pipeline.stack.discovery.queue_url, MessageBody=body)


def one(chunks: list[PairsMatched]) -> PairsMatched:
    assert len(chunks) == 1
    return chunks[0]


async def test_failback_pairs_every_server_with_its_original_by_lineage_despite_renames(
    pipeline: Pipeline,
) -> None:
    seeded = {s.name: s for s in fresh(FAILED_OVER_RENAMED).servers}
    await pipeline.request(spec("failback", {"app": "pay"}), "req-x4-failback-01")
    (found,) = await pipeline.discovered("req-x4-failback-01")
    plan = one(await pipeline.matched("req-x4-failback-01"))

    assert {s.name for s in found.servers} == set(seeded)
    assert found.problems == ()  # reverse replication not started is no problem
    reversing = {s.name for s in found.servers if s.failback_server is not None}
    assert reversing == {"pay-db-01", "pay-app-01"}
    paired = {p.server.source_server_id: p for p in plan.pairs}
    assert len(paired) == 3
    assert plan.unmatched == ()
    assert plan.ambiguous == ()
    for server in seeded.values():
        pair = paired[server.source_server_id]
        assert pair.method == "lineage"
        assert pair.target is not None
        assert pair.target.instance_id == server.original_instance_id
        assert (pair.target.account_id, pair.target.region) == (HUB, PRIMARY)
        assert pair.recovery_ec2_instance_id == server.recovery_ec2_instance_id
        assert pair.failback_server_id == server.failback_source_server_id
    names = {t.instance_id: t.name for t in found.targets}
    assert names[seeded["pay-db-01"].original_instance_id] == "legacy-database"


async def test_failover_lands_in_preprovisioned_targets_matched_by_noisy_names(
    pipeline: Pipeline,
) -> None:
    seeded = {s.name: s for s in fresh(NOISY_TARGETS).servers}
    options = RequestOptions(name_suffixes=("-dr",))
    await pipeline.request(spec("failover", {"app": "shop"}, options=options), "req-x4-noisy-01")
    plan = one(await pipeline.matched("req-x4-noisy-01"))

    assert plan.unmatched == ()
    assert plan.ambiguous == ()
    got = {
        p.server.name: (p.method, p.target.instance_id if p.target else None) for p in plan.pairs
    }
    assert got == {name: ("name", s.target_instance_id) for name, s in seeded.items()}
    assert all(p.target and p.target.region == RECOVERY for p in plan.pairs)


async def test_ambiguous_and_unmatched_servers_are_reported_with_reasons_never_paired(
    pipeline: Pipeline,
) -> None:
    seeded = {s.name: s for s in fresh(AMBIGUOUS).servers}
    request = spec(
        "failover",
        {"app": "crm"},
        launch_into="required",
        options=RequestOptions(name_suffixes=("-dr",)),
    )
    await pipeline.request(request, "req-x4-ambig-01")
    plan = one(await pipeline.matched("req-x4-ambig-01"))

    paired = {p.server.name for p in plan.pairs if p.target is not None}
    ambiguous = {a.server.name for a in plan.ambiguous}
    unmatched = {u.server.name: u.reason for u in plan.unmatched}
    assert paired == {"crm-db-01"}
    assert {"crm-web-01", "CRM-WEB-01"} <= ambiguous
    assert "crm-batch-01" in unmatched
    assert not paired & (ambiguous | set(unmatched))
    assert all(a.reason and len(a.candidate_instance_ids) >= 2 for a in plan.ambiguous)
    assert all(reason for reason in unmatched.values())
    used = [p.target.instance_id for p in plan.pairs if p.target]
    assert len(used) == len(set(used))
    assert seeded["crm-db-01"].target_instance_id in used


async def test_a_cross_account_scope_is_read_through_assume_role_and_a_dark_spoke_is_reported(
    pipeline: Pipeline,
) -> None:
    seeded = {s.name: s for s in fresh(THREE_ACCOUNTS).servers}
    spokes = tuple(
        Spoke(account_id=account, role_name=SPOKE_ROLE, external_id=SPOKE_EXTERNAL_ID)
        for account in (SPOKE, DARK_SPOKE)
    )
    request = spec(
        "failover",
        {"app": "hr"},
        accounts=Accounts(hub=HUB, spokes=spokes),
        options=RequestOptions(name_suffixes=("-dr",)),
    )
    await pipeline.request(request, "req-x4-accounts-01")
    (found,) = await pipeline.discovered("req-x4-accounts-01")
    plan = one(await pipeline.matched("req-x4-accounts-01"))

    assert {(s.name, s.account_id) for s in found.servers} == {
        ("hr-db-01", HUB),
        ("hr-app-01", SPOKE),
        ("hr-app-02", SPOKE),
    }
    (dark,) = [p for p in plan.problems if p.account_id == DARK_SPOKE]
    assert (dark.kind, dark.source_server_id, dark.blocking) == ("account_unreachable", None, True)
    assert "AccessDenied" in dark.reason
    for pair in plan.pairs:
        assert pair.target is not None
        assert pair.target.account_id == pair.server.account_id
        assert pair.target.instance_id == seeded[pair.server.name or ""].target_instance_id
    assert len(plan.pairs) == 3


async def test_a_server_busy_in_another_job_or_request_is_reported_as_a_conflict(
    pipeline: Pipeline,
) -> None:
    # Its own DRS seed: server IDs unlike any an earlier test's requests still hold.
    seeded = {s.name: s for s in fresh(NOISY_TARGETS.replace("seed: 42", "seed: 45")).servers}
    busy = seeded["shop-web-01"].source_server_id
    drs = client("drs", region_name=RECOVERY)
    drs.start_recovery(sourceServers=[{"sourceServerID": busy}], isDrill=True)  # clock frozen
    options = RequestOptions(name_suffixes=("-dr",))
    await pipeline.request(spec("failover", {"app": "shop"}, options=options), "req-x4-busy-01")
    plan = one(await pipeline.matched("req-x4-busy-01"))
    (in_job,) = [p for p in plan.problems if p.kind == "busy_in_job"]
    assert (in_job.source_server_id, in_job.blocking) == (busy, True)
    assert busy not in {p.server.source_server_id for p in plan.pairs}

    second = seeded["shop-web-02"].source_server_id
    await pipeline.request(
        spec("failover", {"Name": "shop-web-02"}, options=options), "req-x4-busy-02"
    )
    (found,) = await pipeline.discovered("req-x4-busy-02")
    (held,) = found.problems
    assert (held.kind, held.source_server_id) == ("busy_in_request", second)
    assert "req-x4-busy-01" in held.reason

    # A forged RequestCompleted, through a topic its producer (the monitor) never uses and
    # straight to discovery's queue, is parked with its reason and frees nothing.
    await asyncio.to_thread(forge_completion, pipeline, "req-x4-busy-01")
    parked = await asyncio.to_thread(
        drain, pipeline.stack.discovery.dead_letter_queue_url, expect=2, timeout=30
    )
    reasons = [m["MessageAttributes"]["drsorch_park_reason"]["StringValue"] for m in parked]
    assert reasons == ["untrusted-sender", "untrusted-sender"]
    assert held_by(pipeline, second) == "req-x4-busy-01"

    await pipeline.complete("req-x4-busy-01")  # RequestCompleted frees its servers
    await asyncio.to_thread(wait_for, lambda: not held_by(pipeline, second))
    await pipeline.request(
        spec("failover", {"Name": "shop-web-02"}, options=options), "req-x4-busy-03"
    )
    (freed,) = await pipeline.discovered("req-x4-busy-03")
    assert freed.problems == ()


async def test_a_thousand_servers_flow_through_both_services_within_the_message_limit(
    pipeline: Pipeline,
) -> None:
    seeded = fresh(thousand(1000)).servers
    started = time.perf_counter()
    options = RequestOptions(name_suffixes=("-dr",))
    await pipeline.request(spec("failover", {"app": "fleet"}, options=options), "req-x4-fleet-01")
    found = await pipeline.discovered("req-x4-fleet-01", within=120)
    plan = await pipeline.matched("req-x4-fleet-01", within=120)
    took = time.perf_counter() - started

    assert len(found) > 1 and len(plan) > 1
    assert sum(len(c.servers) for c in found) == len(seeded) == 1000
    assert sum(len(c.targets) for c in found) == 1000
    # Past DRS's 300 per account: each server replicates in a staging account and is
    # found extended into the hub, its staging account kept as lineage.
    staging = {s.source_server_id: s.staging_account_id for s in seeded}
    for chunk in found:
        for server in chunk.servers:
            assert server.account_id == HUB
            assert server.staging_account_id == staging[server.source_server_id]
            assert server.staging_source_server_arn is not None
            assert server.staging_source_server_arn.split(":")[4] == server.staging_account_id
    assert sorted(Counter(staging.values()).values()) == [250, 250, 250, 250]
    decided = sum(len(c.pairs) + len(c.unmatched) + len(c.ambiguous) for c in plan)
    assert decided == 1000
    assert pipeline.seen.largest["req-x4-fleet-01"] < SQS_LIMIT
    assert {c.match_hash for c in plan} == {plan[0].match_hash}
    print(
        f"\n1,000 servers: {len(found)} ServersDiscovered and {len(plan)} PairsMatched chunks,"
        f" largest message {pipeline.seen.largest['req-x4-fleet-01']} bytes, {took:.1f} s"
    )
