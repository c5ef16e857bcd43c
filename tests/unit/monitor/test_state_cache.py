"""A worker keeps a request's state between its runs, and never acts on a stale copy.

Every run claims a new version of the request's records before writing; writers
outside the lease (configuration results, a drill's point in time) move it after
theirs. A copy is used only at the version its own commit wrote.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import replace
from datetime import datetime

from drsorch.contracts import Envelope, Event, RequestCompleted
from drsorch.monitor.cache import StateCache
from drsorch.monitor.handlers import handlers
from drsorch.monitor.session import tick
from drsorch.monitor.timers import MonitorTick, MonitorWake
from drsorch.runtime import Outbox
from support.monitor_builders import Server, envelopes, servers, spec, target_configured
from support.monitor_bus import Bus
from support.monitor_scenarios import REQUEST, submit


def _runs(bus: Bus) -> int:
    return sum(isinstance(e.payload, (MonitorTick, MonitorWake)) for e in bus.delivered)


def _loads(bus: Bus) -> int:
    return bus.store.reads.count(f"load:{REQUEST}")


def _done(bus: Bus) -> RequestCompleted:
    done = [e for e in bus.events("RequestCompleted") if isinstance(e, RequestCompleted)]
    assert len(done) == 1, "the request did not end once"
    return done[0]


async def _kept_matches_table(bus: Bus, cache: StateCache) -> bool:
    """Whether the worker keeps a copy at the stored version; if so it must equal the table."""
    kept = cache.peek(REQUEST)
    head = await bus.store.head(REQUEST)
    if kept is None or head is None or kept[0] != head.version:
        return False
    loaded = await bus.store.load(REQUEST)
    bus.store.reads.pop()  # the check's own read
    assert kept[1] == loaded, "the kept state differs from what the table holds"
    return True


async def _planned_and_kept(count: int) -> tuple[Bus, list[Server]]:
    """A request of `count` servers planned, not configured, and its state kept by the worker."""
    bus = Bus()
    plan = servers(count)
    submit(bus, plan, spec(), configure=False)
    await bus.run(lambda: bus.deps.cache.peek(REQUEST) is not None)
    return bus, plan


async def test_runs_reuse_their_own_commit_and_what_they_keep_equals_the_table() -> None:
    bus = Bus()
    submit(bus, servers(30, waves=3), spec(batch_size=4))
    current = 0
    while not bus.ended() and await bus.step():
        current += await _kept_matches_table(bus, bus.deps.cache)

    assert _done(bus).status == "SUCCEEDED"
    assert bus.world.violations == [] and bus.parked == []
    assert current > 10, "the worker never kept a current copy"
    # Loads: after the plan, and after each batch of results written outside the lease.
    assert _loads(bus) <= 3, (_loads(bus), _runs(bus))
    assert _runs(bus) > 10 * _loads(bus)


async def test_two_workers_never_act_on_a_copy_the_other_made_stale() -> None:
    for seed in range(8):
        bus = Bus()
        second = handlers(replace(bus.deps, cache=StateCache()))
        first = bus.handlers
        pick = random.Random(seed)
        submit(bus, servers(24, waves=3), spec(batch_size=4))
        while not bus.ended():
            bus.handlers = first if pick.random() < 0.5 else second
            assert await bus.step(), "the queue emptied before the request ended"

        assert _done(bus).status == "SUCCEEDED", seed
        assert {s.outcome for s in _done(bus).servers} == {"recovered"}, seed
        started = Counter(s for _, ids, _ in bus.world.start_calls for s in ids)
        assert set(started.values()) == {1} and len(started) == 24, seed
        assert bus.world.violations == [] and bus.parked == [], seed
        assert _loads(bus) > 3, "each worker must load what the other wrote"


async def test_results_that_arrive_after_a_kept_run_reach_the_next_run() -> None:
    bus, plan = await _planned_and_kept(6)
    assert not bus.world.start_calls, "nothing is configured yet: nothing may start"
    loads = _loads(bus)
    submit(bus, plan, spec(), with_estate=False)  # the same plan again, and its results
    current = 0
    while not bus.ended() and await bus.step():
        current += await _kept_matches_table(bus, bus.deps.cache)

    assert _done(bus).status == "SUCCEEDED"
    assert {s.outcome for s in _done(bus).servers} == {"recovered"}
    assert current > 0, "the worker never kept a current copy after the results"
    assert _loads(bus) == loads, "this worker kept the results it wrote: no read of them"


async def test_results_another_worker_keeps_make_this_workers_copy_stale() -> None:
    bus, plan = await _planned_and_kept(6)
    loads = _loads(bus)
    first, second = bus.handlers, handlers(replace(bus.deps, cache=StateCache()))
    submit(bus, plan, spec(), with_estate=False)
    while not bus.ended():
        upcoming = min(bus.queue)[2].type if bus.queue else None
        bus.handlers = second if upcoming == "TargetConfigured" else first
        assert await bus.step(), "the queue emptied before the request ended"

    assert _done(bus).status == "SUCCEEDED"
    assert {s.outcome for s in _done(bus).servers} == {"recovered"}
    assert _loads(bus) > loads, "the other worker moved the version: this one read it all"


async def test_results_that_arrive_during_a_run_wait_for_it_and_keep_its_state_current() -> None:
    bus, plan = await _planned_and_kept(6)
    loads = _loads(bus)
    configured = target_configured(plan, spec().launch_region)
    configured_events = list(envelopes(configured, REQUEST, "c", "configurator"))
    wake = Envelope.wrap(
        MonitorWake(cause="test"), request_id=REQUEST, step="w", producer="monitor"
    )
    # The run claims the request's state only once the results have come in: they arrive
    # while the run holds it.
    arrived = asyncio.Event()
    claim = bus.store.claim

    async def claim_once_results_arrived(request_id: str, seen: str | None, version: str) -> bool:
        await asyncio.wait_for(arrived.wait(), timeout=5)
        return await claim(request_id, seen, version)

    async def results(envelope: Envelope[Event]) -> None:
        arrived.set()
        await bus.handlers[envelope.type](envelope, Outbox())

    bus.store.claim = claim_once_results_arrived  # type: ignore[method-assign]
    await asyncio.gather(
        bus.handlers[wake.type](wake, Outbox()), *(results(e) for e in configured_events)
    )

    assert await _kept_matches_table(bus, bus.deps.cache), "the run's state went stale"
    kept = bus.deps.cache.peek(REQUEST)
    assert kept is not None and set(kept[1].configs) == {s.source_server_id for s in plan}
    assert _loads(bus) == loads, "nothing was read again"


async def test_the_chunk_that_ends_a_burst_wakes_the_request_at_once() -> None:
    bus, plan = await _planned_and_kept(40)
    bus.timers.clear()
    chunks = target_configured(plan, budget=6_000)
    assert len(chunks) >= 3
    for envelope in envelopes(chunks, REQUEST, "configured", "configurator"):
        bus.send(envelope)
    await bus.run(lambda: len(bus.timers) >= len(chunks))

    wakes = [delay for kind, delay in bus.timers if kind == "MonitorWake"]
    settle = bus.deps.settings.wake_delay_seconds
    assert settle > 0
    assert sorted(wakes) == [0] + [settle] * (len(chunks) - 1), wakes
    # That wake's run starts every configured server at once, the burst whole.
    first_wake = bus.clock.now()
    await bus.run(lambda: bool(bus.world.start_calls))
    assert bus.clock.now() == first_wake
    assert sum(len(ids) for _, ids, _ in bus.world.start_calls) == len(plan)


async def test_a_stale_tick_never_takes_the_lease_from_the_current_one() -> None:
    bus = Bus()
    submit(bus, servers(30, waves=3), spec(batch_size=4))
    await bus.run(lambda: bool(bus.world.start_calls))
    kept = bus.deps.cache.peek(REQUEST)
    assert kept is not None
    summary = kept[1].summary
    assert summary.tick_seq > 1
    current, stale = tick(summary, summary.tick_seq), tick(summary, summary.tick_seq - 1)
    holders: list[str] = []
    acquire = bus.store.acquire

    async def recorded(request_id: str, holder: str, now: datetime, until: datetime) -> bool:
        holders.append(holder.partition(":")[0])
        return await acquire(request_id, holder, now, until)

    bus.store.acquire = recorded  # type: ignore[method-assign]
    outboxes = [Outbox(), Outbox()]
    # Delivered together, the stale one first: had it taken the lease, the current one
    # would have found it held and waited `lease_retry_seconds`.
    for envelope, outbox in zip((stale, current), outboxes, strict=True):
        await bus.handlers["MonitorTick"](envelope, outbox)

    assert stale.event_id not in holders, "the stale tick took the lease"
    assert outboxes[0].timers == [], "the stale tick scheduled something"
    assert current.event_id in holders
    ticks = [t.envelope.payload for t in outboxes[1].timers]
    assert [t.seq for t in ticks if isinstance(t, MonitorTick)] == [summary.tick_seq + 1]
