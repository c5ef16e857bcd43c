"""A StartRecovery that does not follow its batch's target check at once reads the
launch-into targets from EC2 again first (design §4): after a pause for DRS's
throttling, and when a later run settles an intent. A target started or untagged
meanwhile is never handed to DRS; its server is rejected with what EC2 holds now."""

from __future__ import annotations

from collections.abc import Sequence

from drsorch.contracts import RequestCompleted
from drsorch.contracts.types import Place
from drsorch.monitor.domain import cancel
from drsorch.monitor.domain.facts import Instance
from drsorch.monitor.errors import AwsFailure
from support.monitor_builders import HUB, PRIMARY, Server, private_ip, servers, spec
from support.monitor_bus import Bus, Crash
from support.monitor_scenarios import TAGGED, submit

HERE = Place(HUB, PRIMARY)


def _report(bus: Bus) -> RequestCompleted:
    done = bus.completed()
    assert done, "no RequestCompleted"
    return done[0]


def _launched(bus: Bus) -> set[str]:
    return {server for _, ids, _ in bus.world.start_calls for server in ids}


def _started_by_hand(bus: Bus, server: Server) -> None:
    bus.ec2.add(HERE, Instance(server.target_instance_id, "running", private_ip(server.n), TAGGED))


async def test_a_target_started_during_a_throttled_start_s_pause_is_never_launched_into() -> None:
    bus = Bus()
    bus.world.retry_after = 1
    bus.world.throttle["StartRecovery"] = 1
    plan = servers(3)
    submit(bus, plan, spec(wave_success_ratio=0.0))
    # While the run waits out DRS's Retry-After, someone starts server 2's target.
    bus.during_pause = lambda: _started_by_hand(bus, plan[1])
    await bus.run(bus.ended)

    assert bus.pauses == [1], "one 429, one pause, then the call"
    assert _launched(bus) == {plan[0].launching_server_id, plan[2].launching_server_id}
    lines = {line.server.source_server_id: line for line in _report(bus).servers}
    assert lines[plan[1].source_server_id].outcome == "rejected"
    assert lines[plan[1].source_server_id].reason == (
        f"checked right before StartRecovery: target {plan[1].target_instance_id} is running; "
        "a launch-into target must be stopped"
    )
    assert [lines[s.source_server_id].outcome for s in (plan[0], plan[2])] == ["recovered"] * 2


async def test_a_check_grown_old_while_the_intents_were_written_is_made_again() -> None:
    bus = Bus()
    plan = servers(3)
    submit(bus, plan, spec(wave_success_ratio=0.0))

    def slow_write() -> None:
        # The intents' writes take 6 s (a throttled table); meanwhile, someone starts
        # server 2's target. The planning check's answer is older than 5 s at the call.
        bus.store.on_intent = None
        bus.clock.advance(6)
        _started_by_hand(bus, plan[1])

    bus.store.on_intent = slow_write
    await bus.run(bus.ended)

    assert plan[1].launching_server_id not in _launched(bus)
    lines = {line.server.source_server_id: line for line in _report(bus).servers}
    assert lines[plan[1].source_server_id].outcome == "rejected"
    assert (lines[plan[1].source_server_id].reason or "").startswith(
        "checked right before StartRecovery"
    )
    assert [lines[s.source_server_id].outcome for s in (plan[0], plan[2])] == ["recovered"] * 2


async def test_when_ec2_cannot_be_read_before_a_retried_start_drs_is_not_called() -> None:
    bus = Bus()
    bus.world.retry_after = 1
    bus.world.throttle["StartRecovery"] = 1
    bus.ec2.order = bus.world.order  # EC2's reads in line with DRS's calls
    plan = servers(2)
    submit(bus, plan, spec())

    def ec2_fails() -> None:
        bus.during_pause = None
        bus.ec2.fail_next = 1

    bus.during_pause = ec2_fails
    await bus.run(bus.ended)

    assert {line.outcome for line in _report(bus).servers} == {"recovered"}
    assert len(bus.world.start_calls) == 1
    calls = [c for c in bus.world.order if c in ("StartRecovery", "DescribeInstances", "failed")]
    failed = calls.index("failed")
    assert calls[failed - 2 : failed + 3] == [
        "StartRecovery",  # throttled
        "DescribeInstances",  # the check after the pause fails: no call
        "failed",
        "DescribeInstances",  # a later run reads the targets, then calls
        "StartRecovery",
    ]


