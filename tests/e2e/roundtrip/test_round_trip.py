"""The whole round trip, twice, on a two-account estate: the four services as processes,
the operator's commands as `drsorch` runs.

Each cycle: failover (planned, approved) with `--prepare-failback`; the originals are
shut down; failback into them (planned, approved). The first cycle goes step by
step: a retire planned before re-protection holds every action, and applying it
terminates nothing; `drsorch reprotect`; a retire plan approved and then drifted (one
recovery instance already gone) is refused at apply; the plan made again is applied.
The second chains `--then reprotect,retire` on the failback and approves the retire
plan it printed. After each cycle the estate is at rest, as it was at the start:
one FAILOVER server per original with the same ID, CONTINUOUS with no lag; no
FAILBACK servers; no recovery instance in either region; each original running with
its ID and private IP; launch settings as before (DRS's GetLaunchConfiguration), which
the failover changed (copyTags) and the retire put back. The originals' launch-into tags
(EC2) stay as found after the first cycle; the second cycle's retire is asked to remove
them, and they are gone.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from drsorch.contracts import Envelope, RetireRequested
from drsorch.local.deploy import StackOutputs
from drsorch.local.estate import SeededServer
from drsorch.local.server import LocalEndpoint
from support.aws import FAST, client, deploy, drain, wait_for
from support.cli_run import Ran, cli_env
from support.cli_world import (
    HUB,
    SPOKE,
    SPOKE_ACCOUNTS,
    WORKER_LOGS,
    clock_scale,
    ok_logged,
    run_logged,
    seed,
    services,
)
from support.observer import observer_queue
from support.producers import publish_as_producers

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

STACK = "tripe2e"
PRIMARY, RECOVERY = "us-east-1", "us-west-2"
REGIONS = ["--primary-region", PRIMARY, "--recovery-region", RECOVERY]
SCOPE = [*REGIONS, "--scope", "dr-plan=trip", "--accounts", SPOKE_ACCOUNTS]
# What the trip proves (each step's effect, the estate back at rest) holds per server, not
# by the estate's size: 25 per account keeps both accounts and both waves and halves the
# gate's longest test; DRSORCH_TRIP_SERVERS=50 runs the size it had.
PER_ACCOUNT = int(os.environ.get("DRSORCH_TRIP_SERVERS", "25"))
ESTATE = f"""
version: 1
name: trip-e2e
seed: 12
regions: {{primary: {PRIMARY}, recovery: {RECOVERY}}}
phase: protected
drs: {{seed: 12, clock: {{scale: 600}}}}
accounts:
  - kind: hub
    generators:
      - count: {PER_ACCOUNT}
        name: hub-{{index:03d}}
        waves: [1, 2]
        name_noise: {{rate: 0}}
        template: {{tags: {{dr-plan: trip}}}}
  - kind: spoke
    id: "{SPOKE}"
    role_name: drsorch-spoke-access
    external_id: drsorch-hub-{HUB}
    generators:
      - count: {PER_ACCOUNT}
        name: spoke-{{index:03d}}
        waves: [1, 2]
        name_noise: {{rate: 0}}
        template: {{tags: {{dr-plan: trip}}}}
"""


def _session(account: str) -> boto3.Session:
    if account == HUB:
        return boto3.Session()
    answer = client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/drsorch-spoke-access",
        RoleSessionName="trip-e2e",
        ExternalId=f"drsorch-hub-{HUB}",
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=answer["AccessKeyId"],
        aws_secret_access_key=answer["SecretAccessKey"],
        aws_session_token=answer["SessionToken"],
    )


@dataclass(frozen=True)
class Rest:
    """What the estate looks like at rest, read from DRS and EC2."""

    failover_servers: dict[str, tuple[str, int | None]]
    """FAILOVER server ID -> (state, lag seconds)."""
    failback_servers: list[str]
    recovery_instances: list[str]
    originals: dict[str, tuple[str, str]]
    """Original instance ID -> (state, private IP)."""
    launch_settings: dict[str, dict[str, Any]]
    """FAILOVER server ID -> DRS's own GetLaunchConfiguration."""
    launch_tags: dict[str, str | None]
    """Original instance ID -> its AWSDRS tag, as EC2 reports it."""


