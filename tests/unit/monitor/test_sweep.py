"""The sweep: a request whose only tick was lost is re-armed, and nothing runs twice."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from drsorch.contracts import RequestCompleted
from drsorch.monitor.sweep import sweep
from drsorch.runtime import Outbox
from support.monitor_builders import servers, spec
from support.monitor_bus import Bus
from support.monitor_scenarios import REQUEST, submit


def _ticks(bus: Bus) -> list[int]:
    return [i for i, item in enumerate(bus.queue) if item[2].type == "MonitorTick"]


def _lose_the_ticks(bus: Bus) -> int:
    """Every tick in the queue is dead-lettered, as a killed monitor's could be."""
    lost = _ticks(bus)
    bus.queue = [item for i, item in enumerate(bus.queue) if i not in lost]
    return len(lost)


async def _sweep(bus: Bus) -> int:
    outbox = Outbox()
    rearmed = await sweep(bus.deps, outbox)
    for timer in outbox.timers:
        bus.send(timer.envelope, timer.delay.total_seconds())
    return rearmed


async def test_a_request_that_lost_its_tick_is_re_armed_and_completes() -> None:
    bus = Bus()
    submit(bus, servers(6, waves=2), spec(batch_size=2))
    await bus.run(lambda: len(bus.world.start_calls) >= 1 and bool(_ticks(bus)))
    assert _lose_the_ticks(bus) >= 1
    await bus.run()  # the queue empties: the request would wait forever
    assert not bus.ended()

    assert await _sweep(bus) == 0, "not overdue yet: the grace has not passed"
    bus.clock.advance(bus.settings.sweep_grace_seconds + 400)
    assert await _sweep(bus) == 1
    await bus.run(bus.ended)

    (done,) = [e for e in bus.events("RequestCompleted") if isinstance(e, RequestCompleted)]
    assert done.status == "SUCCEEDED"
    launched = Counter(s for call in bus.world.start_calls for s in call[1])
    assert len(launched) == 6 and set(launched.values()) == {1}
    assert await bus.store.overdue(bus.clock.now() + timedelta(days=1)) == []  # disarmed


async def test_a_request_on_time_is_left_alone_and_a_double_sweep_is_one_tick() -> None:
    bus = Bus()
    submit(bus, servers(2), spec())
    await bus.run(lambda: bool(_ticks(bus)))
    assert await _sweep(bus) == 0
    _lose_the_ticks(bus)
    bus.clock.advance(bus.settings.sweep_grace_seconds + 400)
    assert await _sweep(bus) == 1 == await _sweep(bus)  # two workers, one slot
    rearmed = [bus.queue[i][2].event_id for i in _ticks(bus)]
    assert len(rearmed) == 2 and len(set(rearmed)) == 1  # the same tick: the inbox runs one
    await bus.run(bus.ended)
    summary = await bus.store.summary(REQUEST)
    assert summary is not None and summary.status == "SUCCEEDED"
