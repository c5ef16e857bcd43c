"""The matcher worker on the local endpoint: ServersDiscovered in, PairsMatched out.

The template is deployed as its own stack; the matcher runs in-process with `serve`
against it, over HTTP, with its real DynamoDB table. The test publishes discovery's
events itself and drains the configurator's queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from drsorch.contracts import Envelope, Event, JobCompleted, PairsMatched, ServerLaunch
from drsorch.local.deploy import StackOutputs
from drsorch.local.server import LocalEndpoint
from drsorch.matcher.bootstrap import NAME, build
from drsorch.runtime import RuntimeSettings, serve
from support.aws import client, deploy, wait_for
from support.matcher_builders import (
    HUB,
    RECOVERY,
    discovered,
    iid,
    server,
    sid,
    spec,
    target,
)
from support.matcher_drain import pairs_matched
from support.producers import publish_as_producers

pytestmark = pytest.mark.integration

STACK = "x4match"


@pytest.fixture(scope="module")
def topology(endpoint: LocalEndpoint) -> StackOutputs:
    return deploy(STACK, MaxReceiveCount=3, VisibilityTimeoutSeconds=30)


@pytest.fixture
async def worker(topology: StackOutputs) -> AsyncIterator[None]:
    stop = asyncio.Event()
    settings = RuntimeSettings(stack_name=STACK, wait_seconds=1, retry_base_seconds=0, pollers=2)
    task = asyncio.create_task(serve(NAME, build, stop, settings))
    yield
    stop.set()
    await asyncio.wait_for(task, timeout=20)


async def publish(topology: StackOutputs, envelopes: list[Envelope[Event]]) -> None:
    await publish_as_producers(topology, envelopes)


async def matched(topology: StackOutputs, request_id: str) -> list[PairsMatched]:
    return await asyncio.to_thread(pairs_matched, topology.configurator.queue_url, request_id)


async def test_a_failback_is_paired_by_lineage_and_name_through_the_worker(
    worker: None, topology: StackOutputs
) -> None:
    servers = [
        server(1, "app01", origin_instance_id=iid(1)),
        server(2, "APP02 ", origin_instance_id=iid(2)),
        server(3, "db01"),
    ]
    targets = [target(1, "renamed-since-failover"), target(2, "app02"), target(3, "DB01 -dr")]
    await publish(topology, discovered(spec(), servers, targets, request_id="req-x4match-0001"))
    [event] = await matched(topology, "req-x4match-0001")
    got = {
        p.server.source_server_id: (p.target and p.target.instance_id, p.method)
        for p in event.pairs
    }
    assert got == {
        sid(1): (iid(1), "lineage"),
        sid(2): (iid(2), "lineage"),
        sid(3): (iid(3), "name"),
    }
    assert len(event.match_hash) == 64


async def test_a_thousand_servers_arrive_in_chunks_and_leave_in_chunks(
    worker: None, topology: StackOutputs
) -> None:
    servers = [server(n, f"web-{n:04d}", origin_instance_id=iid(n)) for n in range(1000)]
    targets = [target(n, f"web-{n:04d}") for n in range(1000)]
    chunks = discovered(spec(), servers, targets, request_id="req-x4match-1000")
    assert len(chunks) > 1
    assert all(len(c.to_json()) < 256 * 1024 for c in chunks)
    await publish(topology, chunks)
    events = await matched(topology, "req-x4match-1000")
    count = events[0].chunk.count
    assert count > 1 and [e.chunk.index for e in events] == list(range(count))
    pairs = [p for e in events for p in e.pairs]
    assert len(pairs) == 1000
    assert {p.server.source_server_id: p.target.instance_id for p in pairs if p.target} == {
        sid(n): iid(n) for n in range(1000)
    }
    assert len({e.match_hash for e in events}) == 1


async def test_a_failback_finds_originals_through_the_pairs_its_failover_kept(
    worker: None, topology: StackOutputs
) -> None:
    failover = [server(n, f"app{n:02d}", origin_instance_id=iid(n)) for n in (21, 22)]
    prepared = [target(100 + n, f"APP{n:02d} -dr", region=RECOVERY) for n in (21, 22)]
    await publish(
        topology, discovered(spec("failover"), failover, prepared, request_id="req-x4match-fo01")
    )
    [event] = await matched(topology, "req-x4match-fo01")
    assert {p.target.instance_id for p in event.pairs if p.target} == {iid(121), iid(122)}
    # Planned is not landed: nothing is kept until the monitor proves the landings.
    assert stored(topology, sid(21)) is False
    landings = tuple(
        ServerLaunch(
            source_server_id=sid(n),
            launch_status="LAUNCHED",
            ec2_instance_id=iid(100 + n),
            expected_instance_id=iid(100 + n),
            launched_into_expected=True,
        )
        for n in (21, 22)
    )
    job = JobCompleted(
        job_id="drsjob-00000000000000021",
        account_id=HUB,
        region=RECOVERY,
        wave=0,
        batch_index=0,
        servers=landings,
    )
    await publish(
        topology,
        [Envelope.wrap(job, request_id="req-x4match-fo01", step="job-0", producer="monitor")],
    )
    await asyncio.to_thread(wait_for, lambda: stored(topology, sid(22)))

    # After the failover DRS has lost awsInstanceID (say, the servers were re-added);
    # each server's recovery instance is the instance it was launched into.
    back = [server(n, f"app{n:02d}", recovery_ec2=iid(100 + n)) for n in (21, 22)]
    originals = [target(n, f"renamed-{n}") for n in (21, 22)]
    await publish(topology, discovered(spec(), back, originals, request_id="req-x4match-fb01"))
    [event] = await matched(topology, "req-x4match-fb01")
    assert {
        (p.server.source_server_id, p.target and p.target.instance_id, p.method)
        for p in event.pairs
    } == {
        (sid(21), iid(21), "lineage"),
        (sid(22), iid(22), "lineage"),
    }
    assert all(any("stored by drsorch" in e for e in p.evidence) for p in event.pairs)


def stored(topology: StackOutputs, server_id: str) -> bool:
    """Does the matcher's table hold a failover pair for `server_id`?"""
    item = client("dynamodb").get_item(
        TableName=topology.matcher.table_name,
        Key={"pk": {"S": f"failover#server#{HUB}#{server_id}"}, "sk": {"S": "latest"}},
        ConsistentRead=True,
    )
    return "Item" in item


