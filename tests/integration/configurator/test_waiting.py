"""Waiting through delayed self-messages, on the local endpoint's DRS emulator.

A recovery instance DRS has just launched answers ReverseReplication with
ConflictException while it initializes: the configurator retries through its own
timer until the emulator's clock has moved on. Throttling that outlasts the client's
retries leaves just the throttled pairs waiting for the next timer.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import boto3
import pytest

from drsorch.configurator.bootstrap import build_with
from drsorch.configurator.settings import ConfiguratorSettings
from drsorch.contracts import Envelope, Event
from drsorch.local.deploy import StackOutputs
from drsorch.local.drs.emulator import default_emulator
from drsorch.local.estate import SeededServer, parse_estate, seed_estate
from drsorch.local.server import LocalEndpoint
from drsorch.runtime import RuntimeSettings, serve
from support.aws import FAST, deploy, drain, wait_for
from support.configurator_world import (
    PRIMARY,
    RECOVERY,
    bodies,
    pair,
    pairs_matched,
)
from support.producers import publish_as_producers

pytestmark = pytest.mark.integration

STACK = "x5wait"
ESTATE = f"""
version: 1
name: x5wait
regions: {{primary: {PRIMARY}, recovery: {RECOVERY}}}
drs: {{seed: 9, clock: {{scale: 0}}}}
accounts:
  - kind: hub
    servers:
      - {{name: wait-fresh-01, phase: protected}}
      - {{name: wait-throttled-01, phase: failed_over}}
      - {{name: wait-throttled-02, phase: failed_over}}
"""


@pytest.fixture(scope="module")
def world(endpoint: LocalEndpoint) -> tuple[StackOutputs, dict[str, SeededServer], str]:
    endpoint.reset()
    report = seed_estate(parse_estate(ESTATE, "x5wait"))
    return (
        deploy(STACK, VisibilityTimeoutSeconds=30),
        {s.name: s for s in report.servers},
        endpoint.url,
    )


@pytest.fixture(scope="module")
async def worker(world: tuple[StackOutputs, dict[str, SeededServer], str]) -> AsyncIterator[None]:
    stop = asyncio.Event()
    # Two attempts per call: throttling outlasts the client's retries quickly.
    runtime = RuntimeSettings(
        stack_name=STACK, wait_seconds=1, retry_base_seconds=1, aws_max_attempts=2
    )
    settings = ConfiguratorSettings(retry_seconds=1, prepare_deadline_seconds=120)
    task = asyncio.create_task(serve("configurator", build_with(settings), stop, runtime))
    yield
    stop.set()
    await asyncio.wait_for(task, timeout=20)


def admin(url: str, method: str, path: str, body: object | None = None) -> Any:
    request = urllib.request.Request(
        f"{url}/_drsorch/drs{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def calls(operation: str) -> list[dict[str, Any]]:
    emulator = default_emulator()
    with emulator.lock:
        return [record.to_json() for record in emulator.calls.records(operation=operation)]


async def publish(topology: StackOutputs, envelope: Envelope[Event]) -> None:
    await publish_as_producers(topology, [envelope])


def configured(topology: StackOutputs) -> dict[str, Any]:
    """The results of the next TargetConfigured on the monitor's queue, by paired server."""
    found: dict[str, Any] = {}

    def probe() -> bool:
        for body in bodies(drain(topology.monitor.queue_url, expect=1, timeout=1)):
            if body["type"] == "TargetConfigured":
                found.update({r["source_server_id"]: r for r in body["payload"]["results"]})
        return bool(found)

    wait_for(probe, timeout=40)
    return found


def fail_over(url: str, server: SeededServer) -> SeededServer:
    """Launch the protected server in the recovery region, as an operator's failover would."""
    drs = boto3.client("drs", region_name=RECOVERY, config=FAST)
    job = drs.start_recovery(sourceServers=[{"sourceServerID": server.source_server_id}])["job"]
    for _ in range(100):
        done = drs.describe_jobs(filters={"jobIDs": [job["jobID"]]})["items"][0]
        if done["status"] == "COMPLETED":
            break
        admin(url, "POST", "/clock/advance", {"seconds": 60})
    [launched] = done["participatingServers"]
    assert launched["launchStatus"] == "LAUNCHED"
    instance = drs.describe_recovery_instances(
        filters={"recoveryInstanceIDs": [launched["recoveryInstanceID"]]}
    )["items"][0]
    # The original must be stopped before anything launches into it.
    boto3.client("ec2", region_name=PRIMARY, config=FAST).stop_instances(
        InstanceIds=[server.original_instance_id]
    )
    return SeededServer(
        **{
            **server.__dict__,
            "recovery_instance_id": instance["recoveryInstanceID"],
            "recovery_ec2_instance_id": instance["ec2InstanceID"],
        }
    )


async def test_an_initializing_recovery_instance_is_reversed_once_it_is_ready(
    world: tuple[StackOutputs, dict[str, SeededServer], str], worker: None
) -> None:
    topology, servers, url = world
    fresh = await asyncio.to_thread(fail_over, url, servers["wait-fresh-01"])
    await publish(topology, pairs_matched("req-x5wait-fresh-0001", [pair(fresh)]))

    def refused() -> list[dict[str, Any]]:
        return [c for c in calls("ReverseReplication") if c["error_code"] == "ConflictException"]

    # Refused once, then again on the configurator's own timer: it waits, it does not fail.
    await asyncio.to_thread(wait_for, lambda: len(refused()) >= 2, timeout=30)
    assert "initializing" in refused()[0]["error_message"]
    admin(url, "POST", "/clock/advance", {"seconds": 300})
    result = (await asyncio.to_thread(configured, topology))[fresh.source_server_id]
    assert result["outcome"] == "configured"
    assert result["reverse_replication_started"] is True
    drs = boto3.client("drs", region_name=PRIMARY, config=FAST)
    launch = drs.get_launch_configuration(sourceServerID=result["launching_server_id"])
    assert launch["launchIntoInstanceProperties"]["launchIntoEC2InstanceID"] == (
        fresh.original_instance_id
    )


async def test_throttling_past_the_client_retries_is_retried_later(
    world: tuple[StackOutputs, dict[str, SeededServer], str], worker: None
) -> None:
    topology, servers, url = world
    throttled = [servers["wait-throttled-01"], servers["wait-throttled-02"]]
    # Three throttled calls: one pair's two attempts, then one more on the next step.
    admin(
        url,
        "PATCH",
        "/settings",
        {"faults": {"operations": {"UpdateLaunchConfiguration": {"throttle_first": 3}}}},
    )
    try:
        await publish(topology, pairs_matched("req-x5wait-throttle-0001", map(pair, throttled)))
        results = await asyncio.to_thread(configured, topology)
    finally:
        settings = admin(url, "GET", "/settings")
        admin(url, "PUT", "/settings", {**settings, "faults": {}})
    assert {results[s.source_server_id]["outcome"] for s in throttled} == {"configured"}
    launching = {results[s.source_server_id]["launching_server_id"] for s in throttled}
    updates = [
        c
        for c in calls("UpdateLaunchConfiguration")
        if c["arguments"]["sourceServerID"] in launching
    ]
    assert sum(c["error_code"] == "ThrottlingException" for c in updates) == 3
    assert sum(c["status"] == 200 for c in updates) == 2
