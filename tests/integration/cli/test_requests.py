"""`drsorch failback|failover` as a subprocess, against a scripted pipeline on the local endpoint.

The stand-in (tests/support/cli_pipeline.py) plays the four services, so these tests
pin the CLI's side: the plan and its hash, approval, drift refused with the
difference shown, drills, bad flags, a timeout that leaves the request running, an
interruption, and the report files. The same commands against the real services are
in tests/e2e/cli.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]  # no stubs in the dev group
import pytest

from drsorch.cli.report_schema import SCHEMA_PATH
from drsorch.local.deploy import StackOutputs
from drsorch.local.server import LocalEndpoint
from drsorch.runtime import RuntimeSettings, serve
from support.aws import client, deploy, wait_for
from support.cli_pipeline import Script, pipeline
from support.cli_run import Ran, cli_env, run, start

pytestmark = pytest.mark.integration

STACK = "clireq"
REGIONS = ["--primary-region", "us-east-1", "--recovery-region", "us-west-2"]
SCOPE = ["--scope", "app=web"]


@pytest.fixture(scope="module")
def topology(endpoint: LocalEndpoint) -> StackOutputs:
    return deploy(STACK, VisibilityTimeoutSeconds=10)


@pytest.fixture(scope="module")
async def script(topology: StackOutputs) -> AsyncIterator[Script]:
    script = Script()
    stop = asyncio.Event()
    settings = RuntimeSettings(stack_name=STACK, wait_seconds=1, retry_base_seconds=0)
    worker = asyncio.create_task(serve("discovery", pipeline(script), stop, settings))
    yield script
    stop.set()
    await asyncio.wait_for(worker, timeout=15)


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("plans")


@pytest.fixture(scope="module")
def env(endpoint: LocalEndpoint, plans: Path) -> dict[str, str]:
    return cli_env(STACK, plans)


@pytest.fixture(autouse=True)
def fresh(script: Script) -> None:
    script.plan_version, script.servers, script.hold, script.refuse = 1, 9, False, True


@pytest.fixture(scope="module")
async def planned(script: Script, env: dict[str, str]) -> tuple[Ran, str]:
    """The default script's plan, made once: later tests approve its hash."""
    return await plan(env, "--set", "copyPrivateIp=false")


def _cli_queues() -> list[str]:
    urls: list[str] = client("sqs").list_queues(QueueNamePrefix="drsorch-cli-").get("QueueUrls", [])
    return urls


async def plan(env: dict[str, str], *extra: str, operation: str = "failback") -> tuple[Ran, str]:
    ran = await run([operation, *REGIONS, *SCOPE, *extra, "--plan"], env)
    assert ran.code == 0, ran.err + ran.out
    return ran, ran.field(r"Plan ([0-9a-f]{64})")


async def test_plan_prints_pairs_changes_waves_estimate_and_the_hash(
    script: Script, planned: tuple[Ran, str], plans: Path
) -> None:
    ran, plan_hash = planned
    assert plan_hash == script.plan_hash_for("failback")
    for text in ("web-01", "lineage", "awsInstanceID=", "target is running"):
        assert text in ran.out
    assert "copyPrivateIp: true -> false on 8 servers" in ran.out
    assert "launchIntoInstance: unset -> the paired target on 8 servers" in ran.out
    for wave in (1, 2, 3):
        assert f"wave {wave}:" in ran.out
    assert "Estimate: about 60 min" in ran.out
    assert f"--approve {plan_hash}" in ran.out
    assert (plans / f"{plan_hash}.json").exists()
    assert _cli_queues() == []


