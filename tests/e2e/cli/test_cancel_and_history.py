"""`drsorch cancel` and `drsorch history` against the four services as processes.

A three-wave failback is cancelled while its first wave's job runs. What is proven
comes from DRS and EC2, not from drsorch's word: DRS's job log holds exactly the
servers the monitor had in jobs when it took the cancel (nothing started after), each
of those jobs completed with its servers launched, and the originals of the servers
never launched are still stopped. `history` then lists the request from the monitor's
table, with who asked and who cancelled.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from drsorch.local.estate import SeededServer
from drsorch.local.server import LocalEndpoint
from support.aws import client, deploy
from support.cli_run import cli_env, run
from support.cli_world import clock_scale, seed, services

pytestmark = pytest.mark.e2e

STACK = "cancele2e"
PRIMARY, RECOVERY = "us-east-1", "us-west-2"
REGIONS = ["--primary-region", PRIMARY, "--recovery-region", RECOVERY]
FAILBACK = ["failback", *REGIONS, "--scope", "dr-plan=cancel"]
NAMES = [f"cx-{wave}-{n}" for wave in (1, 2, 3) for n in (1, 2)]
ESTATE = """
version: 1
name: cancel-e2e
seed: 11
regions: {primary: us-east-1, recovery: us-west-2}
phase: failed_over
reverse_replication: {state: CONTINUOUS, lag_seconds: 0}
drs: {seed: 11, clock: {scale: 600}}
accounts:
  - kind: hub
    servers:
""" + "".join(
    f"      - {{name: {name}, wave: {name.split('-')[1]}, tags: {{dr-plan: cancel}}}}\n"
    for name in NAMES
)


@pytest.fixture(scope="module")
def estate(
    endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, SeededServer]]:
    endpoint.reset()
    servers = seed(ESTATE)
    deploy(STACK, VisibilityTimeoutSeconds=30)
    with services(tmp_path_factory.mktemp("workers"), endpoint.url, STACK):
        yield servers
    clock_scale(60)


@pytest.fixture(scope="module")
def env(
    estate: dict[str, SeededServer], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    return cli_env(STACK, tmp_path_factory.mktemp("plans"))


def _jobs() -> list[dict[str, object]]:
    return list(client("drs", region_name=PRIMARY).describe_jobs()["items"])


def _wait_for_a_job(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not _jobs():
        assert time.monotonic() < deadline, "no DRS job started"
        time.sleep(0.2)


async def test_cancel_mid_way_starts_nothing_after_it_and_lets_running_jobs_finish(
    estate: dict[str, SeededServer], env: dict[str, str]
) -> None:
    planned = await run([*FAILBACK, "--plan"], env)
    assert planned.code == 0, planned.out + planned.err
    plan_hash = planned.field(r"Plan ([0-9a-f]{64})")
    clock_scale(10)  # a job now takes real seconds: the cancel lands while one runs
    try:
        sent = await run([*FAILBACK, "--approve", plan_hash, "--timeout", "2"], env)
        assert sent.code == 4, sent.out + sent.err
        request_id = sent.field(r"Request (\S+) sent")
        _wait_for_a_job(60)
        cancelled = await run(["--output", "json", "cancel", request_id, "--no-wait"], env)
    finally:
        clock_scale(600)
    assert cancelled.code == 0, cancelled.out + cancelled.err
    answer = json.loads(cancelled.out)
    assert answer["state"] == "cancelling", answer
    launched = answer["launched"]
    assert 0 < launched < len(NAMES) and answer["running_jobs"] >= 1, answer

    ended = await run(["--output", "json", "status", request_id, "--wait", "--timeout", "120"], env)
    report = json.loads(ended.out)
    by_name = {s["server"]["name"]: s for s in report["servers"]}
    canceller = answer["cancelled_by"]
    skipped = {n for n, s in by_name.items() if s["outcome"] == "skipped"}
    assert {by_name[n]["reason"] for n in skipped} == {f"cancelled by {canceller}"}
    assert len(skipped) == len(NAMES) - launched
    [step] = report["steps"]  # the cancel, in the report (and its page and picture)
    assert (step["kind"], step["by"]) == ("cancel", canceller)
    assert f"{len(skipped)} servers never launched" in step["outcome"]

    # DRS's own job log: only the servers in jobs when the cancel was taken, all launched.
    jobs = _jobs()
    in_jobs = {p["sourceServerID"] for j in jobs for p in j["participatingServers"]}  # type: ignore[attr-defined]
    assert len(in_jobs) == launched, jobs
    assert {j["status"] for j in jobs} == {"COMPLETED"}
    assert {p["launchStatus"] for j in jobs for p in j["participatingServers"]} == {"LAUNCHED"}  # type: ignore[attr-defined]
    # EC2: the originals of the servers never launched are still stopped, untouched.
    ec2 = client("ec2", region_name=PRIMARY)
    originals = [estate[n].original_instance_id for n in sorted(skipped)]
    found = ec2.describe_instances(InstanceIds=originals)["Reservations"]
    states = {i["State"]["Name"] for r in found for i in r["Instances"]}
    assert states == {"stopped"}

    again = await run(["cancel", request_id], env)
    assert again.code == 3 and "already ended" in again.out, again.out + again.err
    unknown = await run(["cancel", "failback-20200101t000000-abcdef"], env)
    assert unknown.code == 2 and "no plan of request" in unknown.out, unknown.out + unknown.err

    listed = await run(["--output", "json", "history", "--limit", "5"], env)
    assert listed.code == 0, listed.out + listed.err
    lines = {line["request_id"]: line for line in json.loads(listed.out)["requests"]}
    mine = lines[request_id]
    assert mine["status"] == "PARTIAL" and mine["cancelled_by"] == canceller
    assert mine["operation"] == "failback" and mine["servers"] == len(NAMES)
    assert mine["requested_by"] and mine["approved_by"]
    running = await run(["--output", "json", "history", "--status", "running"], env)
    assert request_id not in {line["request_id"] for line in json.loads(running.out)["requests"]}
    bad = await run(["history", "--status", "HALFWAY"], env)
    assert bad.code == 2 and "--status" in bad.err, bad.out + bad.err
