"""Runs of one request: one at a time, stale ticks dropped, and no event ever lost.

Events are written to the table before the records that explain them and stay owed
until a later run proves them sent, so a crash anywhere in a run loses nothing and a
redelivery re-sends the same event IDs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta
from typing import Any

from drsorch.contracts import Envelope, RequestCompleted
from drsorch.monitor.domain.records import Summary
from drsorch.monitor.handlers import handlers
from drsorch.monitor.timers import MonitorTick
from support.monitor_builders import servers, spec
from support.monitor_bus import Bus, Crash
from support.monitor_scenarios import REQUEST, submit


async def _summary(bus: Bus) -> Summary:
    summary = await bus.store.summary(REQUEST)
    assert summary is not None
    return summary


def _retried(event: object) -> bool:
    return isinstance(event, MonitorTick) and event.attempt > 0


def _published(bus: Bus) -> Counter[str]:
    return Counter(e.type for e in {e.event_id: e for e in bus.published}.values())


class CrashingStore:
    """The fake table, but the worker dies at its `crash_at`-th call (before or after the
    write takes effect, by parity), leaving the request's lease held as a kill would."""

    def __init__(self, bus: Bus, crash_at: int) -> None:
        self.inner = bus.store
        self.crash_at = crash_at
        self.count = 0
        self.crashed = False

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if name == "release" and self.crashed:
                self.crashed = False  # a killed worker releases nothing
                return None
            self.count += 1
            if self.count == self.crash_at and self.crash_at % 2:
                self.crashed = True
                raise Crash
            result = await method(*args, **kwargs)
            if self.count == self.crash_at:
                self.crashed = True
                raise Crash
            return result

        return call


async def test_a_crash_at_any_store_call_loses_no_event_and_starts_no_batch_twice() -> None:
    for crash_at in range(1, 230):
        bus = Bus()
        store = CrashingStore(bus, crash_at)
        bus.deps = replace(bus.deps, store=store)
        bus.handlers = handlers(bus.deps)
        submit(bus, servers(6, waves=2), spec(batch_size=2))
        await bus.run(bus.ended)

        done = [e for e in bus.events("RequestCompleted") if isinstance(e, RequestCompleted)]
        assert len(done) == 1 and done[0].status == "SUCCEEDED", crash_at
        assert _published(bus)["JobStarted"] == 4 == _published(bus)["JobCompleted"], crash_at
        assert len(bus.world.start_calls) == 4, crash_at
        assert bus.world.violations == [] and bus.parked == [], crash_at


async def test_a_stale_tick_is_dropped_without_touching_aws() -> None:
    bus = Bus()
    submit(bus, servers(2), spec())
    await bus.run(bus.ended)
    calls = sum(bus.world.calls.values())
    summary = await _summary(bus)
    stale = MonitorTick(seq=1, attempt=7)
    bus.send(Envelope.wrap(stale, request_id=REQUEST, step="stale", producer="monitor"))
    await bus.run()
    assert sum(bus.world.calls.values()) == calls
    assert await _summary(bus) == summary


async def test_a_tick_finding_the_request_held_comes_back_later() -> None:
    bus = Bus()
    submit(bus, servers(2), spec())
    await bus.run(lambda: bool(bus.world.start_calls))
    summary = await _summary(bus)
    await bus.store.acquire(
        REQUEST, "someone-else", bus.clock.now(), bus.clock.now() + timedelta(seconds=20)
    )
    await bus.run(lambda: any(_retried(e.payload) for e in bus.delivered))
    assert (await _summary(bus)).tick_seq == summary.tick_seq, "ran while another held the lease"
    await bus.run(bus.ended)
    assert bus.events("RequestCompleted")


async def test_a_plan_arriving_while_the_request_is_held_is_retried() -> None:
    bus = Bus()
    await bus.store.acquire(
        REQUEST, "someone-else", bus.clock.now(), bus.clock.now() + timedelta(seconds=8)
    )
    submit(bus, servers(2), spec())
    await bus.run(bus.ended)
    assert bus.parked == []
    assert [e.type for e in bus.delivered].count("PairsMatched") >= 2
