"""The CLI against the real pipeline: the four services as processes on the local endpoint.

An operator's session, command by command: plan a failback, approve it, read the
report and the record of the request (`status`, `report`), put the launch settings
back (`restore`, planned, then applied with a signed approval; a stale hash refused); a
plan refused for drift with the difference shown; a failover
drill followed past its --timeout with `status --wait`; a three-wave failback cancelled
while its first job runs, then listed by `history`.

The cancel's proof comes from DRS and EC2, not from drsorch's word: DRS's job log holds
exactly the servers the monitor had in jobs when it took the cancel (nothing started
after), each of those jobs completed with its servers launched, and the originals of
the servers never launched are still stopped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs in the dev group
import pytest

from drsorch.cli.report_schema import SCHEMA_PATH
from drsorch.local.estate import SeededServer
from drsorch.local.server import LocalEndpoint
from support.aws import client, deploy, wait_for
from support.cli_run import Ran, cli_env, run
from support.cli_world import (
    SPOKE_ACCOUNTS,
    clock_scale,
    load,
    logs,
    seed,
    services,
    tag_server,
)

pytestmark = pytest.mark.e2e

STACK = "clie2e"
PRIMARY, RECOVERY = "us-east-1", "us-west-2"
REGIONS = ["--primary-region", PRIMARY, "--recovery-region", RECOVERY]
FAILBACK = ["failback", *REGIONS, "--scope", "dr-plan=e2e", "--accounts", SPOKE_ACCOUNTS]
ESTATE = """
version: 1
name: cli-e2e
seed: 5
regions: {primary: us-east-1, recovery: us-west-2}
phase: failed_over
reverse_replication: {state: CONTINUOUS, lag_seconds: 0}
drs: {seed: 5, clock: {scale: 600}}
accounts:
  - kind: hub
    servers:
      - {name: shop-db-01, wave: 1, tags: {dr-plan: e2e}}
      - {name: shop-app-01, wave: 2, tags: {dr-plan: e2e}}
      - {name: shop-app-02, wave: 2, tags: {dr-plan: e2e}, original: {state: running}}
      - {name: lab-01, phase: protected, tags: {dr-plan: drill}, target: {}}
      - {name: lab-02, phase: protected, tags: {dr-plan: drill}, target: {}}
      - {name: edge-01, phase: protected, tags: {dr-plan: drift}, target: {}}
      - {name: edge-02, phase: protected, tags: {dr-plan: spare}, target: {}}
      - {name: cx-1-1, wave: 1, tags: {dr-plan: cancel}}
      - {name: cx-1-2, wave: 1, tags: {dr-plan: cancel}}
      - {name: cx-2-1, wave: 2, tags: {dr-plan: cancel}}
      - {name: cx-2-2, wave: 2, tags: {dr-plan: cancel}}
      - {name: cx-3-1, wave: 3, tags: {dr-plan: cancel}}
      - {name: cx-3-2, wave: 3, tags: {dr-plan: cancel}}
  - kind: spoke
    id: "210987654321"
    role_name: drsorch-spoke-access
    external_id: drsorch-hub-123456789012
    servers:
      - {name: report-db-01, wave: 1, tags: {dr-plan: e2e}}
