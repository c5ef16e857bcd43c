"""The failback pipeline: reverse replication only into free replication slots, earlier waves
first; a slot freed only by stopping the FAILBACK server of a server DRS shows landed."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest

from drsorch.configurator.advance import target_configured
from drsorch.configurator.pipeline.admit import admit
from drsorch.configurator.pipeline.plan import pipeline, plan_slots
from drsorch.configurator.records import PairRecord
from drsorch.contracts import ConfigurationResult, RequestOptions
from support.configurator_scenario import HUB, PRIMARY
from support.pipeline_fakes import BEGAN, World, configured, record


async def step(
    world: World, records: list[PairRecord], **spec: object
) -> tuple[list[PairRecord], list[PairRecord]]:
    request = world.made or world.request(**spec)
    world.made = request
    await world.store.save_pairs("req", records)
    unsettled = [r for r in records if r.result is None]
    return await admit("req", request, world.deps, world.clock.now(), records, unsettled=unsettled)


async def test_only_free_slots_are_given_earlier_waves_first_outside_servers_counted() -> None:
    world = World()
    world.fake.outside(3)  # quota 10: seven free
    records = [record(wave) for wave in (3, 2, 1, 1, 2, 3, 1, 2, 3, 1, 2, 3)]
    _, going = await step(world, records)
    assert len(going) == 7
    assert sorted(r.pair.server.wave for r in going) == [1, 1, 1, 1, 2, 2, 2]
    held = [r for r in await world.store.pairs("req") if r.slot_waiting]
    assert len(held) == 5 and all(r.admitted_at is None for r in held)
    assert all("waiting for a replication slot" in (r.waiting or "") for r in held)
    assert world.fake.stopped == []


async def test_a_slot_given_and_not_used_yet_is_not_given_twice() -> None:
    world = World()
    records = [record(1) for _ in range(12)]
    _, first = await step(world, records)
    assert len(first) == 10
    again = await world.store.pairs("req")
    # Reverse replication has not started for the ten yet (an initializing recovery
    # instance): their slots stay theirs.
    _, second = await step(world, again)
    assert {r.server_id for r in second} == {r.server_id for r in first}


async def test_a_landed_server_frees_its_slot_for_the_next_one() -> None:
    world = World()
    now = world.clock.now()
    done = [configured(record(1), world.fake, now) for _ in range(10)]
    world.fake.land(done[0])
    world.fake.land(done[1])
    waiting = [record(2) for _ in range(3)]
    _, going = await step(world, done + waiting)
    back = [r.result.launching_server_id for r in done[:2] if r.result]
    assert world.fake.stopped == back
    assert [r.server_id for r in going] == sorted(r.server_id for r in waiting)[:2]
    kept = {r.server_id: r for r in await world.store.pairs("req")}
    for item in done[:2]:
        release = kept[item.server_id].release
        assert release is not None and release.done
        assert "COMPLETED, LAUNCHED" in release.proof and "is running" in release.proof


@pytest.mark.parametrize(
    "unlanded",
    [
        "launch failed",
        "job still running",
        "landed elsewhere",
        "instance gone",
        "an earlier round trip's landing",
        "replication start unknown",
    ],
)
async def test_a_server_that_has_not_landed_keeps_its_slot(unlanded: str) -> None:
    world = World()
    now = world.clock.now()
    done = [configured(record(1), world.fake, now) for _ in range(10)]
    if unlanded == "an earlier round trip's landing":
        # DRS still lists the launch of an earlier failback into the same original, never
        # retired; the original is stopped again, as a launch-into target must be. This
        # failback has not launched yet.
        world.fake.land(done[0], created=BEGAN - timedelta(days=40), state="stopped")
    else:
        status = "FAILED" if unlanded == "launch failed" else "LAUNCHED"
        world.fake.land(done[0], launch_status=status)
    if unlanded == "replication start unknown":
        world.fake.held = [replace(h, replicating_since=None) for h in world.fake.held]
    [instance] = world.fake.launched
    job = world.fake.jobs_by_id[instance.job_id or ""]
    if unlanded == "job still running":
        world.fake.jobs_by_id[job.job_id] = job.__class__(job.job_id, "STARTED", job.launched)
    if unlanded == "landed elsewhere":
        world.fake.launched = [
            instance.__class__(**{**instance.__dict__, "ec2_instance_id": "i-0"})
        ]
        world.fake.states["i-0"] = "running"
    if unlanded == "instance gone":
        world.fake.states[instance.ec2_instance_id or ""] = "terminated"
    _, going = await step(world, [*done, record(2)])
    assert world.fake.stopped == []
    assert going == []


async def test_the_intent_is_kept_before_the_call_and_finished_after_a_crash() -> None:
    world = World()
    now = world.clock.now()
    done = [configured(record(1), world.fake, now) for _ in range(10)]
    world.fake.land(done[0])
    world.fake.fail_stop = True
    with pytest.raises(RuntimeError):
        await step(world, [*done, record(2)])
    kept = {r.server_id: r for r in await world.store.pairs("req")}
    intent = kept[done[0].server_id].release
    assert intent is not None and not intent.done  # written before the call
    world.fake.fail_stop = False
    _, going = await step(world, list(kept.values()))
    assert world.fake.stopped == [intent.failback_server_id]
    finished = {r.server_id: r for r in await world.store.pairs("req")}[done[0].server_id]
    assert finished.release is not None and finished.release.done
    assert len(going) == 1


async def test_the_slot_limit_is_respected_below_the_quota() -> None:
    world = World()
    world.settings = world.settings.model_copy(update={"failback_slots": 4})
    world.fake.outside(2)
    _, going = await step(world, [record(1) for _ in range(9)])
    assert len(going) == 4


async def test_the_request_s_slot_limit_is_respected() -> None:
    world = World()
    world.fake.outside(2)
    options = RequestOptions(failback_slots=3)
    _, going = await step(world, [record(1) for _ in range(9)], options=options)
    assert len(going) == 3


async def test_no_slot_at_all_is_said_and_held_pairs_are_rejected_once_nothing_moves() -> None:
    world = World()
    world.fake.outside(10)
    _, going = await step(world, [record(1), record(2)])
    assert going == []
    held = await world.store.pairs("req")
    assert all("no replication slot" in (r.waiting or "") for r in held)
    world.clock.advance(601)
    await step(world, held)
    rejected = await world.store.pairs("req")
    assert all(r.result is not None and r.result.outcome == "rejected" for r in rejected)
    assert all(
        "no replication slot was freed" in (r.result.reason or "") for r in rejected if r.result
    )


async def test_plans_and_failovers_are_not_held() -> None:
    for spec in ({"plan_only": True}, {"operation": "failover"}):
        world = World()
        world.fake.outside(10)
        records = [record(1) for _ in range(3)]
        _, going = await step(world, records, **spec)
        assert going == records
        assert world.fake.calls == {}


def planned(item: PairRecord) -> PairRecord:
    """The pair as the read-only pass plans it: reverse replication, then a launch."""
    assert item.pair.target is not None
    result = ConfigurationResult(
        source_server_id=item.server_id,
        account_id=HUB,
        launch_region=PRIMARY,
        target_instance_id=item.pair.target.instance_id,
        outcome="planned",
        reason="would start reverse replication",
    )
    return item.model_copy(update={"planned": result})


async def test_the_plan_says_each_server_s_slot_round() -> None:
    world = World()
    world.fake.outside(4)  # quota 10: six slots
    records = [planned(record(wave)) for wave in (1, 1, 1, 2, 2, 2, 2, 3)]
    request = world.request()
    shown = await plan_slots(
        "req", request, world.deps, records, new={r.server_id for r in records}
    )
    reasons = {r.server_id: r.planned.reason or "" for r in shown if r.planned}
    assert all("6 replication slots" in why for why in reasons.values())
    assert all("4 held outside the request" in why for why in reasons.values())
    rounds = Counter(why.split("slot round ")[1].split(" ")[0] for why in reasons.values())
    assert rounds == {"1": 6, "2": 2}
    assert all(r.planned and r.planned.outcome == "planned" for r in shown)


async def test_the_plan_names_the_servers_that_cannot_be_placed() -> None:
    world = World()
    world.fake.outside(10)
    records = [planned(record(1)) for _ in range(3)]
    request = world.request()
    shown = await plan_slots(
        "req", request, world.deps, records, new={r.server_id for r in records}
    )
    assert all(r.planned and r.planned.outcome == "rejected" for r in shown)
    assert all("cannot be placed" in (r.planned.reason or "") for r in shown if r.planned)
    assert {r.server_id for r in await world.store.pairs("req")} == {r.server_id for r in records}


async def test_the_plan_s_pipeline_is_a_typed_count_per_place() -> None:
    world = World()
    world.fake.outside(4)  # quota 10: six slots
    records = [planned(record(wave)) for wave in (1, 1, 1, 2, 2, 2, 2, 3)]
    request = world.request(options=RequestOptions(assumed_sync_seconds=600))
    shown = await plan_slots(
        "req", request, world.deps, records, new={r.server_id for r in records}
    )
    [place] = pipeline(request.spec, shown)
    assert (place.account_id, place.region) == (HUB, PRIMARY)
    assert (place.quota, place.slot_limit, place.replicating_outside) == (10, None, 4)
    assert (place.slots, place.servers, place.batches, place.unplaced) == (6, 8, 2, 0)
    assert (place.assumed_sync_seconds, place.estimate_seconds) == (600, 1200)
    [event] = target_configured(
        [r.planned for r in shown if r.planned], {}, "0" * 64, pipeline(request.spec, shown)
    )
    assert event.pipeline == (place,)


async def test_the_pipeline_counts_the_servers_that_cannot_be_placed() -> None:
    world = World()
    world.fake.outside(10)
    records = [planned(record(1)) for _ in range(3)]
    request = world.request()
    shown = await plan_slots(
        "req", request, world.deps, records, new={r.server_id for r in records}
    )
    [place] = pipeline(request.spec, shown)
    assert (place.slots, place.servers, place.batches, place.unplaced) == (0, 3, 0, 3)
    assert all(r.planned and r.planned.unplaced for r in shown)
