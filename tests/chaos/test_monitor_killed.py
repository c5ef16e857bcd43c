"""The monitor killed between recording a batch's intent and StartRecovery (and just
after StartRecovery), then restarted: no batch ever gets a second job.

Discovery, the matcher and the configurator run in-process; the monitor runs as a
separate process (`python -m drsorch.monitor`) so it can really be killed: a
test-only entry point (`support.monitor_crashy`) dies with `os._exit` at the chosen
point, leaving its message unsettled and its leases held, as `kill -9` would.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from drsorch.contracts import Accounts, RequestCompleted, RequestOptions, RequestSpec, Scope
from drsorch.local.deploy import StackOutputs
from drsorch.local.server import LocalEndpoint
from support.approving import plan_and_approve
from support.aws import deploy
from support.monitor_e2e import running, services
from support.monitor_world import calls, seed
from support.observer import observer_queue

pytestmark = pytest.mark.chaos

TESTS = Path(__file__).resolve().parents[1]
ESTATE = """
version: 1
name: {name}
seed: 29
regions: {{primary: us-east-1, recovery: us-west-2}}
phase: failed_over
drs:
  seed: 29
  clock: {{scale: 600}}
accounts:
  - kind: hub
    generators:
      - count: 6
        name: {name}-{{index:02d}}
        waves: [1]
        name_noise: {{rate: 0}}
        template: {{tags: {{app: {name}}}}}
"""


def monitor_process(
    endpoint: LocalEndpoint, stack: str, log: Path, *args: str
) -> subprocess.Popen[bytes]:
    """The monitor as a process of its own; its log (JSON lines) goes to `log`."""
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint.url,
        "PYTHONPATH": str(TESTS),
        "DRSORCH_STACK_NAME": stack,
        "DRSORCH_WAIT_SECONDS": "1",
        "DRSORCH_RETRY_BASE_SECONDS": "1",
        "DRSORCH_LOG_LEVEL": "WARNING",
        "DRSORCH_MONITOR_POLL_MIN_SECONDS": "1",
        "DRSORCH_MONITOR_POLL_MAX_SECONDS": "2",
        "DRSORCH_MONITOR_READINESS_POLL_SECONDS": "1",
        "DRSORCH_MONITOR_BATCH_LINGER_SECONDS": "1",
        "DRSORCH_MONITOR_INTENT_SETTLE_SECONDS": "2",
        "DRSORCH_MONITOR_LEASE_SECONDS": "5",
        "DRSORCH_MONITOR_WAKE_DELAY_SECONDS": "0",
    }
    module = ["-m", "support.monitor_crashy", *args] if args else ["-m", "drsorch.monitor"]
    with log.open("ab") as sink:
        return subprocess.Popen([sys.executable, *module], env=env, stderr=sink, stdout=sink)


@pytest.fixture
def stop_later() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


@pytest.mark.parametrize("point", ["after-intent", "after-start"])
async def test_a_killed_and_restarted_monitor_starts_each_batch_once(
    endpoint: LocalEndpoint,
    point: str,
    stop_later: list[subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    name = f"x5chaos{point.replace('-', '')}"
    endpoint.reset()
    seed(ESTATE.format(name=name), name)
    stack: StackOutputs = deploy(name, VisibilityTimeoutSeconds=10)
    spec = RequestSpec(
        operation="failback",
        scope=Scope(selector={"app": name}),
        accounts=Accounts(hub="123456789012"),
        primary_region="us-east-1",
        recovery_region="us-west-2",
        options=RequestOptions(batch_size=3),
        requested_by="chaos",
    )
    request_id = f"req-{name}"
    log = tmp_path / "monitor.log"
    doomed = monitor_process(endpoint, name, log, point)
    stop_later.append(doomed)
    others = [s for s in services() if s[0] != "monitor"]
    async with running(stack, observer_queue(stack, f"{name}-observer"), others) as flow:
        spec = await plan_and_approve(flow, spec, request_id)
        await flow.request(spec, request_id)
        code = await asyncio.to_thread(doomed.wait, 120)
        assert code == 137, log.read_text()[-4000:]
        assert len([c for c in calls("StartRecovery") if c["status"] == 202]) == (
            1 if point == "after-start" else 0
        )
        stop_later.append(monitor_process(endpoint, name, log))
        report: list[RequestCompleted] = await flow.completed(request_id, within=180)

    assert report[0].status == "SUCCEEDED", report[0].reason
    starts = [c for c in calls("StartRecovery") if c["status"] == 202]
    batches = Counter(
        frozenset(s["sourceServerID"] for s in c["arguments"]["sourceServers"]) for c in starts
    )
    assert len(starts) == 2 and set(batches.values()) == {1}, "a batch was started twice"
    servers = Counter(s for batch in batches for s in batch)
    assert len(servers) == 6 and set(servers.values()) == {1}
    assert len({j.job_id for chunk in report for j in chunk.jobs}) == 2
