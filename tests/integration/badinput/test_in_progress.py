"""Bad input and lost contact while a failback is in progress, against the local endpoint.

The scripted pipeline stands in for the services and holds an apply at a gate, so the
failback is in progress while the test acts:

- bad commands aimed at the same stack and the same request are refused (exit 2) and
  change nothing: no request sent, no queue left, and the failback completes unchanged;
- the endpoint drops while `failback --wait` follows: one line (issue 10, item 6), and
  `drsorch status REQUEST_ID --wait` picks the request up from where it is;
- with no service consuming, the CLI says so, naming the command that starts them.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from drsorch.local.deploy import StackOutputs
from drsorch.local.server import LocalEndpoint
from drsorch.runtime import RuntimeSettings, serve
from support.aws import client, deploy, wait_for
from support.badinput_pipeline import gated_pipeline
from support.cli_pipeline import Script
from support.cli_run import Ran, cli_env, run, start

pytestmark = pytest.mark.integration

STACK = "clibad"
REGIONS = ["--primary-region", "us-east-1", "--recovery-region", "us-west-2"]
FAILBACK = ["failback", *REGIONS, "--scope", "app=web"]


@pytest.fixture(scope="module")
def topology(endpoint: LocalEndpoint) -> StackOutputs:
    return deploy(STACK, VisibilityTimeoutSeconds=60)


@pytest.fixture(scope="module")
async def gate() -> asyncio.Event:
    return asyncio.Event()


@pytest.fixture(scope="module")
async def script(topology: StackOutputs, gate: asyncio.Event) -> AsyncIterator[Script]:
    script = Script()
    stop = asyncio.Event()
    settings = RuntimeSettings(stack_name=STACK, wait_seconds=1, retry_base_seconds=0)
    factory = gated_pipeline(script, gate, topology.monitor.table_name)
    worker = asyncio.create_task(serve("discovery", factory, stop, settings))
    yield script
    gate.set()
    stop.set()
    await asyncio.wait_for(worker, timeout=15)


@pytest.fixture(scope="module")
def env(endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return cli_env(STACK, tmp_path_factory.mktemp("plans"))


@pytest.fixture(scope="module")
async def approved(script: Script, env: dict[str, str]) -> str:
    ran = await run([*FAILBACK, "--plan"], env)
    assert ran.code == 0, ran.out + ran.err
    return ran.field(r"Plan ([0-9a-f]{64})")


def _cli_queues() -> list[str]:
    urls: list[str] = client("sqs").list_queues(QueueNamePrefix="drsorch-cli-").get("QueueUrls", [])
    return urls


async def _sent(process: asyncio.subprocess.Process) -> str:
    """The request ID, once the command says the request was sent."""
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    assert " sent" in line, line
    return line.split()[1]


def _bad_commands(request_id: str, approved: str, tmp: Path) -> list[tuple[list[str], str]]:
    apply = [*FAILBACK, "--approve", approved]
    return [
        ([*apply, "--wait", "--timeout", "inf"], "--timeout"),
        ([*apply, "--report", str(tmp / "missing" / "r.json")], "--report"),
        ([*apply, "--accounts", ""], "--accounts"),
        (
            [
                "failback",
                "--primary-region",
                "us-east-9",
                "--recovery-region",
                "us-west-2",
                "--scope",
                "app=web",
                "--approve",
                approved,
            ],
            "--primary-region",
        ),
        (["restore", request_id, "--timeout", "nan"], "--timeout"),
        (["report", request_id, "--out", str(tmp / "missing")], "--out"),
    ]


async def test_bad_commands_during_a_failback_change_nothing_and_it_completes_unchanged(
    script: Script, approved: str, env: dict[str, str], gate: asyncio.Event, tmp_path: Path
) -> None:
    gate.clear()
    report = tmp_path / "report.json"
    process = await start([*FAILBACK, "--approve", approved, "--report", str(report)], env)
    request_id = await _sent(process)
    await asyncio.to_thread(wait_for, lambda: request_id in script.seen)
    seen, queues = list(script.seen), _cli_queues()

    bad = _bad_commands(request_id, approved, tmp_path)
    ran = await asyncio.gather(*(run(args, env, within=30) for args, _ in bad))
    for (args, flag), result in zip(bad, ran, strict=True):
        assert result.code == 2, (args, result.out, result.err)
        assert flag in result.err, (args, result.err)
        assert "Traceback" not in result.out + result.err
    assert script.seen == seen  # nothing was sent
    assert _cli_queues() == queues  # no queue made or removed
    assert not (tmp_path / "missing").exists()

    gate.set()
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1, out.decode() + err.decode()  # PARTIAL, as planned
    assert "PARTIAL: 8 of 9 servers landed where expected" in out.decode()
    document = json.loads(report.read_text())
    assert document["request_id"] == request_id
    assert document["plan_hash"] == approved
    assert len(document["servers"]) == 9
    assert _cli_queues() == []


async def test_losing_the_endpoint_while_following_is_one_line_and_status_picks_it_up(
    script: Script, approved: str, env: dict[str, str], gate: asyncio.Event
) -> None:
    gate.clear()
    doomed = LocalEndpoint(port=0).start()  # the same state, on a port of its own
    process = await start(
        [*FAILBACK, "--approve", approved, "--wait"], env | {"AWS_ENDPOINT_URL": doomed.url}
    )
    request_id = await _sent(process)
    await asyncio.to_thread(wait_for, lambda: request_id in script.seen)
    await asyncio.to_thread(doomed.stop)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    said = err.decode()
    assert process.returncode == 1, out.decode() + said
    assert "Traceback" not in said and "EndpointConnectionError" not in said
    assert len(said.strip().splitlines()) == 1, said
    assert "lost the connection to AWS" in said
    assert f"drsorch status {request_id} --wait" in said

    # The CLI could not delete its queue on a dropped endpoint (it expires in an hour);
    # tidy it here so later tests start from none.
    [left] = [url for url in _cli_queues() if request_id in url]
    client("sqs").delete_queue(QueueUrl=left)

    gate.set()  # the request went on without the CLI; status follows it to its end
    status = await run(["status", request_id, "--wait", "--timeout", "60"], env, within=90)
    assert status.code == 1, status.out + status.err
    assert "PARTIAL: 8 of 9 servers landed where expected" in status.out


async def test_with_nothing_consuming_the_cli_says_so_and_names_the_command(
    endpoint: LocalEndpoint, tmp_path: Path
) -> None:
    deploy("clidead")  # the topology, and no service running
    env = cli_env("clidead", tmp_path, DRSORCH_CLI_QUIET_SECONDS="2")
    started = time.monotonic()
    ran: Ran = await run([*FAILBACK, "--plan", "--timeout", "6"], env, within=60)
    assert ran.code == 4, ran.out + ran.err  # still waiting when the timeout came
    assert "Nothing is consuming the discovery queue" in ran.out, ran.out
    assert "python -m drsorch.discovery" in ran.out
    assert time.monotonic() - started < 30