def _items(drs: Any, operation: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in drs.get_paginator(operation).paginate(filters={}):
        found.extend(page["items"])
    return found


def _lag(text: str | None) -> int | None:
    if text is None:
        return None
    return 0 if text == "PT0S" else -1


def _read(servers: dict[str, SeededServer]) -> Rest:
    failover: dict[str, tuple[str, int | None]] = {}
    failback: list[str] = []
    recovery: list[str] = []
    originals: dict[str, tuple[str, str]] = {}
    tags: dict[str, str | None] = {}
    settings: dict[str, dict[str, Any]] = {}
    for account in (HUB, SPOKE):
        session = _session(account)
        for region in (PRIMARY, RECOVERY):
            drs = session.client("drs", region_name=region, config=FAST)
            for item in _items(drs, "describe_source_servers"):
                info = item["dataReplicationInfo"]
                if item["replicationDirection"] == "FAILBACK":
                    failback.append(item["sourceServerID"])
                    continue
                failover[item["sourceServerID"]] = (
                    info["dataReplicationState"],
                    _lag(info.get("lagDuration")),
                )
                launch = dict(drs.get_launch_configuration(sourceServerID=item["sourceServerID"]))
                launch.pop("ResponseMetadata", None)
                settings[item["sourceServerID"]] = launch
            recovery.extend(
                i["recoveryInstanceID"] for i in _items(drs, "describe_recovery_instances")
            )
        ec2 = session.client("ec2", region_name=PRIMARY, config=FAST)
        ids = [s.original_instance_id for s in servers.values() if s.account_id == account]
        for page in ec2.get_paginator("describe_instances").paginate(InstanceIds=ids):
            for reservation in page["Reservations"]:
                for instance in reservation["Instances"]:
                    originals[instance["InstanceId"]] = (
                        instance["State"]["Name"],
                        instance.get("PrivateIpAddress", ""),
                    )
                    found = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
                    tags[instance["InstanceId"]] = found.get("AWSDRS")
    return Rest(failover, failback, recovery, originals, settings, tags)


def _shut_down_originals(servers: dict[str, SeededServer]) -> None:
    """The primary region goes down (or the operator stops it) before the failback."""
    for account in (HUB, SPOKE):
        ec2 = _session(account).client("ec2", region_name=PRIMARY, config=FAST)
        ids = [s.original_instance_id for s in servers.values() if s.account_id == account]
        ec2.stop_instances(InstanceIds=ids)


def _terminate_one_recovery_ec2(servers: dict[str, SeededServer]) -> str:
    """Drift: one of the failover's recovery instances is already gone (someone terminated it)."""
    drs = boto3.client("drs", region_name=RECOVERY, config=FAST)
    items = _items(drs, "describe_recovery_instances")
    ec2_id = str(min(i["ec2InstanceID"] for i in items))
    boto3.client("ec2", region_name=RECOVERY, config=FAST).terminate_instances(InstanceIds=[ec2_id])
    return ec2_id


@pytest.fixture(scope="module")
def estate(
    endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, SeededServer], Rest, dict[str, str], StackOutputs]]:
    endpoint.reset()
    servers = seed(ESTATE)
    stack = deploy(STACK, VisibilityTimeoutSeconds=60)
    start = _read(servers)
    folder = tmp_path_factory.mktemp("workers")
    env = cli_env(STACK, tmp_path_factory.mktemp("plans"))
    with services(folder, endpoint.url, STACK):
        yield servers, start, env | {WORKER_LOGS: str(folder)}, stack
    clock_scale(60)


async def _plan_and_apply(
    command: str, env: dict[str, str], *extra: str, both: tuple[str, ...] = ()
) -> Ran:
    planned = await ok_logged([command, *SCOPE, *both, "--plan"], env)
    plan_hash = planned.field(r"Plan ([0-9a-f]{64})")
    return await ok_logged(
        [command, *SCOPE, *both, "--approve", plan_hash, *extra], env, within=600
    )


def _assert_at_rest(now: Rest, start: Rest, servers: dict[str, SeededServer]) -> None:
    assert len(start.failover_servers) == len(servers) == 2 * PER_ACCOUNT
    assert now.failover_servers.keys() == start.failover_servers.keys()
    assert set(now.failover_servers.values()) == {("CONTINUOUS", 0)}
    assert now.failback_servers == []
    assert now.recovery_instances == []
    assert now.originals == start.originals
    assert {state for state, _ in now.originals.values()} == {"running"}
    # The failover changed every paired server's launch settings (copyTags); the retire put
    # them back from what drsorch kept, as DRS's own GetLaunchConfiguration shows.
    assert now.launch_settings == start.launch_settings


async def _fail_over_and_back(
    servers: dict[str, SeededServer], env: dict[str, str], *then: str
) -> Ran:
    # A launch setting the failover changes, so that the retire has settings to put back.
    ran = await _plan_and_apply(
        "failover", env, "--prepare-failback", both=("--set", "copyTags=true")
    )
    assert "Reverse replication of" in ran.out
    assert f"{len(servers)} of {len(servers)} servers protected" in ran.out
    _shut_down_originals(servers)
    return await _plan_and_apply("failback", env, "--wait", *then)


