"""Re-protect and retire after a failback that stopped halfway, on an estate an earlier round
trip left unretired (T10): the four services as processes, the operator's commands as
`drsorch` runs.

Every server failed back once before and that round trip was never retired: DRS still
lists each FAILBACK server's record of a launch into its original, by a job completed 40
days ago, and the originals are stopped again. This failback asks every wave to land
whole; one server of wave 1 fails to launch, so the request stops and wave 2's server is
never launched. It was configured all the same, so `drsorch reprotect` looks for its
landing, and the only record DRS lists in its original is the earlier round trip's.
Reversing it would re-protect the original's old data, and a retire would then terminate
the recovery instance that holds the newest. Neither happens: the re-protect reports it
failed, naming the old record and why, and DRS's call log shows no ReverseReplication on
it; the retire plan holds every action of that server. The server that did land is
re-protected as usual.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from drsorch.local.deploy import StackOutputs
from drsorch.local.estate import SeededServer
from drsorch.local.server import LocalEndpoint
from support.aws import FAST, deploy, wait_for
from support.cli_run import Ran, cli_env
from support.cli_world import WORKER_LOGS, clock_scale, ok_logged, run_logged, seed, services
from support.monitor_world import calls

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

STACK = "earlye2e"
PRIMARY, RECOVERY = "us-east-1", "us-west-2"
SCOPE = [
    *("--primary-region", PRIMARY, "--recovery-region", RECOVERY),
    *("--scope", "dr-plan=earlier"),
]
ESTATE = f"""
version: 1
name: earlier-round-trip
seed: 33
regions: {{primary: {PRIMARY}, recovery: {RECOVERY}}}
phase: failed_over
reverse_replication: {{state: CONTINUOUS, earlier_landing: true}}
drs: {{seed: 33, clock: {{scale: 600}}}}
accounts:
  - kind: hub
    servers:
      - name: er-fails
        wave: 1
        tags: {{dr-plan: earlier}}
        faults: {{launch_failure: "the instance type is not available in the zone"}}
      - {{name: er-lands, wave: 1, tags: {{dr-plan: earlier}}}}
      - {{name: er-never, wave: 2, tags: {{dr-plan: earlier}}}}
"""


@pytest.fixture(scope="module")
def estate(
    endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, SeededServer], dict[str, str], StackOutputs]]:
    endpoint.reset()
    servers = seed(ESTATE)
    stack = deploy(STACK, VisibilityTimeoutSeconds=60)
    folder = tmp_path_factory.mktemp("workers")
    env = cli_env(STACK, tmp_path_factory.mktemp("plans"))
    with services(folder, endpoint.url, STACK):
        yield servers, env | {WORKER_LOGS: str(folder)}, stack
    clock_scale(60)


def _saved(planned: Ran) -> list[dict[str, Any]]:
    """The retire plan's actions as the CLI saved them, with their evidence."""
    path = Path(planned.field(r"Every action with its evidence: (\S+)"))
    actions: list[dict[str, Any]] = json.loads(path.read_text())
    return actions


async def test_an_earlier_round_trip_s_landing_is_never_re_protected_nor_retired_as_this_one(
    estate: tuple[dict[str, SeededServer], dict[str, str], StackOutputs],
) -> None:
    servers, env, _ = estate
    whole = ("--option", "waveSuccessRatio=1")
    planned = await ok_logged(["failback", *SCOPE, *whole, "--plan"], env)
    plan_hash = planned.field(r"Plan ([0-9a-f]{64})")
    ran = await run_logged(
        ["failback", *SCOPE, *whole, "--approve", plan_hash, "--wait"], env, within=300
    )
    failback_id = ran.field(r"Request (\S+) sent")
    never = servers["er-never"]
    # Wave 2 was never launched: DRS shows no job of this failback naming its server.
    launches = calls("StartRecovery")
    named = {s["sourceServerID"] for c in launches for s in c["arguments"]["sourceServers"]}
    assert never.failback_source_server_id not in named
    assert servers["er-lands"].failback_source_server_id in named

    reprotected = await run_logged(["reprotect", failback_id], env, within=300)

    assert reprotected.code == 1, reprotected.out
    out = " ".join(reprotected.out.split())
    assert "1 of 3 servers protected" in out, out
    assert str(never.earlier_landing_id) in out and "earlier round trip's" in out, out
    reversed_ = {c["arguments"]["recoveryInstanceID"] for c in calls("ReverseReplication")}
    assert never.earlier_landing_id not in reversed_
    assert servers["er-lands"].earlier_landing_id not in reversed_  # cleaned up by the launch

    # The original runs again (someone powers it on) and its agent resumes: its FAILOVER
    # server replicates it, CONTINUOUS, and the old record shows reverse replication started
    # (the earlier round trip re-protected it). All of that looks re-protected; only DRS's
    # times say the record is not this failback's landing. A retire would terminate the
    # recovery instance that holds the newest data.
    ec2 = boto3.client("ec2", region_name=PRIMARY, config=FAST)
    ec2.start_instances(InstanceIds=[never.original_instance_id])
    recovery = boto3.client("drs", region_name=RECOVERY, config=FAST)

    def resumed() -> bool:
        [b1] = recovery.describe_source_servers(
            filters={"sourceServerIDs": [never.source_server_id]}
        )["items"]
        info = b1["dataReplicationInfo"]
        return bool(info["dataReplicationState"] == "CONTINUOUS")

    wait_for(resumed, timeout=60)
    plan = await ok_logged(["retire", failback_id, "--plan"], env)
    mine = [a for a in _saved(plan) if a["source_server_id"] == never.source_server_id]
    taken = [a for a in mine if a["kind"] != "leave"]
    assert taken and all(a["held"] for a in taken), [a for a in taken if not a["held"]]
    assert all("not this failback's landing" in a["held"] for a in taken), taken
