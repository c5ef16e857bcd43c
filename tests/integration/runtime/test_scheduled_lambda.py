"""An EventBridge schedule invoking the Lambda driver runs the service's chores once."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from drsorch.contracts import EVENTS, Envelope, EventRegistry
from drsorch.local.deploy import StackOutputs
from drsorch.local.server import LocalEndpoint
from drsorch.runtime import Chore, Outbox, Resources, Service, lambda_handler
from support.aws import deploy, drain
from support.events import Tick

pytestmark = pytest.mark.integration

STACK = "rtsched"
SCHEDULED = {
    "version": "0",
    "id": "5d1b4a6c-8a2b-4b4e-9f0e-1f2f3a4b5c6d",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "time": "2026-12-04T11:00:00Z",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/drsorch-monitor-sweep"],
    "detail": {},
}


@pytest.fixture(scope="module")
def topology(endpoint: LocalEndpoint) -> StackOutputs:
    return deploy(STACK)


async def test_a_scheduled_invocation_runs_the_sweep_and_sends_what_it_asked(
    topology: StackOutputs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRSORCH_STACK_NAME", STACK)
    runs: list[str] = []

    async def chore(outbox: Outbox) -> None:
        runs.append("sweep")
        tick = Envelope.wrap(Tick(n=1), request_id="req-sched-0001", step="t", producer="monitor")
        outbox.schedule(tick, timedelta(0))

    async def build(resources: Resources) -> Service:
        registry = EventRegistry([*EVENTS, Tick])
        return Service("monitor", registry, {}, chores=(Chore("sweep", 60, chore),))

    handler = lambda_handler("monitor", build)
    assert await asyncio.to_thread(handler, SCHEDULED, None) == {}
    assert runs == ["sweep"]
    (sent,) = await asyncio.to_thread(drain, topology.monitor.queue_url, expect=1)
    assert json.loads(sent["Body"])["type"] == "Tick"
