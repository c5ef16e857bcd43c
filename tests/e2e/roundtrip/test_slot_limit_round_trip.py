"""A failback held to a slot limit, then re-protected and retired: the four services as
processes, the operator's commands as `drsorch` runs.

The operator leaves room for other teams: `--option slots=2` lets at most two FAILBACK
servers of the request replicate at once. The plan shows the slots and the batches; the
emulator's call log shows never more than two replicating; each landed server's FAILBACK
server was stopped to free its slot before the next one started. Re-protection and the
retire then work on those stopped FAILBACK servers, and leave the estate at rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from drsorch.local.estate import SeededServer
from drsorch.local.server import LocalEndpoint
from support.aws import FAST, deploy
from support.cli_run import Ran, cli_env
from support.cli_world import HUB, WORKER_LOGS, clock_scale, ok_logged, seed, services
from support.monitor_world import calls

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

STACK = "slote2e"
PRIMARY, RECOVERY = "us-east-1", "us-west-2"
SLOTS = 2
COUNT = 7
SCOPE = [
    *("--primary-region", PRIMARY, "--recovery-region", RECOVERY),
    *("--scope", "dr-plan=slots", "--accounts", HUB),
]
ESTATE = f"""
version: 1
name: slot-limit
seed: 31
regions: {{primary: {PRIMARY}, recovery: {RECOVERY}}}
phase: protected
drs: {{seed: 31, clock: {{scale: 600}}}}
accounts:
  - kind: hub
    generators:
      - count: {COUNT}
        name: slot-{{index:03d}}
        waves: [1, 2]
        name_noise: {{rate: 0}}
        template: {{tags: {{dr-plan: slots}}}}
"""


@pytest.fixture(scope="module")
def estate(
    endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, SeededServer], dict[str, str]]]:
    endpoint.reset()
    servers = seed(ESTATE)
    deploy(STACK, VisibilityTimeoutSeconds=60)
    folder = tmp_path_factory.mktemp("workers")
    env = cli_env(STACK, tmp_path_factory.mktemp("plans"))
    with services(folder, endpoint.url, STACK):
        yield servers, env | {WORKER_LOGS: str(folder)}
    clock_scale(60)


async def _plan_and_apply(command: str, env: dict[str, str], *extra: str) -> tuple[Ran, Ran]:
    planned = await ok_logged([command, *SCOPE, *extra, "--plan"], env)
    plan_hash = planned.field(r"Plan ([0-9a-f]{64})")
    applied = await ok_logged([command, *SCOPE, *extra, "--approve", plan_hash], env, within=400)
    return planned, applied


def _items(region: str, operation: str) -> list[dict[str, Any]]:
    drs: Any = boto3.client("drs", region_name=region, config=FAST)
    return [i for page in drs.get_paginator(operation).paginate(filters={}) for i in page["items"]]


def _most_replicating(log: list[dict[str, Any]]) -> int:
    """The most FAILBACK servers replicating at once, replayed from the call log."""
    replicating: set[str] = set()
    most = 0
    for call in sorted(log, key=lambda c: c["seq"]):
        if call["status"] >= 300:
            continue
        if call["operation"] == "ReverseReplication" and call["region"] == RECOVERY:
            replicating.add(call["result"]["reversedDirectionSourceServerArn"].rsplit("/", 1)[-1])
        elif call["operation"] in ("StopReplication", "DisconnectSourceServer"):
            replicating.discard(call["arguments"]["sourceServerID"])
        most = max(most, len(replicating))
    return most


async def test_a_slot_limited_failback_then_reprotect_and_retire(
    estate: tuple[dict[str, SeededServer], dict[str, str]],
) -> None:
    servers, env = estate
    await _plan_and_apply("failover", env, "--wait")  # the failback starts from its end
    ec2 = boto3.client("ec2", region_name=PRIMARY, config=FAST)
    ec2.stop_instances(InstanceIds=[s.original_instance_id for s in servers.values()])
    before = len(calls())
    planned, applied = await _plan_and_apply(
        "failback", env, "--option", f"slots={SLOTS}", "--wait", "--then", "reprotect,retire"
    )
    assert f"{COUNT} servers through at most {SLOTS} slots in 4 batches" in planned.out
    assert f"{COUNT} of {COUNT}" in applied.out
    failback_log = calls()[before:]
    assert _most_replicating(failback_log) == SLOTS
    assert not [c for c in calls() if c["error_code"] == "ServiceQuotaExceededException"]
    stopped = [c for c in failback_log if c["operation"] == "StopReplication"]
    assert len(stopped) >= COUNT - SLOTS  # slots freed in the pipeline, before the retire

    retire_hash = applied.field(r"Retire plan ([0-9a-f]{64})")
    failback_id = applied.field(r"Request (\S+) sent")
    retired = await ok_logged(["retire", failback_id, "--approve", retire_hash], env, within=400)
    assert f"Retired {failback_id}" in retired.out

    # At rest: the FAILOVER servers protect the originals again; nothing else is left.
    primary = _items(PRIMARY, "describe_source_servers")
    assert primary == []
    recovery = _items(RECOVERY, "describe_source_servers")
    assert len(recovery) == COUNT
    assert {s["dataReplicationInfo"]["dataReplicationState"] for s in recovery} == {"CONTINUOUS"}
    originals = {s.original_instance_id for s in servers.values()}
    assert {s["sourceProperties"]["identificationHints"]["awsInstanceID"] for s in recovery} == (
        originals
    )
    assert _items(PRIMARY, "describe_recovery_instances") == []
    assert _items(RECOVERY, "describe_recovery_instances") == []
