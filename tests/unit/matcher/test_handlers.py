"""The matcher's handler against fakes of its ports: chunks in, plan kept, PairsMatched out."""

from __future__ import annotations

import importlib

import pytest

from drsorch.contracts import (
    EVENTS,
    Envelope,
    Event,
    JobCompleted,
    PairsMatched,
    Problem,
    ServerLaunch,
)
from drsorch.matcher.errors import InconsistentResult
from drsorch.matcher.handlers import Matcher
from drsorch.matcher.records import FailoverPair
from drsorch.runtime import Outbox
from drsorch.runtime.chunks import ChunkAssembler, MemoryChunkStore
from support.matcher_builders import (
    HUB,
    PRIMARY,
    RECOVERY,
    discovered,
    iid,
    server,
    sid,
    spec,
    target,
)
from support.matcher_fakes import FakePlanRepository


def matcher(repository: FakePlanRepository | None = None) -> Matcher:
    return Matcher(repository or FakePlanRepository(), ChunkAssembler(MemoryChunkStore(), EVENTS))


async def handle(m: Matcher, *envelopes: Envelope[Event]) -> list[Envelope[Event]]:
    """Every envelope through the handler; what they published, in order."""
    published: list[Envelope[Event]] = []
    for envelope in envelopes:
        outbox = Outbox()
        await m.on_servers_discovered(envelope, outbox)
        published.extend(outbox.events)
    return published


def payloads(envelopes: list[Envelope[Event]]) -> list[PairsMatched]:
    found = [e.payload for e in envelopes]
    assert all(isinstance(p, PairsMatched) for p in found)
    return [p for p in found if isinstance(p, PairsMatched)]


FAILBACK = [server(1, "app01", origin_instance_id=iid(1)), server(2, "db01")]
FAILBACK_TARGETS = [target(1, "renamed"), target(2, "DB01-dr")]


async def test_a_whole_result_is_matched_kept_and_published() -> None:
    repository = FakePlanRepository()
    [chunk] = discovered(spec(), FAILBACK, FAILBACK_TARGETS)
    published = await handle(matcher(repository), chunk)
    [event] = payloads(published)
    assert {p.server.source_server_id: p.method for p in event.pairs} == {
        sid(1): "lineage",
        sid(2): "name",
    }
    assert published[0].causation_id == chunk.event_id
    assert published[0].request_id == chunk.request_id
    assert published[0].producer == "matcher"
    saved = repository.plans[chunk.request_id]
    assert saved.summary.plan_hash == event.match_hash
    assert saved.decisions == {sid(1): ("pair", iid(1)), sid(2): ("pair", iid(2))}


async def test_nothing_is_published_until_every_chunk_has_arrived() -> None:
    servers = [server(n, f"web-{n:03d}", origin_instance_id=iid(n)) for n in range(60)]
    targets = [target(n, f"web-{n:03d}") for n in range(60)]
    chunks = discovered(spec(), servers, targets, budget=12_000)
    assert len(chunks) >= 3
    m = matcher()
    assert await handle(m, *reversed(chunks[1:])) == []
    published = await handle(m, chunks[0])
    events = payloads(published)
    assert [e.chunk.index for e in events] == list(range(events[0].chunk.count))
    assert sorted(p.server.source_server_id for e in events for p in e.pairs) == [
        sid(n) for n in range(60)
    ]
    assert {e.causation_id for e in published} == {chunks[0].event_id}
    # A retry of the message that completed the set publishes the same events again,
    # with the same IDs, so downstream inboxes drop them; another chunk's repeat does nothing.
    assert [e.event_id for e in await handle(m, chunks[0])] == [e.event_id for e in published]
    assert await handle(m, chunks[1]) == []


async def test_the_same_input_gives_the_same_event_ids_anywhere() -> None:
    first = await handle(matcher(), *discovered(spec(), FAILBACK, FAILBACK_TARGETS))
    second = await handle(matcher(), *discovered(spec(), FAILBACK[::-1], FAILBACK_TARGETS[::-1]))
    assert [e.event_id for e in first] == [e.event_id for e in second]


