"""A drill that cleans up after itself: the four services as processes, the operator's
commands as `drsorch` runs, against the local endpoint.

Twenty protected servers, each with a pre-provisioned target in the recovery region,
and two servers out of scope, one with a drill instance of an earlier drill. The drill
is planned and approved, launched from the latest snapshot before a time, verified from
EC2, and its evidence pack written (valid against its published schema, and its page).
A second drill waits for its keep-for: the configurator's timer cleans it up with no
CLI running. After each clean-up DRS lists none of the drill's recovery instances and
EC2 shows their instances terminated; the originals, the pre-provisioned targets and the
earlier drill's instance are untouched (their state and volumes, read from EC2).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs in the dev group
import pytest

from drsorch.cli.drill_evidence import SCHEMA_PATH
from drsorch.local.estate import SeededServer
from drsorch.local.server import LocalEndpoint
from support.aws import client, deploy
from support.cli_run import Ran, cli_env
from support.cli_world import WORKER_LOGS, clock_scale, ok_logged, seed, services, worker_logs

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

STACK = "drille2e"
PRIMARY, RECOVERY = "us-east-1", "us-west-2"
SCOPE = ["--primary-region", PRIMARY, "--recovery-region", RECOVERY, "--scope", "dr-plan=drill"]
SERVERS = 20
ESTATE = f"""
version: 1
name: drill-e2e
seed: 21
regions: {{primary: {PRIMARY}, recovery: {RECOVERY}}}
phase: protected
drs: {{seed: 21, clock: {{scale: 600}}}}
accounts:
  - kind: hub
    generators:
      - count: {SERVERS}
        name: app-{{index:03d}}
        waves: [1, 2]
        name_noise: {{rate: 0}}
        template: {{tags: {{dr-plan: drill}}, target: {{}}}}
      - count: 2
        name: other-{{index:03d}}
        waves: [1]
        name_noise: {{rate: 0}}
        template: {{tags: {{dr-plan: other}}, target: {{}}}}
