"""The local endpoint for the CLI's end-to-end tests: a fresh estate, the four services as
worker processes, and the emulator's clock slowed or sped up on demand."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from drsorch.cli.workers import FAST_LOCAL, Workers
from drsorch.local.drs.emulator import default_emulator
from drsorch.local.drs.settings import EmulatorSettings
from drsorch.local.estate import SeededServer, parse_estate, seed_estate
from support.aws import LOCAL_SPOKES, client
from support.cli_run import Ran, start

HUB = "123456789012"
SPOKE = "210987654321"
SPOKE_ACCOUNTS = f"{HUB},{SPOKE}:drsorch-spoke-access:drsorch-hub-{HUB}"


def seed(estate_yaml: str) -> dict[str, SeededServer]:
    """Seed an estate; its servers by name."""
    report = seed_estate(parse_estate(estate_yaml, "cli-e2e"))
    return {server.name: server for server in report.servers}


def clock_scale(scale: float) -> None:
    """Simulated DRS seconds per real second from now on (slow it to keep a job running)."""
    emulator = default_emulator()
    settings = emulator.settings.model_dump(mode="json")
    settings["clock"]["scale"] = scale
    emulator.configure(EmulatorSettings.model_validate(settings))


def tag_server(server: SeededServer, region: str, tags: dict[str, str]) -> None:
    """Tag a DRS source server (in the hub), as an operator would between plan and apply."""
    drs = client("drs", region_name=region)
    found = drs.describe_source_servers(filters={"sourceServerIDs": [server.source_server_id]})
    drs.tag_resource(resourceArn=found["items"][0]["arn"], tags=tags)


def worker_env(url: str, stack: str) -> dict[str, str]:
    """The environment the services run in: the endpoint, the stack, fast local polling."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRSORCH_", "OTEL_"))}
    # The end-to-end suite's record of AWS calls (the IAM proof) includes the processes.
    recording = {k: v for k, v in os.environ.items() if k == "DRSORCH_AWS_CALLS_FILE"}
    return (
        env
        | recording
        | FAST_LOCAL
        | LOCAL_SPOKES
        | {"AWS_ENDPOINT_URL": url, "DRSORCH_STACK_NAME": stack}
    )


@contextmanager
def services(folder: Path, url: str, stack: str) -> Iterator[Workers]:
    """The four services as processes, consuming, until the block ends."""
    workers = Workers(folder)
    workers.start(worker_env(url, stack))
    try:
        workers.wait_ready(90)
        yield workers
    finally:
        workers.stop()


def logs(folder: Path) -> str:
    """The workers' logs, for a failing assertion's message."""
    return "\n".join(
        f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in folder.glob("*.log")
    )


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


WORKER_LOGS = "TEST_WORKER_LOGS"
"""Where a test's CLI environment names its workers' log folder, for failure messages."""


def worker_logs(env: Mapping[str, str]) -> str:
    return logs(Path(env[WORKER_LOGS]))


async def run_logged(args: list[str], env: Mapping[str, str], within: float = 300.0) -> Ran:
    """The command's run; on its time running out, what it printed and the workers' logs."""
    process = await start(args, env)
    try:
        out, err = await asyncio.wait_for(process.communicate(), within)
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
        printed = f"{out.decode()}\n{err.decode()}"
        pytest.fail(f"{args} ran over {within} s:\n{printed}\n{worker_logs(env)}")
    print(f"$ drsorch {' '.join(args)}\n{out.decode()}{err.decode()}")
    return Ran(process.returncode or 0, out.decode(), err.decode())


async def ok_logged(args: list[str], env: Mapping[str, str], within: float = 300.0) -> Ran:
    """`run_logged`, which must exit 0 (else the workers' logs are in the failure)."""
    ran = await run_logged(args, env, within=within)
    assert ran.code == 0, f"{args}\n{ran.out}\n{ran.err}\n{worker_logs(env)}"
    return ran