async def test_a_thousand_servers_leave_in_chunks_under_the_message_limit() -> None:
    servers = [server(n, f"web-{n:04d}", origin_instance_id=iid(n)) for n in range(1000)]
    targets = [target(n, f"web-{n:04d}") for n in range(1000)]
    published = await handle(matcher(), *discovered(spec(), servers, targets))
    assert len(published) > 1
    assert all(len(e.to_json().encode()) < 256 * 1024 - 8 * 1024 for e in published)
    events = payloads(published)
    assert sum(len(e.pairs) for e in events) == 1000
    assert len({e.event_id for e in published}) == len(published)
    assert {e.match_hash for e in events} == {events[0].match_hash}


async def test_discovery_problems_leave_servers_out_and_travel_on() -> None:
    problems = [
        Problem(
            kind="busy_in_job",
            account_id=HUB,
            region=RECOVERY,
            source_server_id=sid(1),
            reason="in active DRS job drsjob-00000000000000001",
        ),
        Problem(
            kind="lag_too_high",
            account_id=HUB,
            source_server_id=sid(2),
            reason="lag 90 s",
            blocking=False,
        ),
    ]
    [event] = payloads(
        await handle(matcher(), *discovered(spec(), FAILBACK, FAILBACK_TARGETS, problems))
    )
    assert [p.server.source_server_id for p in event.pairs] == [sid(2)]
    [left_out] = event.unmatched
    assert left_out.server.source_server_id == sid(1)
    assert (
        left_out.reason
        == "left out by discovery: busy_in_job: in active DRS job drsjob-00000000000000001"
    )
    assert set(event.problems) == set(problems)
    assert event.api_calls == {"DescribeSourceServers": 1}


async def test_an_unreachable_account_leaves_all_its_servers_out() -> None:
    problem = Problem(
        kind="account_unreachable", account_id=HUB, reason="AccessDenied on AssumeRole"
    )
    [event] = payloads(
        await handle(matcher(), *discovered(spec(), FAILBACK, FAILBACK_TARGETS, [problem]))
    )
    assert event.pairs == ()
    assert {u.reason for u in event.unmatched} == {
        "left out by discovery: account_unreachable: AccessDenied on AssumeRole"
    }


FAILOVER = [server(1, "app01", origin_instance_id=iid(1))]
FAILOVER_TARGETS = [target(10, "APP01 -dr", region=RECOVERY)]


def job_completed(*launches: ServerLaunch) -> Envelope[Event]:
    """The monitor's JobCompleted for this module's request."""
    job = JobCompleted(
        job_id="drsjob-00000000000000001",
        account_id=HUB,
        region=RECOVERY,
        wave=1,
        batch_index=0,
        servers=launches,
    )
    return Envelope.wrap(job, request_id="req-matcher-0001", step="job", producer="monitor")


def landed(server_id: str, instance_id: str, expected: str) -> ServerLaunch:
    return ServerLaunch(
        source_server_id=server_id,
        launch_status="LAUNCHED",
        ec2_instance_id=instance_id,
        expected_instance_id=expected,
        launched_into_expected=instance_id == expected,
    )


async def test_a_failover_keeps_a_pair_only_once_its_landing_is_proven() -> None:
    repository = FakePlanRepository()
    m = matcher(repository)
    await handle(m, *discovered(spec("failover"), FAILOVER, FAILOVER_TARGETS))
    assert repository.by_server == {}  # an apply may yet be refused: nothing is lineage yet
    await m.on_job_completed(job_completed(landed(sid(1), iid(10), iid(10))), Outbox())
    assert repository.by_server == {
        (HUB, sid(1)): FailoverPair(sid(1), HUB, iid(10), iid(1), "req-matcher-0001")
    }


