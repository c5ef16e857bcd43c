"""The configurator worker in-process against a seeded, failed-over estate on the local endpoint.

PairsMatched goes in through the events topic; the configurator starts reverse
replication, finds each FAILBACK server, sets it to launch into the original
instance, and publishes TargetConfigured, which the stack routes to the monitor's
queue (no monitor runs here, so the test reads it there). Traps are refused and
never touched. A RestoreRequested puts the settings back.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import boto3
import pytest

from drsorch.configurator.bootstrap import build_with
from drsorch.configurator.settings import ConfiguratorSettings
from drsorch.contracts import Envelope, Event, RestoreRequested
from drsorch.local.deploy import StackOutputs
from drsorch.local.drs.emulator import default_emulator
from drsorch.local.estate import SeededServer
from drsorch.local.server import LocalEndpoint
from drsorch.runtime import RuntimeSettings, serve
from support.approval_fakes import ApprovedAlready
from support.aws import FAST, deploy, drain, wait_for
from support.configurator_world import (
    HUB,
    PRIMARY,
    SPOKE,
    bodies,
    pair,
    pairs_matched,
    seed,
)
from support.observer import observer_queue
from support.producers import publish_as_producers

pytestmark = pytest.mark.integration

STACK = "x5conf"
REQUEST = "req-x5conf-failback-0001"


@pytest.fixture(scope="module")
def world(endpoint: LocalEndpoint) -> tuple[StackOutputs, dict[str, SeededServer]]:
    endpoint.reset()
    servers = seed()
    return deploy(STACK, VisibilityTimeoutSeconds=30), servers


@pytest.fixture(scope="module")
async def worker(
    world: tuple[StackOutputs, dict[str, SeededServer]],
) -> AsyncIterator[None]:
    stop = asyncio.Event()
    runtime = RuntimeSettings(stack_name=STACK, wait_seconds=1, retry_base_seconds=1)
    settings = ConfiguratorSettings(retry_seconds=1, prepare_deadline_seconds=60)
    # Applies here come approved: the approval rules have tests of their own
    # (tests/unit/approvals, tests/e2e/test_approvals_enforced.py).
    task = asyncio.create_task(
        serve("configurator", build_with(settings, ApprovedAlready()), stop, runtime)
    )
    yield
    stop.set()
    await asyncio.wait_for(task, timeout=20)


async def publish(topology: StackOutputs, *envelopes: Envelope[Event]) -> None:
    await publish_as_producers(topology, envelopes)


def calls(operation: str, *, hardware: bool = False) -> list[dict[str, Any]]:
    """The emulator's calls of `operation`; with `hardware`, only lookups by instance."""
    emulator = default_emulator()
    with emulator.lock:
        found = [record.to_json() for record in emulator.calls.records(operation=operation)]
    if hardware:
        return [c for c in found if "hardwareId" in (c["arguments"].get("filters") or {})]
    return found


