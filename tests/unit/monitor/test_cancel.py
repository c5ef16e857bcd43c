"""Cancelling a request in the monitor: no batch starts after it, running jobs finish.

On fakes of the monitor's ports: the fake DRS keeps every StartRecovery with the clock
time it was made at, so "nothing started after the cancel" is read from DRS's record.
"""

from __future__ import annotations

from drsorch.contracts import CancelRequested, Envelope, Event, RequestCancelled
from support.monitor_builders import servers, spec
from support.monitor_bus import Bus
from support.monitor_scenarios import REQUEST, submit

OPERATOR = "arn:aws:iam::111122223333:user/ops"


def cancel(
    request_id: str = REQUEST, who: str = OPERATOR, own: str = "cancel-0001"
) -> Envelope[Event]:
    event = CancelRequested(cancel_request_id=request_id, requested_by=who)
    return Envelope.wrap(event, request_id=own, step="cancel", producer="cli")


def answers(bus: Bus) -> list[RequestCancelled]:
    return [e for e in bus.events("RequestCancelled") if isinstance(e, RequestCancelled)]


async def test_a_cancel_mid_way_starts_no_batch_after_it_and_lets_running_jobs_finish() -> None:
    bus = Bus()
    submit(bus, servers(12, waves=3), spec(batch_size=4))
    await bus.run(lambda: len(bus.world.jobs) >= 1)
    bus.send(cancel())
    await bus.run(lambda: bool(answers(bus)))
    taken_at = bus.clock.now()
    jobs_at_cancel = set(bus.world.jobs)
    await bus.run(bus.ended)

    assert answers(bus)[0].state == "cancelling"
    assert answers(bus)[0].cancelled_by == OPERATOR
    # DRS's own record: no job was created after the cancel was taken.
    assert set(bus.world.jobs) == jobs_at_cancel
    assert all(job.created_at <= taken_at for job in bus.world.jobs.values())
    report = bus.completed()[0]
    by_outcome: dict[str, list[str]] = {}
    for server in report.servers:
        by_outcome.setdefault(server.outcome, []).append(server.reason or "")
    launched = sum(len(job.server_ids) for job in bus.world.jobs.values())
    assert len(by_outcome["recovered"]) == launched  # the running jobs finished
    assert set(by_outcome["skipped"]) == {f"cancelled by {OPERATOR}"}
    assert len(by_outcome["skipped"]) == 12 - launched
    assert report.status == "PARTIAL" and f"cancelled by {OPERATOR}" in (report.reason or "")


async def test_a_cancel_redelivered_or_repeated_keeps_the_first_canceller() -> None:
    bus = Bus()
    submit(bus, servers(8, waves=2), spec(batch_size=4))
    await bus.run(lambda: len(bus.world.jobs) >= 1)
    first = cancel()
    bus.send(first)
    await bus.run(lambda: bool(answers(bus)))
    bus.handled.discard(first.event_id)  # redelivered after it was handled
    bus.send(first)
    bus.send(cancel(who="someone-else", own="cancel-0002"))
    await bus.run(bus.ended)

    assert {a.cancelled_by for a in answers(bus)} == {OPERATOR}
    skipped = [s for s in bus.completed()[0].servers if s.outcome == "skipped"]
    assert skipped and {s.reason for s in skipped} == {f"cancelled by {OPERATOR}"}


async def test_a_cancel_of_an_ended_request_says_so_and_changes_nothing() -> None:
    bus = Bus()
    submit(bus, servers(4, waves=1), spec(batch_size=4))
    await bus.run(bus.ended)
    before = bus.completed()[0]
    bus.send(cancel())
    await bus.run(lambda: bool(answers(bus)))

    answer = answers(bus)[0]
    assert answer.state == "finished" and "already ended (SUCCEEDED)" in (answer.reason or "")
    assert len(bus.world.jobs) == 1 and bus.completed()[0] == before


async def test_a_cancel_before_the_plan_arrives_launches_nothing_of_it() -> None:
    bus = Bus()
    bus.send(cancel())
    await bus.run(lambda: bool(answers(bus)))
    assert answers(bus)[0].state == "unknown"
    assert "no plan of request" in (answers(bus)[0].reason or "")

    submit(bus, servers(4, waves=1), spec(batch_size=4))
    await bus.run(bus.ended)
    assert bus.world.jobs == {}
    assert {s.outcome for s in bus.completed()[0].servers} == {"skipped"}
