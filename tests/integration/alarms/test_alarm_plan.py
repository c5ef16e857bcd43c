"""The alarm path end to end on the local endpoint: a watched alarm's return to OK, through
EventBridge and the deployed rule, becomes a failback plan from discovery and the matcher
(running in-process) on a seeded failed-over estate.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from drsorch.discovery.bootstrap import build as build_discovery
from drsorch.local.deploy import StackOutputs
from drsorch.local.server import LocalEndpoint
from drsorch.matcher.bootstrap import build as build_matcher
from support.alarm_events import AlarmEventWindow, new_alarm, outage_then_recovery
from support.aws import deploy
from support.discovery_estates import FAILED_OVER_RENAMED, HUB, PRIMARY, fresh
from support.discovery_pipeline import Pipeline, running
from support.observer import observer_queue

pytestmark = pytest.mark.integration

STACK = "x6plan"


@pytest.fixture(scope="module")
def alarm(endpoint: LocalEndpoint) -> str:
    return new_alarm(f"{STACK}-primary-healthy")


@pytest.fixture(scope="module")
def stack(alarm: str) -> tuple[StackOutputs, str]:
    outputs = deploy(
        STACK,
        FailbackAlarmNames=alarm,
        FailbackScopeSelector='{"app": "pay"}',
        MaxReceiveCount=3,
        VisibilityTimeoutSeconds=30,
    )
    return outputs, observer_queue(outputs, f"{STACK}-observer")


@pytest.fixture
async def pipeline(stack: tuple[StackOutputs, str]) -> AsyncIterator[Pipeline]:
    outputs, observer = stack
    services = [("discovery", build_discovery), ("matcher", build_matcher)]
    async with running(STACK, outputs, observer, services) as pipe:
        yield pipe


async def test_the_primary_region_healthy_again_yields_a_failback_plan(
    pipeline: Pipeline, alarm: str
) -> None:
    seeded = {s.source_server_id: s for s in fresh(FAILED_OVER_RENAMED).servers}
    window = AlarmEventWindow(f"{STACK}-alarm", [alarm])

    await asyncio.to_thread(outage_then_recovery, alarm)

    _, recovered = await asyncio.to_thread(window.take, 2)
    request_id = f"alarm-{recovered['id']}"
    (plan,) = await pipeline.matched(request_id)
    assert plan.spec.plan_only
    assert plan.spec.requested_by == f"alarm:{alarm}"
    assert len(plan.match_hash) == 64
    assert (len(plan.unmatched), len(plan.ambiguous)) == (0, 0)
    assert {p.server.source_server_id for p in plan.pairs} == set(seeded)
    for pair in plan.pairs:
        assert pair.method == "lineage"
        assert pair.target is not None
        assert pair.target.instance_id == seeded[pair.server.source_server_id].original_instance_id
        assert (pair.target.account_id, pair.target.region) == (HUB, PRIMARY)