"""

Fingerprint = dict[str, tuple[str, tuple[str, ...]]]
"""Instance ID -> (EC2 state, its volume IDs)."""


def _fingerprint(region: str, ids: list[str]) -> Fingerprint:
    ec2 = client("ec2", region_name=region)
    found: Fingerprint = {}
    for page in ec2.get_paginator("describe_instances").paginate(InstanceIds=ids):
        for reservation in page["Reservations"]:
            for i in reservation["Instances"]:
                volumes = tuple(
                    sorted(m["Ebs"]["VolumeId"] for m in i.get("BlockDeviceMappings", []))
                )
                found[i["InstanceId"]] = (i["State"]["Name"], volumes)
    return found


def _production(servers: dict[str, SeededServer]) -> tuple[Fingerprint, Fingerprint]:
    originals = [s.original_instance_id for s in servers.values()]
    targets = [s.target_instance_id for s in servers.values() if s.target_instance_id]
    assert len(targets) == len(servers)
    return _fingerprint(PRIMARY, originals), _fingerprint(RECOVERY, targets)


def _recovery_instances() -> list[dict[str, Any]]:
    drs = client("drs", region_name=RECOVERY)
    pages = drs.get_paginator("describe_recovery_instances").paginate(filters={})
    return [item for page in pages for item in page["items"]]


def _earlier_drill(server: SeededServer) -> str:
    """Another drill of a server out of scope (not drsorch's): its instance must stay."""
    drs = client("drs", region_name=RECOVERY)
    job = drs.start_recovery(
        sourceServers=[{"sourceServerID": server.source_server_id}], isDrill=True
    )
    job_id = job["job"]["jobID"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = drs.describe_jobs(filters={"jobIDs": [job_id]})["items"][0]
        if found["status"] == "COMPLETED":
            return str(found["participatingServers"][0]["recoveryInstanceID"])
        drs.describe_source_servers(filters={})  # the emulator advances when touched
    pytest.fail(f"the earlier drill {job_id} did not complete")


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


async def _drill(env: dict[str, str], *extra: str) -> Ran:
    planned = await ok_logged(["drill", *SCOPE, "--plan"], env, within=240.0)
    plan_hash = planned.field(r"Plan ([0-9a-f]{64})")
    return await ok_logged(["drill", *SCOPE, "--approve", plan_hash, *extra], env, within=240.0)


def _drill_instances(drill_id: str, pack: dict[str, Any]) -> list[dict[str, Any]]:
    launched = {i["recovery_instance_id"] for i in pack["instances"]}
    return [i for i in _recovery_instances() if i["recoveryInstanceID"] in launched]


def _ec2_states(ids: list[str]) -> dict[str, str]:
    ec2 = client("ec2", region_name=RECOVERY)
    found = ec2.describe_instances(Filters=[{"Name": "instance-id", "Values": ids}])
    return {
        i["InstanceId"]: i["State"]["Name"] for r in found["Reservations"] for i in r["Instances"]
    }


def _wait_for(check: Any, seconds: float, what: str, env: dict[str, str]) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not within {seconds} s\n{worker_logs(env)}")
        client("drs", region_name=RECOVERY).describe_jobs(filters={})


async def test_a_drill_launches_proves_and_cleans_up_leaving_production_untouched(
    estate: tuple[dict[str, SeededServer], dict[str, str]], tmp_path: Path
) -> None:
    servers, env = estate
    in_scope = {n: s for n, s in servers.items() if n.startswith("app-")}
    others = [s for n, s in servers.items() if n.startswith("other-")]
    earlier = _earlier_drill(others[0])
    before = _production(in_scope)

    evidence = tmp_path / "drill.json"
    moment = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0)
    point = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    ran = await _drill(env, "--before", point, "--keep-for", "2h", "--evidence", str(evidence))
    drill_id = ran.field(r"Drill (drill-\S+) sent")
    assert f"{SERVERS} of {SERVERS} drill instances running with their status checks ok" in ran.out

    pack = json.loads(evidence.read_text())
    jsonschema.validate(pack, json.loads(SCHEMA_PATH.read_text()))
    assert evidence.with_suffix(".html").read_text().count("<tr>") >= SERVERS
    assert pack["summary"] == pack["summary"] | {"servers": SERVERS, "passed": SERVERS}
    for item in pack["instances"]:
        assert item["snapshot_id"].startswith("pit-")
        assert (
            item["snapshot_time"] < point.replace("Z", "+00:00") or item["snapshot_time"] <= point
        )
        assert item["recovery_seconds"] >= 0
        assert (item["ec2_state"], item["instance_status"], item["system_status"]) == (
            "running",
            "ok",
            "ok",
        )
    launched = _drill_instances(drill_id, pack)
    assert len(launched) == SERVERS and all(i["isDrill"] for i in launched)
    drill_ec2 = [i["ec2InstanceID"] for i in launched]
    assert not set(drill_ec2) & {s.target_instance_id for s in in_scope.values()}
    assert _production(in_scope) == before  # the drill launched into nothing of production

    cleaned = await ok_logged(
        ["drill-cleanup", drill_id, "--evidence", str(evidence)], env, within=240.0
    )
    assert f"{SERVERS} drill instances, none left" in cleaned.out
    assert json.loads(evidence.read_text())["cleanup"]["none_left"] is True
    assert _drill_instances(drill_id, pack) == [] or all(
        i["ec2InstanceState"] == "TERMINATED" for i in _drill_instances(drill_id, pack)
    )
    assert set(_ec2_states(drill_ec2).values()) <= {"terminated"}
    assert _production(in_scope) == before
    kept = [i for i in _recovery_instances() if i["recoveryInstanceID"] == earlier]
    assert kept and kept[0]["ec2InstanceState"] == "RUNNING"


async def test_the_keep_for_timer_cleans_up_with_no_cli_running(
    estate: tuple[dict[str, SeededServer], dict[str, str]], tmp_path: Path
) -> None:
    servers, env = estate
    in_scope = {n: s for n, s in servers.items() if n.startswith("app-")}
    before = _production(in_scope)
    evidence = tmp_path / "drill.json"
    ran = await _drill(env, "--keep-for", "5s", "--evidence", str(evidence))
    pack = json.loads(evidence.read_text())
    drill_id = ran.field(r"Drill (drill-\S+) sent")
    drill_ec2 = [i["ec2_instance_id"] for i in pack["instances"]]
    assert len(drill_ec2) == SERVERS

    def gone() -> bool:
        left = [
            i for i in _drill_instances(drill_id, pack) if i["ec2InstanceState"] != "TERMINATED"
        ]
        return not left and set(_ec2_states(drill_ec2).values()) <= {"terminated"}

    _wait_for(gone, 120, "the keep-for clean-up", env)
    assert _production(in_scope) == before
