"""The discovery handlers against fakes of every port: results, chunks, accounts, conflicts."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from drsorch.cli.follow import request_envelope
from drsorch.contracts import (
    EVENTS,
    Envelope,
    Event,
    RequestCompleted,
    RequestSpec,
    ServersDiscovered,
    Spoke,
)
from drsorch.discovery.assessment import AccountReading, Findings, assess
from drsorch.discovery.handlers import Discovery, claim_lifetime
from drsorch.discovery.results import chunks
from drsorch.runtime import Outbox
from support.discovery_fakes import (
    HUB,
    NOW,
    PRIMARY,
    RECOVERY,
    SPOKE,
    MemoryRepository,
    World,
    instance,
    instance_id,
    recovery_instance,
    request_spec,
    server_id,
    source_server,
)

SNS_LIMIT = 256 * 1024


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def request(spec: RequestSpec, request_id: str = "req-0000001") -> Envelope[Event]:
    return request_envelope(spec, request_id)


def discovered(outbox: Outbox) -> list[ServersDiscovered]:
    results = [e.payload for e in outbox.events]
    assert all(isinstance(r, ServersDiscovered) for r in results)
    return results  # type: ignore[return-value]


def shop(world: World, count: int, account: str = HUB) -> None:
    region = world.region(account, RECOVERY)
    for n in range(1, count + 1):
        region.servers.append(source_server(n, account=account, app="shop", Name=f"shop-{n:04d}"))
        region.instances.append(
            instance(5000 + n, account=account, region=RECOVERY, Name=f"shop-{n:04d}-dr")
        )


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def service(world: World) -> Discovery:
    return Discovery(access=world, repository=MemoryRepository(), clock=Clock())


async def handle(service: Discovery, envelope: Envelope[Event]) -> Outbox:
    outbox = Outbox()
    await service.handlers()[envelope.type](envelope, outbox)
    return outbox


async def test_a_failover_request_publishes_servers_targets_and_what_drs_was_asked(
    world: World, service: Discovery
) -> None:
    shop(world, 3)
    envelope = request(request_spec())
    outbox = await handle(service, envelope)
    (result,) = discovered(outbox)
    assert [s.source_server_id for s in result.servers] == [server_id(n) for n in (1, 2, 3)]
    assert [t.name for t in result.targets] == ["shop-0001-dr", "shop-0002-dr", "shop-0003-dr"]
    assert result.api_calls == {
        "DescribeJobs": 1,
        "DescribeRecoveryInstances": 1,
        "DescribeSourceServers": 1,
    }
    published = outbox.events[0]
    assert published.causation_id == envelope.event_id
    assert published.request_id == envelope.request_id
    assert EVENTS.parse(published.to_json()) == published  # valid on the wire


async def test_one_record_drs_reports_out_of_range_is_one_named_problem(
    world: World, service: Discovery
) -> None:
    shop(world, 3)
    region = world.region(HUB, RECOVERY)
    # Stalled for more than a year: a lag drsorch's contract does not carry.
    region.servers[1] = dataclasses.replace(region.servers[1], lag_seconds=40_000_000)
    (result,) = discovered(await handle(service, request(request_spec())))
    assert [s.source_server_id for s in result.servers] == [server_id(1), server_id(3)]
    [problem] = [p for p in result.problems if p.kind == "record_invalid"]
    assert problem.source_server_id == server_id(2)
    assert "lag_seconds" in problem.reason and "left out" in problem.reason


async def test_an_origin_drs_allows_but_drsorch_cannot_carry_is_one_named_problem(
    world: World, service: Discovery
) -> None:
    region = world.region(HUB, RECOVERY)
    for n in (1, 2):
        region.servers.append(source_server(n, app="shop"))
        region.recovery_instances.append(recovery_instance(n, 100 + n))
    # DRS's pattern for an awsInstanceID is `i-` and 8 or more hex digits.
    longest = "i-" + "0" * 40
    region.servers[0] = dataclasses.replace(region.servers[0], origin_instance_id=longest)
    (result,) = discovered(await handle(service, request(request_spec("failback"))))
    assert [s.source_server_id for s in result.servers] == [server_id(2)]
    [problem] = [p for p in result.problems if p.kind == "record_invalid"]
    assert problem.source_server_id == server_id(1) and "left out" in problem.reason


async def test_an_out_of_scope_recovery_instance_off_its_pattern_is_not_fatal(
    world: World, service: Discovery
) -> None:
    region = world.region(HUB, RECOVERY)
    for n in (1, 2):
        region.servers.append(source_server(n, app="shop"))
        region.recovery_instances.append(recovery_instance(n, 100 + n))
    region.servers.append(source_server(3, app="other"))
    odd = dataclasses.replace(recovery_instance(3, 103), ec2_instance_id="!")
    region.recovery_instances.append(odd)
    (result,) = discovered(await handle(service, request(request_spec("failback"))))
    # The request goes on; the claim protects no candidate target, so it is no problem.
    assert [s.source_server_id for s in result.servers] == [server_id(1), server_id(2)]
    assert all(p.source_server_id != server_id(3) for p in result.problems)


async def test_one_instance_ec2_reports_out_of_range_is_no_target_and_blocks_nobody(
    world: World, service: Discovery
) -> None:
    shop(world, 2)
    region = world.region(HUB, RECOVERY)
    bad = region.instances.pop(0)
    region.refused.append((bad.instance_id, "tags.k[key]: String should have at most 128"))
    (result,) = discovered(await handle(service, request(request_spec())))
    assert [s.source_server_id for s in result.servers] == [server_id(1), server_id(2)]
    [problem] = [p for p in result.problems if p.kind == "record_invalid"]
    assert bad.instance_id in problem.reason and "out of range" in problem.reason
    # The instance is no target; the account and its servers are not left out for it.
    assert problem.blocking is False


async def test_a_redelivered_request_republishes_the_snapshot_without_asking_drs_again(
    world: World, service: Discovery
) -> None:
    shop(world, 2)
    envelope = request(request_spec())
    first = await handle(service, envelope)
    reads = len(world.drs_reads)
    world.region(HUB, RECOVERY).servers.append(source_server(9, app="shop"))  # estate moved on
    again = await handle(service, envelope)
    assert len(world.drs_reads) == reads
    assert [e.event_id for e in again.events] == [e.event_id for e in first.events]


async def test_an_unreachable_spoke_is_a_problem_and_the_hub_is_still_discovered(
    world: World, service: Discovery
) -> None:
    shop(world, 2)
    world.unreachable.add(SPOKE)
    spec = request_spec(spokes=[Spoke(account_id=SPOKE, role_name="drsorch-spoke")])
    (result,) = discovered(await handle(service, request(spec)))
    assert len(result.servers) == 2
    (problem,) = result.problems
    assert (problem.kind, problem.account_id, problem.blocking) == (
        "account_unreachable",
        SPOKE,
        True,
    )
    assert problem.source_server_id is None
    assert "AccessDenied" in problem.reason


async def test_a_region_without_drs_is_reported_for_that_account(
    world: World, service: Discovery
) -> None:
    shop(world, 1, account=SPOKE)
    world.uninitialized.add((SPOKE, PRIMARY))
    spec = request_spec("failback", spokes=[Spoke(account_id=SPOKE)])
    (result,) = discovered(await handle(service, request(spec)))
    kinds = {(p.kind, p.account_id, p.region) for p in result.problems}
    assert ("drs_not_initialized", SPOKE, PRIMARY) in kinds


async def test_a_failing_drs_call_is_retried_whole_and_nothing_is_kept_or_sent(
    world: World, service: Discovery
) -> None:
    shop(world, 2)
    world.failing.add("DescribeJobs")
    envelope = request(request_spec())
    outbox = Outbox()
    with pytest.raises(ConnectionError, match="DescribeJobs"):
        await service.handlers()[envelope.type](envelope, outbox)
    assert outbox.events == []
    assert isinstance(service.repository, MemoryRepository)
    assert service.repository.snapshots == {} and service.repository.claims == {}
    world.failing.clear()  # the runtime delivers the request again
    (result,) = discovered(await handle(service, envelope))
    assert len(result.servers) == 2


async def test_ids_nobody_has_are_named_as_not_found(world: World, service: Discovery) -> None:
    shop(world, 2)
    spec = request_spec(ids=[server_id(2), server_id(77)])
    (result,) = discovered(await handle(service, request(spec)))
    assert [s.source_server_id for s in result.servers] == [server_id(2)]
    (problem,) = result.problems
    assert (problem.kind, problem.source_server_id) == ("server_not_found", server_id(77))


async def test_a_second_request_over_the_same_servers_is_told_they_are_held(
    world: World, service: Discovery
) -> None:
    shop(world, 2)
    await handle(service, request(request_spec(), "req-first-01"))
    (second,) = discovered(
        await handle(service, request(request_spec(selector={"Name": "shop-0002"}), "req-second-1"))
    )
    (problem,) = second.problems
    assert (problem.kind, problem.source_server_id, problem.blocking) == (
        "busy_in_request",
        server_id(2),
        True,
    )
    assert "req-first-01" in problem.reason


async def test_a_completed_request_frees_its_servers(world: World, service: Discovery) -> None:
    shop(world, 2)
    await handle(service, request(request_spec(), "req-first-01"))
    done = RequestCompleted(
        status="SUCCEEDED", operation="failover", drill=False, started_at=NOW, ended_at=NOW
    )
    await handle(
        service, Envelope.wrap(done, request_id="req-first-01", step="done", producer="monitor")
    )
    (second,) = discovered(await handle(service, request(request_spec(), "req-second-1")))
    assert second.problems == ()


async def test_a_claim_expires_after_the_requests_own_time_limits(
    world: World, service: Discovery
) -> None:
    shop(world, 1)
    await handle(service, request(request_spec(), "req-first-01"))
    assert isinstance(service.clock, Clock)
    service.clock.now = NOW + claim_lifetime(request_spec(), waves=1) + timedelta(seconds=1)
    (second,) = discovered(await handle(service, request(request_spec(), "req-second-1")))
    assert second.problems == ()


async def test_a_plan_only_request_holds_nothing_but_sees_what_others_hold(
    world: World, service: Discovery
) -> None:
    shop(world, 2)
    await handle(service, request(request_spec(plan_only=True), "req-plan-001"))
    (apply,) = discovered(await handle(service, request(request_spec(), "req-apply-01")))
    assert apply.problems == ()
    (plan,) = discovered(
        await handle(service, request(request_spec(plan_only=True), "req-plan-002"))
    )
    assert {p.kind for p in plan.problems} == {"busy_in_request"}


async def test_servers_with_a_blocking_problem_are_not_held(
    world: World, service: Discovery
) -> None:
    shop(world, 1)
    world.region(HUB, RECOVERY).servers.append(source_server(2, app="shop", state="DISCONNECTED"))
    await handle(service, request(request_spec(), "req-first-01"))
    assert isinstance(service.repository, MemoryRepository)
    assert [key[2] for key in service.repository.claims] == [server_id(1)]


async def test_a_spoke_without_a_role_uses_what_the_request_gives(
    world: World, service: Discovery
) -> None:
    spoke = Spoke(account_id=SPOKE, role_name="drsorch-spoke", external_id="ext-1")
    await handle(service, request(request_spec(spokes=[spoke])))
    assert spoke in world.spokes_seen and None in world.spokes_seen


async def test_a_thousand_server_failback_is_split_under_the_message_limit(
    world: World, service: Discovery
) -> None:
    region = world.region(HUB, RECOVERY)
    for n in range(1, 1001):
        region.servers.append(
            source_server(n, app="shop", Name=f"shop-{n:04d}", dr__wave=str(n % 10))
        )
        region.recovery_instances.append(recovery_instance(n, 10_000 + n))
        world.region(HUB, PRIMARY).instances.append(instance(n, Name=f"shop-{n:04d}", app="shop"))
    envelope = request(request_spec("failback"))
    outbox = await handle(service, envelope)
    results = discovered(outbox)
    assert len(results) > 1
    assert [r.chunk.index for r in results] == list(range(len(results)))
    assert {r.chunk.count for r in results} == {len(results)}
    assert sum(len(r.servers) for r in results) == 1000
    assert sum(len(r.targets) for r in results) == 1000
    assert all(len(e.to_json().encode()) < SNS_LIMIT * 0.8 for e in outbox.events)
    assert sum(bool(r.api_calls) for r in results) == 1  # counted once, in the first chunk
    assert len({e.event_id for e in outbox.events}) == len(results)


def test_the_same_findings_always_split_the_same_way() -> None:
    servers = [source_server(n, app="shop") for n in range(1, 50)]
    spec = request_spec()
    findings = assess(spec, AccountReading(HUB, servers))
    reversed_findings = Findings(list(reversed(findings.servers)), [], [])
    small = 4000
    assert chunks(spec, findings, {}, budget=small) == chunks(
        spec, reversed_findings, {}, budget=small
    )


async def test_an_out_of_scope_server_claims_its_original_in_another_account_of_the_request(
    world: World, service: Discovery
) -> None:
    # Failback over hub and spoke: the hub's out-of-scope server 7 replicates an instance
    # that lives in the spoke, next to the spoke's in-scope server with the same Name.
    hub, spoke = world.region(HUB, RECOVERY), world.region(SPOKE, RECOVERY)
    foreign = dataclasses.replace(
        source_server(7, app="billing", Name="app01"), origin_account_id=SPOKE
    )
    hub.servers.append(foreign)
    spoke.servers.append(source_server(2, account=SPOKE, origin=99, app="shop", Name="app01"))
    world.region(SPOKE, PRIMARY).instances.append(
        instance(7, account=SPOKE, region=PRIMARY, Name="app01")
    )
    spec = request_spec("failback", spokes=[Spoke(account_id=SPOKE)])
    (result,) = discovered(await handle(service, request(spec)))
    assert [(c.instance_id, c.source_server_id) for c in result.claims] == [
        (instance_id(7), server_id(7))
    ]