async def test_an_approved_plan_runs_and_writes_the_report(
    planned: tuple[Ran, str], env: dict[str, str], tmp_path: Path
) -> None:
    _, plan_hash = planned
    (tmp_path / "out").mkdir()  # the CLI writes into a folder that exists; it never makes one
    report = tmp_path / "out" / "report.json"
    ran = await run(
        ["failback", *REGIONS, *SCOPE, "--approve", plan_hash, "--report", str(report)], env
    )
    assert ran.code == 1, ran.err + ran.out  # PARTIAL: the running target was refused
    assert "PARTIAL: 8 of 9 servers landed where expected" in ran.out
    assert "rejected web-02" in ran.out
    document = json.loads(report.read_text())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    assert document["status"] == "PARTIAL"
    assert document["plan_hash"] == plan_hash
    assert document["trace_id"] == ran.field(r"trace ([0-9a-f]{32})")
    assert len(document["servers"]) == 9
    assert report.with_suffix(".html").read_text().count('<tr data-server="') == 9
    assert report.with_suffix(".svg").read_text().count('class="server-bar"') == 9
    assert _cli_queues() == []


async def test_every_server_landing_exits_zero(
    script: Script, planned: tuple[Ran, str], env: dict[str, str]
) -> None:
    script.refuse = False  # the running target was stopped since the plan; the plan is the same
    ran = await run(["failback", *REGIONS, *SCOPE, "--approve", planned[1], "--wait"], env)
    assert ran.code == 0, ran.err + ran.out
    assert "SUCCEEDED: 9 of 9 servers landed where expected" in ran.out


async def test_a_drifted_plan_is_refused_and_the_difference_shown(
    script: Script, planned: tuple[Ran, str], env: dict[str, str]
) -> None:
    approved = planned[1]
    script.plan_version, script.servers = 2, 10  # a server appeared since the plan was approved
    ran = await run(["failback", *REGIONS, *SCOPE, "--approve", approved, "--wait"], env)
    assert ran.code == 3, ran.err + ran.out
    assert "Refused: plan drift" in ran.out
    assert f"now hashes to {script.plan_hash_for('failback')}" in ran.out
    assert "+ web-10 (s-0000000000000000a) -> i-0000000000000000a (now paired)" in ran.out


async def test_a_drill_plans_and_runs_standard_launches(
    script: Script, env: dict[str, str], tmp_path: Path
) -> None:
    ran, plan_hash = await plan(env, "--drill", operation="failover")
    assert "standard launch" in ran.out
    report = tmp_path / "drill.json"
    ran = await run(
        ["failover", *REGIONS, *SCOPE, "--drill", "--approve", plan_hash, "--report", str(report)],
        env,
    )
    assert ran.code == 0, ran.err + ran.out
    document = json.loads(report.read_text())
    assert document["drill"] is True
    assert {s["launched_into_expected"] for s in document["servers"]} == {None}
    assert {s["target"] for s in document["servers"]} == {None}


async def test_an_apply_without_approval_is_refused(env: dict[str, str]) -> None:
    ran = await run(["failback", *REGIONS, *SCOPE, "--wait"], env)
    assert ran.code == 3
    assert "approval missing" in ran.err
    assert "--plan" in ran.err


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        # The full list runs in-process in tests/unit/cli/test_commands.py; these three prove
        # the installed command exits 2 and names the flag on stderr.
        ([*SCOPE, "--recovery-region", "us-west-2"], "--primary-region"),
        ([*SCOPE, *REGIONS, "--set", "turbo=on"], "--set"),
        ([*SCOPE, *REGIONS, "--approve", "nothex"], "--approve"),
        ([*SCOPE, *REGIONS, "--option", "batchSize=101"], "--option"),
    ],
)
async def test_bad_flags_exit_2_naming_the_flag(
    args: list[str], flag: str, env: dict[str, str]
) -> None:
    ran = await run(["failback", *args], env)
    assert ran.code == 2, ran.err + ran.out
    assert flag in ran.err


async def test_options_reach_the_request_and_a_batch_size_shapes_the_planned_jobs(
    script: Script, env: dict[str, str]
) -> None:
    ran, _ = await plan(env, "--option", "batchSize=1", "--option", "nameSuffix=-dr")
    found = re.search(r"wave 1: (\d+) servers in (\d+) jobs", ran.out)
    assert found, ran.out
    servers, jobs = found.groups()
    assert int(servers) > 1
    assert jobs == servers  # one server a job
    [request] = [spec for spec in script.specs if spec.options.batch_size == 1]
    assert request.options.name_suffixes == ("-dr",)