"""


@pytest.fixture(scope="module")
def estate(
    endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, SeededServer]]:
    endpoint.reset()
    servers = seed(ESTATE)
    deploy(STACK, VisibilityTimeoutSeconds=30)
    folder = tmp_path_factory.mktemp("workers")
    with services(folder, endpoint.url, STACK):
        yield servers
    clock_scale(60)


@pytest.fixture(scope="module")
def env(
    estate: dict[str, SeededServer], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    return cli_env(STACK, tmp_path_factory.mktemp("plans"))


async def _plan(args: list[str], env: dict[str, str]) -> tuple[Ran, str]:
    ran = await run([*args, "--plan"], env)
    assert ran.code == 0, ran.out + ran.err
    return ran, ran.field(r"Plan ([0-9a-f]{64})")


async def test_plan_approve_report_status_and_restore(
    estate: dict[str, SeededServer], env: dict[str, str], tmp_path: Path
) -> None:
    planned, plan_hash = await _plan(FAILBACK, env)
    assert "shop-app-02: target" in planned.out and "is running" in planned.out
    assert "launchIntoInstance: unset -> the paired target on 3 servers" in planned.out

    report = tmp_path / "failback.json"
    ran = await run([*FAILBACK, "--approve", plan_hash, "--report", str(report)], env)
    assert ran.code == 1, ran.out + ran.err  # partial: the running original was refused
    request_id = ran.field(r"Request (\S+) sent")
    document = load(report)
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    by_name = {s["server"]["name"]: s for s in document["servers"]}
    assert by_name["shop-app-02"]["outcome"] == "rejected"
    for name in ("shop-db-01", "shop-app-01", "report-db-01"):
        server = by_name[name]
        assert server["outcome"] == "recovered", server
        assert server["ec2_instance_id"] == estate[name].original_instance_id
        assert server["launched_into_expected"] is True
    assert document["trace_id"] == ran.field(r"trace ([0-9a-f]{32})")
    assert (
        document["api_calls"]["StartRecovery"] == len(document["jobs"]) == 3
    )  # 2 waves, 2 accounts
    assert report.with_suffix(".svg").read_text().count('class="server-bar"') == 4

    status = await run(["status", request_id], env)
    assert status.code == 1, status.out + status.err
    assert "PARTIAL: 3 of 4 servers landed where expected" in status.out
    # As AWS users script it: the stack and region as options, one JSON document on stdout.
    scripted = {k: v for k, v in env.items() if k != "DRSORCH_STACK_NAME"}
    machine = await run(
        ["--stack-name", STACK, "--region", PRIMARY, "--output", "json", "status", request_id],
        scripted,
    )
    assert machine.code == 1, machine.out + machine.err
    status_document = json.loads(machine.out)
    jsonschema.validate(status_document, json.loads(SCHEMA_PATH.read_text()))
    assert status_document["request_id"] == request_id
    assert "PARTIAL: 3 of 4" in machine.err  # the words for people go to stderr
    (tmp_path / "again").mkdir()  # the CLI never makes a missing folder by itself
    written = await run(["report", request_id, "--out", str(tmp_path / "again")], env)
    assert written.code == 1
    again = load(tmp_path / "again" / f"{request_id}.json")
    assert {s["server"]["name"] for s in again["servers"]} == set(by_name)

    # A server the request kept nothing for is named, not "nothing kept for the request".
    stranger = "s-0123456789abcdef0"
    unknown = await run(["restore", request_id, "--servers", stranger, "--timeout", "60"], env)
    assert unknown.code == 2, unknown.out + unknown.err
    assert f"--servers: {request_id} kept no launch settings for {stranger}" in unknown.out
    assert "no launch settings were kept for request" not in unknown.out

    # A restore writes launch settings: planned, then applied with a signed approval.
    planned = await run(["restore", request_id, "--timeout", "60"], env)
    assert planned.code == 0, planned.out + planned.err + logs(Path(env["DRSORCH_PLAN_DIR"]))
    assert "3 planned" in planned.out
    restore_hash = planned.field(r"Restore plan ([0-9a-f]{64})")
    stale = await run(["restore", request_id, "--approve", "0" * 64, "--timeout", "60"], env)
    assert stale.code == 3, stale.out + stale.err
    assert "refused, nothing written: plan drift" in stale.out
    restored = await run(["restore", request_id, "--approve", restore_hash, "--timeout", "60"], env)
    assert restored.code == 0, restored.out + restored.err + logs(Path(env["DRSORCH_PLAN_DIR"]))
    assert "3 restored" in restored.out

    known = estate["shop-db-01"].source_server_id
    mixed = await run(
        ["restore", request_id, "--servers", f"{known},{stranger}", "--timeout", "60"], env
    )
    assert mixed.code == 2, mixed.out + mixed.err
    assert "1 unchanged" in mixed.out and f"kept no launch settings for {stranger}" in mixed.out


async def test_a_plan_that_drifted_is_refused_showing_what_changed(
    estate: dict[str, SeededServer], env: dict[str, str]
) -> None:
    failover = ["failover", *REGIONS, "--scope", "dr-plan=drift"]
    _, approved = await _plan(failover, env)
    machine = await run(["--output", "json", *failover, "--plan"], env)
    assert machine.code == 0, machine.out + machine.err
    plan = json.loads(machine.out)  # the plan, machine-readable, and nothing else on stdout
    assert plan["plan_hash"] == approved
    assert {p["server"]["name"] for p in plan["pairs"]} == {"edge-01"}
    tag_server(estate["edge-02"], RECOVERY, {"dr-plan": "drift"})  # a server joined the scope
    try:
        ran = await run([*failover, "--approve", approved, "--wait"], env)
    finally:
        tag_server(estate["edge-02"], RECOVERY, {"dr-plan": "spare"})
    assert ran.code == 3, ran.out + ran.err
    assert "Refused: the approved plan" in ran.out, ran.out
    assert "no longer matches" in ran.out
    assert f"+ edge-02 ({estate['edge-02'].source_server_id})" in ran.out


async def test_a_drill_outlives_its_timeout_and_status_follows_it_to_the_end(
    estate: dict[str, SeededServer], env: dict[str, str], tmp_path: Path
) -> None:
    drill = ["failover", *REGIONS, "--scope", "dr-plan=drill", "--drill"]
    planned, plan_hash = await _plan(drill, env)
    assert "standard launch" in planned.out
    clock_scale(1)  # DRS now takes minutes: the CLI stops following first
    try:
        ran = await run([*drill, "--approve", plan_hash, "--timeout", "4"], env)
        assert ran.code == 4, ran.out + ran.err
        request_id = ran.field(r"Request (\S+) sent")
        assert f"drsorch status {request_id}" in ran.out
    finally:
        clock_scale(600)
    followed = await run(["status", request_id, "--wait", "--timeout", "90"], env, within=120)
    assert followed.code == 0, followed.out + followed.err
    assert "SUCCEEDED: 2 of 2 servers landed where expected" in followed.out
    await run(["report", request_id, "--out", str(tmp_path)], env)
    document = load(tmp_path / f"{request_id}.json")
    assert document["drill"] is True
    for server in document["servers"]:
        assert server["launched_into_expected"] is None  # standard launches: nothing expected
        assert server["ec2_instance_id"] not in {
            estate["lab-01"].target_instance_id,
            estate["lab-02"].target_instance_id,
        }


CANCEL_NAMES = [f"cx-{wave}-{n}" for wave in (1, 2, 3) for n in (1, 2)]
CANCEL_FAILBACK = ["failback", *REGIONS, "--scope", "dr-plan=cancel"]


def _jobs(before: set[str]) -> list[dict[str, Any]]:
    """DRS's jobs in the primary region that were not there `before`."""
    found = client("drs", region_name=PRIMARY).describe_jobs()["items"]
    return [job for job in found if job["jobID"] not in before]


