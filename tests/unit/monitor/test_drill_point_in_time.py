"""A drill launches each server from the point in time it names, or not at all.

`DrillRequested.recovery_point` reaches the monitor on the requests topic; each server's
StartRecovery names the recovery snapshot DRS lists for it (the latest at or before the
time, or one of the IDs given). A server DRS holds no such snapshot of is never launched
from other data: its batch is refused, and the servers wait.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drsorch.contracts import DrillRequested, RecoveryPoint
from support.monitor_builders import envelopes, failback_id, servers, spec
from support.monitor_bus import Bus
from support.monitor_scenarios import REQUEST, submit

AT = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


def _pit(n: int, k: int) -> str:
    return f"pit-{n:08d}{k:09d}"


def _snapshots(bus: Bus, count: int, *, missing: int | None = None) -> None:
    """Each launching server: snapshots every 10 minutes, 10:00 to 12:00 (none for `missing`)."""
    for n in range(1, count + 1):
        if n == missing:
            continue
        bus.world.recovery_snapshots[failback_id(n)] = [
            (_pit(n, k), datetime(2026, 11, 25, 10, 0, tzinfo=UTC) + timedelta(minutes=10 * k))
            for k in range(13)
        ]


def _drill(bus: Bus, point: RecoveryPoint, count: int) -> None:
    # A short readiness deadline: a server refused for want of its snapshot gives up soon.
    request = spec("failover", drill=True, readiness_deadline_seconds=60)
    asked = DrillRequested(spec=request, recovery_point=point)
    for envelope in envelopes([asked], REQUEST, "request", "cli"):
        bus.send(envelope)
    submit(bus, servers(count, launch_into=False), request)


async def test_each_server_launches_from_its_latest_snapshot_before_the_time() -> None:
    bus = Bus()
    _snapshots(bus, 3)
    _drill(bus, RecoveryPoint(before=AT + timedelta(minutes=5)), 3)
    await bus.run(bus.ended)
    assert bus.world.launched_from == {failback_id(n): _pit(n, 6) for n in (1, 2, 3)}
    assert [drill for _, _, drill in bus.world.start_calls] == [True]


async def test_named_snapshots_are_used_as_given() -> None:
    bus = Bus()
    _snapshots(bus, 2)
    _drill(bus, RecoveryPoint(snapshot_ids=(_pit(1, 2), _pit(2, 9))), 2)
    await bus.run(bus.ended)
    assert bus.world.launched_from == {failback_id(1): _pit(1, 2), failback_id(2): _pit(2, 9)}


async def test_a_server_without_such_a_snapshot_is_never_launched_from_other_data() -> None:
    bus = Bus()
    _snapshots(bus, 3, missing=2)
    _drill(bus, RecoveryPoint(before=AT), 3)
    await bus.run(bus.ended)
    assert bus.world.start_calls == []
    assert bus.world.launched_from == {}
    reasons = {s.reason for chunk in bus.completed() for s in chunk.servers}
    assert any(failback_id(2) in (r or "") and "no recovery snapshot" in (r or "") for r in reasons)