async def _first_cycle(
    servers: dict[str, SeededServer], env: dict[str, str], stack: StackOutputs
) -> None:
    """Step by step, with the retire refused before re-protection, after drift, and on the
    plan's hash alone (no signed approval)."""
    ran = await _fail_over_and_back(servers, env)
    failback_id = ran.field(r"Request (\S+) sent")

    held = await ok_logged(["retire", failback_id, "--plan"], env)
    assert "actions held: their servers are not proven re-protected" in held.out
    held_hash = held.field(r"Retire plan ([0-9a-f]{64})")
    nothing = await run_logged(["retire", failback_id, "--approve", held_hash], env, within=60)
    assert nothing.code == 1 and "terminate_recovery_instance" in nothing.out
    assert len(_read(servers).recovery_instances) == 2 * len(servers)  # nothing terminated

    ran = await ok_logged(["reprotect", failback_id], env, within=600)
    assert f"{len(servers)} of {len(servers)} servers protected" in ran.out

    planned = await ok_logged(["retire", failback_id, "--plan"], env)
    assert "held" not in planned.out
    approved = planned.field(r"Retire plan ([0-9a-f]{64})")
    gone = _terminate_one_recovery_ec2(servers)
    refused = await run_logged(["retire", failback_id, "--approve", approved], env, within=300)
    assert refused.code == 3, refused.out + refused.err
    assert "changed since it was approved" in refused.out
    assert _read(servers).failback_servers  # nothing was done

    again = await ok_logged(["retire", failback_id, "--plan"], env)
    assert gone in _saved_plan(again)
    assert "restore_launch_settings" in _saved_plan(again)  # the failover's copyTags
    reason = await _unsigned_retire(stack, failback_id, again.field(r"Retire plan ([0-9a-f]{64})"))
    assert "approv" in reason, reason
    assert _read(servers).failback_servers  # nothing was done
    await _retire(failback_id, again, env)


async def _unsigned_retire(stack: StackOutputs, failback_id: str, plan_hash: str) -> str:
    """Apply the current retire plan on its hash alone, as anyone who may publish requests
    could; the configurator's refusal (a retire terminates instances: it needs signatures)."""
    answers = observer_queue(stack, f"{STACK}-unsigned-retire")
    unsigned = RetireRequested(
        of_request_id=failback_id, approved_plan_hash=plan_hash, requested_by="anyone"
    )
    own = "req-tripe2e-unsigned-retire"
    await publish_as_producers(
        stack, [Envelope.wrap(unsigned, request_id=own, step="retire", producer="cli")]
    )

    def refusal() -> str | None:
        for message in drain(answers, expect=1, timeout=5):
            body = json.loads(message["Body"])
            if body.get("request_id") == own and body.get("type") == "RetirePlanned":
                return str(body["payload"].get("refused"))
        return None

    return await asyncio.to_thread(wait_for, refusal, timeout=120)


def _saved_plan(planned: Ran) -> str:
    """The retire plan the CLI wrote whole, with every action's evidence."""
    return Path(planned.field(r"Every action with its evidence: (\S+)")).read_text()


async def _chained_cycle(servers: dict[str, SeededServer], env: dict[str, str]) -> None:
    """The failback chains re-protection and the retire plan; the operator then plans the
    retire again asking the launch-into tags off the originals, and approves that."""
    report = Path(env[WORKER_LOGS]) / "chained.json"
    ran = await _fail_over_and_back(
        servers, env, "--then", "reprotect,retire", "--report", str(report)
    )
    assert "Re-protection of" in ran.out
    failback_id = ran.field(r"Request (\S+) sent")
    # The chained steps are in the failback's report, its page and its picture.
    steps = json.loads(report.read_text())["steps"]
    assert [step["kind"] for step in steps] == ["reprotect", "retire"]
    assert f"{len(servers)} protected" in steps[0]["outcome"]
    assert 'data-step="retire' in report.with_suffix(".svg").read_text()
    assert "remove_launch_tag" not in _saved_plan(ran)  # as found: the operator's tags stay
    untag = ("--launch-tag", "remove")
    planned = await ok_logged(["retire", failback_id, "--plan", *untag], env)
    assert "remove_launch_tag" in _saved_plan(planned)
    await _retire(failback_id, planned, env, *untag)


async def _retire(failback_id: str, planned: Ran, env: dict[str, str], *extra: str) -> None:
    plan_hash = planned.field(r"Retire plan ([0-9a-f]{64})")
    retired = await ok_logged(
        ["retire", failback_id, "--approve", plan_hash, *extra], env, within=600
    )
    assert f"Retired {failback_id} (plan {plan_hash})" in retired.out
    # Live progress while the TERMINATE jobs run: what is done, what is still pending.
    assert "step 1: " in retired.out and " pending" in retired.out


async def test_two_full_round_trips_leave_the_estate_at_rest(
    estate: tuple[dict[str, SeededServer], Rest, dict[str, str], StackOutputs],
) -> None:
    servers, start, env, stack = estate
    assert set(start.launch_tags.values()) == {"AllowLaunchingIntoThisInstance"}  # the operator's
    await _first_cycle(servers, env, stack)
    first = _read(servers)
    _assert_at_rest(first, start, servers)
    assert first.launch_tags == start.launch_tags  # as found: drsorch added none, removed none
    await _chained_cycle(servers, env)
    second = _read(servers)
    _assert_at_rest(second, start, servers)
    assert set(second.launch_tags.values()) == {None}  # asked off, and EC2 shows them gone
