"""A failback through every trap, with a fifth of all DRS calls throttled, end to end.

All four services run as workers (in-process `serve` tasks). A target left running
and an untagged one are refused and never launched into; a server whose launch fails
is reported with DRS's reason and the request ends PARTIAL; throttling (429 with
Retry-After on 20% of DRS calls, for every service) slows the run but never breaks it.
"""

from __future__ import annotations

from typing import Any

import pytest

from drsorch.contracts import Accounts, RequestCompleted, RequestOptions, RequestSpec, Scope
from drsorch.local.deploy import StackOutputs
from drsorch.local.estate import SeededServer
from drsorch.local.server import LocalEndpoint
from support.approving import plan_and_approve
from support.aws import deploy
from support.monitor_e2e import running, runtime, services
from support.monitor_world import calls, seed
from support.observer import observer_queue

pytestmark = pytest.mark.e2e

STACK = "x5trap"
REQUEST = "req-x5trap-failback-01"
ESTATE = """
version: 1
name: x5trap
seed: 23
regions: {primary: us-east-1, recovery: us-west-2}
phase: failed_over
drs:
  seed: 23
  clock: {scale: 600}
  faults:
    operations:
      "*": {throttle_rate: 0.2, retry_after_seconds: 1}
    servers:
      trap-doomed-01: {launch_failure: "Insufficient capacity in us-east-1b"}
accounts:
  - kind: hub
    servers:
      - {name: trap-running-01, wave: 1, tags: {app: trap}, original: {state: running}}
      - {name: trap-untagged-01, wave: 1, tags: {app: trap}, original: {allow_launch_into: false}}
      - {name: trap-doomed-01, wave: 2, tags: {app: trap}}
    generators:
      - count: 9
        name: trap-ok-{index:02d}
        waves: [1, 2, 3]
        name_noise: {rate: 0}
        template: {tags: {app: trap}}
"""


@pytest.fixture(scope="module")
async def outcome(endpoint: LocalEndpoint) -> dict[str, Any]:
    endpoint.reset()
    servers = seed(ESTATE, "x5trap")
    stack: StackOutputs = deploy(STACK, VisibilityTimeoutSeconds=60)
    watch = observer_queue(stack, f"{STACK}-observer")
    spec = RequestSpec(
        operation="failback",
        scope=Scope(selector={"app": "trap"}),
        accounts=Accounts(hub="123456789012"),
        primary_region="us-east-1",
        recovery_region="us-west-2",
        options=RequestOptions(wave_success_ratio=0.0),
        requested_by="e2e",
    )
    # The monitor with fewer client retries, so throttling reaches its own back-off.
    settings = {"monitor": runtime(STACK, aws_max_attempts=2)}
    async with running(stack, watch, services(), settings) as flow:
        spec = await plan_and_approve(flow, spec, REQUEST)
        await flow.request(spec, REQUEST)
        report = await flow.completed(REQUEST, within=300)
    return {"report": report, "servers": servers}


def _lines(outcome: dict[str, Any]) -> dict[str, Any]:
    report: list[RequestCompleted] = outcome["report"]
    return {str(line.server.name): line for chunk in report for line in chunk.servers}


def test_the_request_ends_partial_and_says_why_per_server(outcome: dict[str, Any]) -> None:
    report: list[RequestCompleted] = outcome["report"]
    lines = _lines(outcome)
    assert report[0].status == "PARTIAL"
    assert {n: line.outcome for n, line in lines.items() if not n.startswith("trap-ok")} == {
        "trap-running-01": "rejected",
        "trap-untagged-01": "rejected",
        "trap-doomed-01": "failed",
    }
    assert lines["trap-doomed-01"].reason == "LAUNCH_FAILED: Insufficient capacity in us-east-1b"
    assert "running" in str(lines["trap-running-01"].reason)
    assert "AWSDRS" in str(lines["trap-untagged-01"].reason)
    ok = [line for name, line in lines.items() if name.startswith("trap-ok")]
    assert len(ok) == 9 and all(line.outcome == "recovered" for line in ok)


def test_refused_targets_were_never_launched_into(outcome: dict[str, Any]) -> None:
    servers: dict[str, SeededServer] = outcome["servers"]
    refused = {
        servers["trap-running-01"].original_instance_id,
        servers["trap-untagged-01"].original_instance_id,
    }
    configured = [
        c["arguments"].get("launchIntoInstanceProperties", {}).get("launchIntoEC2InstanceID")
        for c in calls("UpdateLaunchConfiguration")
    ]
    assert not refused & set(configured)
    launched = {
        s["sourceServerID"] for c in calls("StartRecovery") for s in c["arguments"]["sourceServers"]
    }
    lines = _lines(outcome)
    for name in ("trap-running-01", "trap-untagged-01"):
        assert lines[name].launching_server_id not in launched
        assert lines[name].ec2_instance_id is None


def test_throttling_happened_and_no_quota_was_exceeded(outcome: dict[str, Any]) -> None:
    log = calls()
    throttled = [c for c in log if c["error_code"] == "ThrottlingException"]
    assert len(throttled) > len(log) * 0.1
    assert not [c for c in log if c["error_code"] == "ServiceQuotaExceededException"]
    starts = [c for c in calls("StartRecovery") if c["status"] == 202]
    assert all("tags" not in c["arguments"] for c in starts)
    launched = [s["sourceServerID"] for c in starts for s in c["arguments"]["sourceServers"]]
    assert len(launched) == len(set(launched)) == 10
