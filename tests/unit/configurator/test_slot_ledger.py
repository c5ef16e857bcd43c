"""Two failbacks in one account and region share its replication slots through the slot
ledger: a slot given to one request and not used yet is counted by every other, a ledger
write that another request overtook counts again, a slot given before a crash is neither
lost nor given twice, and settled or expired reservations hold nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from drsorch.configurator.pipeline.admit import admit, return_slots
from drsorch.configurator.records import PairRecord
from drsorch.contracts import ConfigurationResult
from support.configurator_scenario import HUB, PRIMARY
from support.pipeline_fakes import World, configured, record

QUOTA = 10  # the World's quota
OUTSIDE = 3
FREE = QUOTA - OUTSIDE


async def step(
    world: World, request_id: str, records: Sequence[PairRecord]
) -> tuple[list[PairRecord], list[PairRecord]]:
    """One step of the request's pipeline: its records after it, and the pairs given slots."""
    request = world.made or world.request()
    world.made = request
    records = list(records)
    await world.store.save_pairs(request_id, records)
    unsettled = [r for r in records if r.result is None]
    return await admit(
        request_id, request, world.deps, world.clock.now(), records, unsettled=unsettled
    )


def given(world: World, request_id: str) -> set[str]:
    return {r.server_id for r in world.ledger.held() if r.request_id == request_id}


async def test_a_second_failback_counts_the_slots_the_first_was_given_and_has_not_used() -> None:
    world = World()
    world.fake.outside(OUTSIDE)
    _, first = await step(world, "req-a", [record(1) for _ in range(FREE)])
    assert len(first) == FREE
    # None of the first request's FAILBACK servers replicates yet: DRS alone shows FREE
    # free slots, but every one of them is given.
    _, second = await step(world, "req-b", [record(1) for _ in range(FREE)])
    assert second == []
    assert given(world, "req-a") == {r.server_id for r in first}
    assert given(world, "req-b") == set()
    held = [r for r in await world.store.pairs("req-b") if r.slot_waiting]
    assert len(held) == FREE
    assert all("held outside this request" in (r.waiting or "") for r in held)


async def test_a_ledger_write_another_request_overtook_counts_again() -> None:
    world = World()
    world.fake.outside(OUTSIDE)
    theirs = [record(1) for _ in range(4)]
    got: list[PairRecord] = []

    async def overtake() -> None:
        _, going = await step(world, "req-b", theirs)
        got.extend(going)

    world.ledger.before_write = overtake
    _, ours = await step(world, "req-a", [record(1) for _ in range(FREE)])
    assert world.ledger.conflicts == 1
    assert len(got) == 4
    assert len(ours) == FREE - 4
    assert len(world.ledger.held()) == FREE


async def test_a_slot_given_before_a_crash_is_the_same_pair_s_after_it() -> None:
    world = World()
    world.fake.outside(OUTSIDE)
    records = [record(1) for _ in range(FREE + 2)]
    request = world.request()
    world.made = request
    await world.store.save_pairs("req-a", records)
    saved = world.store.save_pairs

    async def crash(request_id: str, pairs: Sequence[PairRecord]) -> None:
        raise RuntimeError("the configurator stopped after the ledger write")

    world.store.save_pairs = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await admit("req-a", request, world.deps, world.clock.now(), records, unsettled=records)
    world.store.save_pairs = saved  # type: ignore[method-assign]
    taken = given(world, "req-a")
    assert len(taken) == FREE
    # The redelivered step: the pairs the ledger names get their slot, and no other pair
    # (of this request or another) gets one.
    again = await world.store.pairs("req-a")
    assert all(r.admitted_at is None for r in again)
    _, going = await step(world, "req-a", again)
    assert {r.server_id for r in going} == taken
    assert given(world, "req-a") == taken
    _, theirs = await step(world, "req-b", [record(1) for _ in range(3)])
    assert theirs == []


async def test_settled_pairs_give_their_reservation_back() -> None:
    world = World()
    world.fake.outside(OUTSIDE)
    mine, going = await step(world, "req-a", [record(1) for _ in range(FREE)])
    assert len(going) == FREE
    # Three started reverse replication and were configured: DRS counts them now.
    now = world.clock.now()
    done = {r.server_id: configured(r, world.fake, now) for r in going[:3]}
    settled = [done.get(r.server_id, r) for r in mine]
    assert world.made is not None
    await return_slots("req-a", world.made, world.deps, list(done.values()))
    assert given(world, "req-a") == {r.server_id for r in going[3:]}
    # Still FREE slots taken in all: three by DRS's count, the rest by the ledger.
    _, theirs = await step(world, "req-b", [record(1) for _ in range(2)])
    assert theirs == []
    # A rejected pair never replicates: its slot goes back, and another request gets it.
    refused = ConfigurationResult(
        source_server_id=settled[3].server_id,
        account_id=HUB,
        launch_region=PRIMARY,
        outcome="rejected",
        reason="its target is running",
    )
    rejected = settled[3].model_copy(update={"result": refused})
    await return_slots("req-a", world.made, world.deps, [rejected])
    world.made = None
    _, theirs = await step(world, "req-b", await world.store.pairs("req-b"))
    assert len(theirs) == 1


async def test_a_reservation_whose_server_replicates_is_counted_once() -> None:
    world = World()
    world.fake.outside(OUTSIDE)
    _, going = await step(world, "req-a", [record(1) for _ in range(4)])
    for item in going:
        world.fake.replicate(item, f"s-{item.server_id[2:]}")
    _, theirs = await step(world, "req-b", [record(1) for _ in range(FREE)])
    assert len(theirs) == FREE - 4


async def test_an_expired_reservation_of_a_stopped_request_holds_nothing() -> None:
    world = World()
    world.fake.outside(OUTSIDE)
    _, going = await step(world, "req-a", [record(1) for _ in range(FREE)])
    [expiry] = {r.expires_at for r in world.ledger.held()}
    assert expiry == world.clock.now() + timedelta(seconds=2 * 600)
    world.clock.advance(2 * 600 + 1)
    _, theirs = await step(world, "req-b", [record(1) for _ in range(FREE)])
    assert len(theirs) == FREE
    assert {r.request_id for r in world.ledger.held()} == {"req-b"}
    assert not given(world, "req-a") & {r.server_id for r in going}