async def test_a_failover_that_landed_elsewhere_keeps_no_pair() -> None:
    repository = FakePlanRepository()
    m = matcher(repository)
    await handle(m, *discovered(spec("failover"), FAILOVER, FAILOVER_TARGETS))
    await m.on_job_completed(job_completed(landed(sid(1), iid(11), iid(10))), Outbox())
    assert repository.by_server == {}


@pytest.mark.parametrize(
    "fields",
    [{"plan_only": True}, {"drill": True}],
    ids=["plan-only", "drill"],
)
async def test_a_failover_that_launches_into_nothing_keeps_no_pairs(
    fields: dict[str, object],
) -> None:
    repository = FakePlanRepository()
    m = matcher(repository)
    await handle(m, *discovered(spec("failover", **fields), FAILOVER, FAILOVER_TARGETS))
    # A drill's jobs complete too; a plan-only request's never do, so one claiming to is
    # not believed either.
    await m.on_job_completed(job_completed(landed(sid(1), iid(10), iid(10))), Outbox())
    assert repository.by_server == {}


async def test_failback_finds_the_original_through_the_stored_failover_pair() -> None:
    repository = FakePlanRepository()
    await repository.save_failover_pairs([FailoverPair(sid(1), HUB, iid(10), iid(1), "req-f-0001")])
    # The server's DRS lineage is gone (no awsInstanceID) but its recovery instance is known.
    back = server(1, "app01", recovery_ec2=iid(10))
    [event] = payloads(
        await handle(matcher(repository), *discovered(spec(), [back], [target(1, "x")]))
    )
    [pair] = event.pairs
    assert (pair.target and pair.target.instance_id, pair.method) == (iid(1), "lineage")
    assert pair.recovery_ec2_instance_id == iid(10)
    assert repository.lookups == [([(HUB, sid(1))], [iid(10)])]


async def test_chunks_that_disagree_about_the_request_are_refused() -> None:
    servers = [server(n, f"web-{n:03d}") for n in range(40)]
    first = discovered(spec(), servers, budget=12_000)
    other = discovered(spec(reason="another"), servers, budget=12_000)
    m = matcher()
    with pytest.raises(InconsistentResult, match="different specs"):
        await handle(m, *first[:-1], other[-1])


async def test_an_unreachable_table_fails_the_message_and_publishes_nothing() -> None:
    outbox = Outbox()
    [chunk] = discovered(spec(), FAILBACK, FAILBACK_TARGETS)
    with pytest.raises(ConnectionError):
        await matcher(FakePlanRepository(fail=True)).on_servers_discovered(chunk, outbox)
    assert outbox.events == []


async def test_a_drill_pairs_nothing_into_production_instances() -> None:
    [event] = payloads(
        await handle(matcher(), *discovered(spec(drill=True), FAILBACK, FAILBACK_TARGETS))
    )
    assert [p.target for p in event.pairs] == [None, None]
    assert all(p.evidence[0].startswith("launch-into never") for p in event.pairs)


def test_the_handler_is_registered_for_servers_discovered() -> None:
    assert set(matcher().handlers()) == {"ServersDiscovered", "JobCompleted"}
    assert PRIMARY != RECOVERY


async def test_an_apply_of_an_unchanged_pairing_hashes_as_its_plan_only_request() -> None:
    [planned] = payloads(
        await handle(matcher(), *discovered(spec(plan_only=True), FAILBACK, FAILBACK_TARGETS))
    )
    approved = spec(approved_plan_hash=planned.match_hash)
    [applied] = payloads(await handle(matcher(), *discovered(approved, FAILBACK, FAILBACK_TARGETS)))
    assert applied.match_hash == planned.match_hash


async def test_an_empty_discovery_still_gets_its_answer() -> None:
    [event] = payloads(await handle(matcher(), *discovered(spec())))
    assert (event.pairs, event.unmatched, event.ambiguous) == ((), (), ())
    assert len(event.match_hash) == 64


def test_the_lambda_entry_point_is_a_handler() -> None:
    module = importlib.import_module("drsorch.matcher.lambda_handler")
    assert callable(module.handler)