def drs(region: str, account: str = HUB) -> Any:
    if account == HUB:
        return boto3.client("drs", region_name=region, config=FAST)
    credentials = boto3.client("sts", config=FAST).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/drsorch-spoke-access",
        RoleSessionName="x5conf",
        ExternalId="drsorch-hub-123456789012",
    )["Credentials"]
    return boto3.client(
        "drs",
        region_name=region,
        config=FAST,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def launch_into(server_id: str, account: str = HUB) -> str | None:
    configuration = drs(PRIMARY, account).get_launch_configuration(sourceServerID=server_id)
    found: str | None = configuration.get("launchIntoInstanceProperties", {}).get(
        "launchIntoEC2InstanceID"
    )
    return found


async def test_failback_pairs_are_prepared_configured_or_refused(
    world: tuple[StackOutputs, dict[str, SeededServer]], worker: None
) -> None:
    topology, servers = world
    good, spoke = servers["cfg-good-01"], servers["cfg-spoke-01"]
    pairs = [
        pair(good),
        pair(spoke),
        pair(servers["cfg-running-01"]),
        pair(servers["cfg-untagged-01"]),
        pair(servers["cfg-wrongacct-01"], servers["cfg-spoke-02"]),
        # Another server's original, said to be in the hub: DRS records another origin for
        # this server, so it is refused on that record before the instance is looked up.
        pair(servers["cfg-nowhere-01"], servers["cfg-spoke-03"], account_id=HUB),
    ]
    await publish(topology, pairs_matched(REQUEST, pairs))
    # The monitor's queue takes PairsMatched too: the test's own message comes first.
    messages = await asyncio.to_thread(drain, topology.monitor.queue_url, expect=2, timeout=30)
    [envelope] = [body for body in bodies(messages) if body["type"] == "TargetConfigured"]
    results = {r["source_server_id"]: r for r in envelope["payload"]["results"]}

    by_name = {
        name: results[s.source_server_id]
        for name, s in servers.items()
        if s.source_server_id in results
    }
    assert {name: r["outcome"] for name, r in by_name.items()} == {
        "cfg-good-01": "configured",
        "cfg-spoke-01": "configured",
        "cfg-running-01": "rejected",
        "cfg-untagged-01": "rejected",
        "cfg-wrongacct-01": "rejected",
        "cfg-nowhere-01": "rejected",
    }
    assert "running" in by_name["cfg-running-01"]["reason"]
    assert "AWSDRS=AllowLaunchingIntoThisInstance" in by_name["cfg-untagged-01"]["reason"]
    assert f"account {SPOKE}" in by_name["cfg-wrongacct-01"]["reason"]
    assert "lineage outranks names" in by_name["cfg-nowhere-01"]["reason"]

    # Reverse replication was started for the two good pairs only, each in its own account.
    reversed_ = sorted(
        (c["account_id"], c["arguments"]["recoveryInstanceID"]) for c in calls("ReverseReplication")
    )
    assert reversed_ == sorted(
        [(HUB, good.recovery_instance_id), (SPOKE, spoke.recovery_instance_id)]
    )
    # Neither read before the update nor looked up after reverse replication (the test's
    # own reads follow): a lookup by instance only checks, before, that none exists yet.
    assert not calls("GetLaunchConfiguration")
    started = {c["account_id"]: c["seq"] for c in calls("ReverseReplication")}
    lookups = calls("DescribeSourceServers", hardware=True)
    assert lookups and all(c["seq"] < started[c["account_id"]] for c in lookups)
    # The FAILBACK servers, not the paired ones, launch into the original instances.
    for name, seeded in (("cfg-good-01", good), ("cfg-spoke-01", spoke)):
        result = by_name[name]
        assert result["reverse_replication_started"] is True
        launching = result["launching_server_id"]
        assert launching != seeded.source_server_id
        assert launch_into(launching, seeded.account_id) == seeded.original_instance_id
        assert result["desired"]["launch_into_instance_id"] == seeded.original_instance_id
        # Made by this request's reverse replication: written unread, nothing kept but
        # "no launch-into"; DRS's answer to the update is the whole configuration.
        assert result["previous"].get("launch_into_instance_id") is None
        assert result["desired"]["launch_disposition"] is not None
    updated = {c["arguments"]["sourceServerID"] for c in calls("UpdateLaunchConfiguration")}
    assert updated == {
        by_name["cfg-good-01"]["launching_server_id"],
        by_name["cfg-spoke-01"]["launching_server_id"],
    }
    assert envelope["payload"]["api_calls"]["ReverseReplication"] == 2


async def test_restore_puts_the_previous_settings_back(
    world: tuple[StackOutputs, dict[str, SeededServer]], worker: None
) -> None:
    topology, servers = world
    good = servers["cfg-good-01"]
    launching = [
        c["arguments"]["sourceServerID"]
        for c in calls("UpdateLaunchConfiguration")
        if c["account_id"] == HUB
    ]
    assert launching, "the failback test configures the hub's good server first"
    assert launch_into(launching[0]) == good.original_instance_id
    answers = observer_queue(topology, f"{STACK}-restore-answers")
    plan = RestoreRequested(restore_request_id=REQUEST, requested_by="configurator-test")
    await publish(
        topology,
        Envelope.wrap(plan, request_id="req-x5conf-restore-plan", step="restore", producer="cli"),
    )
    messages = await asyncio.to_thread(drain, answers, expect=1, timeout=30)
    [planned] = [json.loads(m["Body"]) for m in messages if "LaunchSettingsRestored" in m["Body"]]
    assert launch_into(launching[0]) == good.original_instance_id  # a plan writes nothing
    apply = plan.model_copy(
        update={"plan_only": False, "approved_plan_hash": planned["payload"]["plan_hash"]}
    )
    await publish(
        topology,
        Envelope.wrap(apply, request_id="req-x5conf-restore-0001", step="restore", producer="cli"),
    )
    await asyncio.to_thread(wait_for, lambda: launch_into(launching[0]) is None, timeout=30)