async def test_a_timeout_leaves_the_request_running_and_says_how_to_follow_it(
    script: Script, planned: tuple[Ran, str], env: dict[str, str]
) -> None:
    plan_hash = planned[1]
    script.hold = True
    ran = await run(["failback", *REGIONS, *SCOPE, "--approve", plan_hash, "--timeout", "3"], env)
    assert ran.code == 4, ran.err + ran.out
    request_id = ran.field(r"Request (\S+) sent")
    assert f"drsorch status {request_id}" in ran.out
    assert "still running" in ran.out
    assert request_id in script.seen
    assert _cli_queues() == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_ctrl_c_deletes_the_clis_queue_and_says_the_request_runs_on(
    signum: signal.Signals, script: Script, planned: tuple[Ran, str], env: dict[str, str]
) -> None:
    plan_hash = planned[1]
    script.hold = True
    process = await start(["failback", *REGIONS, *SCOPE, "--approve", plan_hash, "--wait"], env)
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    assert b"sent" in line
    await asyncio.to_thread(wait_for, _cli_queues)
    process.send_signal(signum)
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 130
    assert b"keeps running" in err
    assert _cli_queues() == []


async def test_a_request_can_be_sent_without_waiting(
    script: Script, planned: tuple[Ran, str], env: dict[str, str]
) -> None:
    plan_hash = planned[1]
    ran = await run(["failback", *REGIONS, *SCOPE, "--approve", plan_hash], env)
    assert ran.code == 0, ran.err + ran.out
    request_id = ran.field(r"Request (\S+) sent")
    assert f"drsorch status {request_id}" in ran.out
    await asyncio.to_thread(wait_for, lambda: request_id in script.seen)


async def test_a_plan_writes_its_report_when_asked(env: dict[str, str], tmp_path: Path) -> None:
    report = tmp_path / "plan.json"
    ran = await run(["failback", *REGIONS, *SCOPE, "--plan", "--report", str(report)], env)
    assert ran.code == 0, ran.err + ran.out
    document = json.loads(report.read_text())
    assert document["status"] == "PLANNED"
    assert {s["outcome"] for s in document["servers"]} == {"planned"}


@pytest.mark.parametrize("command", [["status"], ["report", "--out", "{tmp}"]])
async def test_a_request_the_monitor_never_saw_is_named_as_unknown(
    command: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    extra = [arg.replace("{tmp}", str(tmp_path)) for arg in command[1:]]
    ran = await run([command[0], "failback-20991231t000000-000000", *extra], env)
    assert ran.code == 2, ran.err + ran.out
    assert "REQUEST_ID" in ran.err
    assert "no record of 'failback-20991231t000000-000000'" in ran.err


async def test_the_cli_writes_its_span_where_otel_says_and_the_report_names_its_trace(
    planned: tuple[Ran, str], env: dict[str, str], tmp_path: Path
) -> None:
    spans, report = tmp_path / "spans.jsonl", tmp_path / "report.json"
    traced = env | {"OTEL_TRACES_EXPORTER": "console", "DRSORCH_TRACES_FILE": str(spans)}
    ran = await run(
        ["failback", *REGIONS, *SCOPE, "--approve", planned[1], "--report", str(report)], traced
    )
    trace_id = ran.field(r"trace ([0-9a-f]{32})")
    request_id = ran.field(r"Request (\S+) sent")
    lines = [json.loads(line) for line in spans.read_text().splitlines()]
    root = next(s for s in lines if s["name"] == "drsorch FailbackRequested")
    assert root["context"]["trace_id"] == f"0x{trace_id}"
    assert root["attributes"]["drsorch.request_id"] == request_id
    assert json.loads(report.read_text())["trace_id"] == trace_id