async def test_ambiguous_and_unmatched_servers_are_reported_never_paired(
    worker: None, topology: StackOutputs
) -> None:
    servers = [server(31, "db01"), server(32, "payments"), server(33, "web01"), server(34, "WEB01")]
    targets = [
        target(31, "db01", region=RECOVERY),
        target(32, "DB01-dr", region=RECOVERY),
        target(33, "web01", region=RECOVERY),
        target(35, "PAYMNETS", region=RECOVERY),
    ]
    request = spec("failover", launch_into="required")
    await publish(topology, discovered(request, servers, targets, request_id="req-x4match-amb1"))
    [event] = await matched(topology, "req-x4match-amb1")
    assert event.pairs == ()
    [ambiguous] = event.ambiguous
    assert ambiguous.server.source_server_id == sid(31)
    assert set(ambiguous.candidate_instance_ids) == {iid(31), iid(32)}
    reasons = {u.server.source_server_id: u.reason for u in event.unmatched}
    assert set(reasons) == {sid(32), sid(33), sid(34)}
    assert reasons[sid(33)].startswith("ambiguous:") and reasons[sid(34)].startswith("ambiguous:")
    assert [(s.source_server_id, s.target_instance_id) for s in event.suggestions] == [
        (sid(32), iid(35))
    ]