def _wait_for_a_job(before: set[str], seconds: float) -> None:
    wait_for(lambda: _jobs(before), timeout=seconds, every=0.2)


async def test_cancel_mid_way_starts_nothing_after_it_and_history_lists_it(
    estate: dict[str, SeededServer], env: dict[str, str]
) -> None:
    before = {job["jobID"] for job in _jobs(set())}
    planned = await run([*CANCEL_FAILBACK, "--plan"], env)
    assert planned.code == 0, planned.out + planned.err
    plan_hash = planned.field(r"Plan ([0-9a-f]{64})")
    clock_scale(10)  # a job now takes real seconds: the cancel lands while one runs
    try:
        sent = await run([*CANCEL_FAILBACK, "--approve", plan_hash, "--timeout", "2"], env)
        assert sent.code == 4, sent.out + sent.err
        request_id = sent.field(r"Request (\S+) sent")
        _wait_for_a_job(before, 60)
        cancelled = await run(["--output", "json", "cancel", request_id, "--no-wait"], env)
    finally:
        clock_scale(600)
    assert cancelled.code == 0, cancelled.out + cancelled.err
    answer = json.loads(cancelled.out)
    assert answer["state"] == "cancelling", answer
    launched = answer["launched"]
    assert 0 < launched < len(CANCEL_NAMES) and answer["running_jobs"] >= 1, answer

    ended = await run(["--output", "json", "status", request_id, "--wait", "--timeout", "120"], env)
    report = json.loads(ended.out)
    by_name = {s["server"]["name"]: s for s in report["servers"]}
    canceller = answer["cancelled_by"]
    skipped = {n for n, s in by_name.items() if s["outcome"] == "skipped"}
    assert {by_name[n]["reason"] for n in skipped} == {f"cancelled by {canceller}"}
    assert len(skipped) == len(CANCEL_NAMES) - launched
    [step] = report["steps"]  # the cancel, in the report (and its page and picture)
    assert (step["kind"], step["by"]) == ("cancel", canceller)
    assert f"{len(skipped)} servers never launched" in step["outcome"]

    # DRS's own job log: only the servers in jobs when the cancel was taken, all launched.
    jobs = _jobs(before)
    in_jobs = {p["sourceServerID"] for j in jobs for p in j["participatingServers"]}
    assert len(in_jobs) == launched, jobs
    assert {j["status"] for j in jobs} == {"COMPLETED"}
    assert {p["launchStatus"] for j in jobs for p in j["participatingServers"]} == {"LAUNCHED"}
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

    listed = await run(["--output", "json", "history", "--limit", "50"], env)
    assert listed.code == 0, listed.out + listed.err
    lines = {line["request_id"]: line for line in json.loads(listed.out)["requests"]}
    mine = lines[request_id]
    assert mine["status"] == "PARTIAL" and mine["cancelled_by"] == canceller
    assert mine["operation"] == "failback" and mine["servers"] == len(CANCEL_NAMES)
    assert mine["requested_by"] and mine["approved_by"]
    running = await run(["--output", "json", "history", "--status", "running,cancelling"], env)
    assert request_id not in {line["request_id"] for line in json.loads(running.out)["requests"]}