async def test_an_intent_settled_in_a_later_run_reads_its_targets_again() -> None:
    bus = Bus()
    bus.world.retry_after = 1
    attempts = bus.settings.start_throttle_attempts
    bus.world.throttle["StartRecovery"] = attempts  # every call of the first run
    plan = servers(3)
    submit(bus, plan, spec(wave_success_ratio=0.0))
    await bus.run(lambda: bus.world.calls["StartRecovery"] == attempts)
    # The run gave up with the intent kept; before the next run settles it, server 3's
    # target loses its launch-into tag.
    untagged = Instance(plan[2].target_instance_id, "stopped", private_ip(3), {})
    bus.ec2.add(HERE, untagged)
    changed_at = bus.clock.now()
    await bus.run(bus.ended)

    # Its calls were all throttled, so no job of it can exist: the rest start at once,
    # not after the patience an unanswered call's job is given to show.
    started = min(job.created_at for job in bus.world.jobs.values())
    patience = bus.settings.intent_settle_seconds * cancel.UNCERTAIN_PATIENCE
    assert (started - changed_at).total_seconds() < patience / 2

    assert _launched(bus) == {plan[0].launching_server_id, plan[1].launching_server_id}
    lines = {line.server.source_server_id: line for line in _report(bus).servers}
    assert "lacks the tag AWSDRS=AllowLaunchingIntoThisInstance" in str(
        lines[plan[2].source_server_id].reason
    )
    assert lines[plan[2].source_server_id].outcome == "rejected"
    assert _report(bus).status == "PARTIAL"


async def test_a_target_its_own_unanswered_job_started_keeps_the_intent_until_the_job_shows() -> (
    None
):
    """Not the re-read itself: what follows it when the batch's last call went unanswered."""
    bus = Bus()
    bus.world.listing_lag_seconds = 90  # past the intent's settle, within its patience
    plan = servers(2)
    submit(bus, plan, spec())

    def unanswered(place: Place, ids: Sequence[str]) -> None:
        bus.world.after_start = None
        # The job was made and launches into the targets; the caller hears nothing.
        for server in plan:
            _started_by_hand(bus, server)
        raise AwsFailure("StartRecovery: connection reset")

    bus.world.after_start = unanswered
    await bus.run(bus.ended)

    assert len(bus.world.start_calls) == 1, "the one job, adopted once DRS listed it"
    assert {line.outcome for line in _report(bus).servers} == {"recovered"}


async def test_an_unanswered_start_whose_targets_changed_is_given_up_once_waited_out() -> None:
    bus = Bus()
    plan = servers(2)
    submit(bus, plan, spec(wave_success_ratio=0.0))

    def lost(place: Place, ids: Sequence[str]) -> None:
        bus.world.before_start = None
        _started_by_hand(bus, plan[0])  # by someone else; DRS made no job
        raise AwsFailure("StartRecovery: connection reset")

    bus.world.before_start = lost
    await bus.run(bus.ended)

    assert bus.world.start_calls == [(HERE, (plan[1].launching_server_id,), False)]
    lines = {line.server.source_server_id: line for line in _report(bus).servers}
    assert lines[plan[0].source_server_id].outcome == "rejected"
    assert "is running" in str(lines[plan[0].source_server_id].reason)
    assert lines[plan[1].source_server_id].outcome == "recovered"


async def test_an_intent_aged_by_throttling_waits_for_its_unanswered_call_s_job_from_the_call() -> (
    None
):
    bus = Bus()
    bus.world.retry_after = 1
    # Minutes of throttled runs age the intent past its patience before the call that
    # goes unanswered; its job then lists late, and has started one target meanwhile.
    bus.world.throttle["StartRecovery"] = bus.settings.start_throttle_attempts * 45
    bus.world.listing_lag_seconds = 90
    plan = servers(2)
    submit(bus, plan, spec())

    def unanswered(place: Place, ids: Sequence[str]) -> None:
        bus.world.after_start = None
        _started_by_hand(bus, plan[0])  # by the job itself, launching into it
        raise AwsFailure("StartRecovery: connection reset")

    bus.world.after_start = unanswered
    await bus.run(bus.ended)

    assert len(bus.world.start_calls) == 1, "no server started a second time"
    assert {line.outcome for line in _report(bus).servers} == {"recovered"}


async def test_an_intent_a_crash_left_is_settled_as_a_call_that_may_have_been_made() -> None:
    bus = Bus()
    bus.world.listing_lag_seconds = 90  # DescribeJobs lists the job past the intent's settle
    plan = servers(2)
    submit(bus, plan, spec())

    def crash(place: Place, ids: Sequence[str]) -> None:
        bus.world.after_start = None
        _started_by_hand(bus, plan[0])  # by the job the call made
        raise Crash

    bus.world.after_start = crash
    await bus.run(bus.ended)

    assert len(bus.world.start_calls) == 1, "no server started a second time"
    assert {line.outcome for line in _report(bus).servers} == {"recovered"}
