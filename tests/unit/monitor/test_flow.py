"""The monitor's handlers end to end on fakes: waves, quotas, readiness, outcomes.

A deterministic bus delivers messages in due order on a fake clock; the fake DRS
enforces quotas and records every breach, so a test fails when the monitor would
have broken one.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from drsorch.contracts import JobCompleted, JobStarted, RequestCompleted, TraceContext
from drsorch.contracts.types import Place
from drsorch.monitor.domain.facts import Instance, Replication
from drsorch.monitor.errors import AwsFailure
from drsorch.monitor.handlers import handlers
from support.monitor_builders import (
    HUB,
    PRIMARY,
    RECOVERY,
    Server,
    envelopes,
    private_ip,
    servers,
    spec,
    target_configured,
)
from support.monitor_bus import Bus, Crash, fast_settings
from support.monitor_scenarios import REQUEST, TAGGED, submit

HERE = Place(HUB, PRIMARY)


def job_started(bus: Bus) -> list[JobStarted]:
    return [e for e in bus.events("JobStarted") if isinstance(e, JobStarted)]


def report(bus: Bus) -> RequestCompleted:
    done = bus.completed()
    assert done, "no RequestCompleted"
    return done[0]


def outcomes(bus: Bus) -> Counter[str]:
    return Counter(s.outcome for chunk in bus.completed() for s in chunk.servers)


async def test_a_failback_runs_its_waves_in_order_and_reports_every_server() -> None:
    bus = Bus()
    plan = servers(30, waves=3)
    submit(bus, plan, spec(batch_size=4))
    await bus.run(bus.ended)

    done = report(bus)
    assert done.status == "SUCCEEDED", done.reason
    assert {s.outcome for s in done.servers} == {"recovered"}
    assert all(s.launched_into_expected for s in done.servers)
    assert all(s.private_ip_after == s.private_ip_before for s in done.servers)
    assert {s.previous_launch_configuration is not None for s in done.servers} == {True}
    started = job_started(bus)
    assert [len(j.source_server_ids) for j in started] == [4, 4, 2] * 3
    assert all(j.launch_into for j in started)
    completed = [e for e in bus.events("JobCompleted") if isinstance(e, JobCompleted)]
    assert len(completed) == 9 and len(done.jobs) == 9
    # A wave starts only once every job of the previous one completed.
    jobs = sorted(bus.world.jobs.values(), key=lambda j: j.created_at)
    wave_of = {j.job_id: j.wave for j in started}
    for job in jobs:
        earlier = [o for o in jobs if wave_of[o.job_id] < wave_of[job.job_id]]
        assert all(o.ends_at <= job.created_at for o in earlier)
    assert bus.world.violations == [] and bus.parked == []
    assert done.api_calls["StartRecovery"] == 9
    assert done.api_calls["GetLaunchConfiguration"] == 30  # the configurator's, carried
    states = {r.ec2_state for r in (await bus.store.load(REQUEST)).servers.values()}  # type: ignore[union-attr]
    assert states == {"RUNNING"}


async def test_quotas_hold_counting_jobs_drsorch_did_not_start() -> None:
    bus = Bus()
    foreign = [f"s-x{n:016d}" for n in range(450)]
    for start in range(0, 450, 25):  # 18 jobs, 450 servers, ending at different times
        bus.world.add_foreign_job(HERE, foreign[start : start + 25], seconds=300 + start)
    plan = servers(300)
    submit(bus, plan, spec())
    await bus.run(bus.ended)

    assert report(bus).status == "SUCCEEDED"
    assert bus.world.violations == []
    assert bus.world.peak_jobs <= 20
    assert bus.world.peak_servers <= 500
    sizes = [len(ids) for _, ids, _ in bus.world.start_calls]
    assert sum(sizes) == 300 and max(sizes) <= 100
    assert Counter(s for _, ids, _ in bus.world.start_calls for s in ids).most_common(1)[0][1] == 1


async def test_a_server_busy_in_another_job_waits_for_it() -> None:
    bus = Bus()
    plan = servers(3)
    busy = plan[0].launching_server_id
    bus.world.add_foreign_job(HERE, [busy], seconds=500)
    submit(bus, plan, spec())
    await bus.run(bus.ended)

    assert report(bus).status == "SUCCEEDED"
    assert bus.world.violations == []
    ours = [j for j in bus.world.jobs.values() if not j.foreign]
    first = next(j for j in ours if busy in j.server_ids)
    assert first.created_at >= bus.world.jobs["drsjob-00000000000000001"].ends_at


async def test_every_start_is_preceded_by_its_intent_and_never_repeated() -> None:
    bus = Bus()
    unrecorded: list[tuple[str, ...]] = []

    def check(place: Place, ids: Sequence[str]) -> None:
        if not bus.store.intended(REQUEST, place, ids):
            unrecorded.append(tuple(ids))

    bus.world.before_start = check
    submit(bus, servers(250, waves=2), spec())
    await bus.run(bus.ended)

    assert unrecorded == []
    assert [len(ids) for _, ids, _ in bus.world.start_calls] == [100, 25, 100, 25]
    assert report(bus).status == "SUCCEEDED"


async def test_a_crash_after_the_intent_before_start_recovery_starts_the_batch_once() -> None:
    bus = Bus()
    crashes: list[tuple[str, ...]] = []

    def crash_once(place: Place, ids: Sequence[str]) -> None:
        if not crashes:
            crashes.append(tuple(ids))
            raise Crash

    bus.world.before_start = crash_once
    submit(bus, servers(120), spec())
    await bus.run(bus.ended)

    assert crashes
    started = Counter(frozenset(ids) for _, ids, _ in bus.world.start_calls)
    assert started[frozenset(crashes[0])] == 1
    assert len(bus.world.jobs) == 2
    assert report(bus).status == "SUCCEEDED"
    assert len(job_started(bus)) == 2


async def test_a_crash_after_start_recovery_before_recording_the_job_adopts_it() -> None:
    bus = Bus()
    crashes: list[tuple[str, ...]] = []

    def crash_once(place: Place, ids: Sequence[str]) -> None:
        if not crashes:
            crashes.append(tuple(ids))
            raise Crash

    bus.world.after_start = crash_once
    submit(bus, servers(120), spec())
    await bus.run(bus.ended)

    assert crashes
    assert len(bus.world.start_calls) == 2, "the crashed batch was started a second time"
    assert len(bus.world.jobs) == 2
    done = report(bus)
    assert done.status == "SUCCEEDED"
    assert len({j.job_id for j in job_started(bus)}) == 2


def lose_the_first_start_answer(bus: Bus) -> list[tuple[str, ...]]:
    """DRS creates the first job, but its answer never reaches the monitor; the servers of
    that call are recorded in the list returned."""
    lost: list[tuple[str, ...]] = []

    def lose_the_answer_once(place: Place, ids: Sequence[str]) -> None:
        if not lost:
            lost.append(tuple(ids))
            raise AwsFailure("StartRecovery: read timeout")  # the job exists all the same

    bus.world.after_start = lose_the_answer_once
    return lost


async def test_a_lost_start_answer_is_reconciled_once_drs_lists_the_job_not_started_twice() -> None:
    bus = Bus()
    # DescribeJobs lists a new job only after a while, but within the intent's settle time.
    bus.world.listing_lag_seconds = bus.settings.intent_settle_seconds * 3 / 4
    lost = lose_the_first_start_answer(bus)
    submit(bus, servers(120), spec())  # two batches: the other's polls bring runs sooner
    await bus.run(bus.ended)

    assert lost
    assert bus.world.violations == []
    starts = Counter(s for _, ids, _ in bus.world.start_calls for s in ids)
    assert len(starts) == 120 and set(starts.values()) == {1}
    assert len(bus.world.jobs) == 2
    assert report(bus).status == "SUCCEEDED"


async def test_a_lost_start_answer_is_never_started_again_while_drs_lists_the_job_late() -> None:
    bus = Bus()
    # DescribeJobs lists a new job only well after the intent's settle time: the monitor
    # reconciles, finds nothing, calls again and is refused (the servers are busy in the
    # job it cannot see). It must keep waiting for that job, not start the servers again
    # once the job ends.
    bus.world.listing_lag_seconds = bus.settings.intent_settle_seconds * 3
    lost = lose_the_first_start_answer(bus)
    submit(bus, servers(120), spec())
    await bus.run(bus.ended)

    assert lost
    starts = Counter(s for _, ids, _ in bus.world.start_calls for s in ids)
    assert len(starts) == 120 and set(starts.values()) == {1}, "a server was launched twice"
    assert len(bus.world.jobs) == 2
    # DRS refused the calls made while the job was unlisted; none created a job.
    assert all("already in active jobs" in v for v in bus.world.violations)
    assert report(bus).status == "SUCCEEDED"


async def test_servers_join_jobs_only_once_reverse_replication_is_continuous() -> None:
    bus = Bus(settings=fast_settings(batch_linger_seconds=3600))
    plan = servers(6)
    late = {s.launching_server_id for s in plan[:2]}
    for sid in late:
        bus.world.replication[sid] = Replication("INITIAL_SYNC", None)
    bus.world.replication[plan[2].launching_server_id] = Replication("CONTINUOUS", 300)
    submit(bus, plan, spec(batch_size=10))
    later = bus.clock.now() + timedelta(minutes=30)
    await bus.run(lambda: bus.clock.now() >= later)

    assert bus.world.start_calls == [], "a batch started before its servers were ready"
    for sid in [*late, plan[2].launching_server_id]:
        bus.world.replication[sid] = Replication("CONTINUOUS", 5)
    await bus.run(bus.ended)

    assert report(bus).status == "SUCCEEDED"
    assert [len(ids) for _, ids, _ in bus.world.start_calls] == [6]


async def test_servers_never_ready_are_reported_at_the_deadline_and_the_rest_go_on() -> None:
    bus = Bus()
    plan = servers(5, waves=1) + servers(2, waves=1, start=6)
    plan = [*plan[:5], Server(6, wave=2), Server(7, wave=2)]
    stuck = plan[0].launching_server_id
    bus.world.replication[stuck] = Replication("STALLED", 7200)
    submit(bus, plan, spec(readiness_deadline_seconds=600, wave_success_ratio=0.5))
    await bus.run(bus.ended)

    done = report(bus)
    assert done.status == "PARTIAL"
    line = next(s for s in done.servers if s.launching_server_id == stuck)
    assert line.outcome == "not_ready"
    assert "STALLED" in str(line.reason) and "600 s" in str(line.reason)
    assert outcomes(bus) == {"recovered": 6, "not_ready": 1}
    assert all(stuck not in ids for _, ids, _ in bus.world.start_calls)


async def test_a_slow_configuration_delays_only_its_own_server() -> None:
    # One pair's configuration arrives long after the wave's readiness deadline (its
    # recovery instance took that long to accept reverse replication). The others launch
    # at once; the slow one is not "not ready": its wait starts when its result arrives.
    bus = Bus()
    plan = servers(4, waves=1)
    request = spec(readiness_deadline_seconds=600)
    submit(bus, plan, request, configure=False)
    quick, slow = plan[:3], plan[3:]
    for envelope in envelopes(target_configured(quick, PRIMARY), REQUEST, "quick", "configurator"):
        bus.send(envelope, delay=1)
    for envelope in envelopes(target_configured(slow, PRIMARY), REQUEST, "slow", "configurator"):
        bus.send(envelope, delay=3600)
    await bus.run(bus.ended)

    assert report(bus).status == "SUCCEEDED"
    assert outcomes(bus) == {"recovered": 4}
    first, *later = bus.world.start_calls
    assert len(first[1]) == 3 and [len(ids) for _, ids, _ in later] == [1]


async def test_a_failover_launches_without_waiting_for_replication() -> None:
    bus = Bus()
    plan = servers(4, launch_into=False)
    for server in plan:
        bus.world.replication[server.launching_server_id] = Replication("STALLED", 9999)
    submit(bus, plan, spec("failover"))
    await bus.run(bus.ended)

    done = report(bus)
    assert done.status == "SUCCEEDED", done.reason
    assert all(s.launched_into_expected is None and s.ec2_instance_id for s in done.servers)


async def test_polling_is_sparse_for_long_jobs() -> None:
    bus = Bus(settings=fast_settings(poll_min_seconds=10, poll_max_seconds=600, poll_growth=0.2))
    bus.world.job_seconds = 6 * 3600
    submit(bus, servers(3), spec(job_timeout_seconds=8 * 3600))
    await bus.run(bus.ended)

    assert report(bus).status == "SUCCEEDED"
    # Fixed 10 s polls would take 2,160 calls over six hours.
    assert bus.world.calls["DescribeJobs"] < 80


async def test_a_job_past_its_timeout_is_reported_timed_out() -> None:
    bus = Bus()
    bus.world.job_seconds = 3 * 3600
    submit(bus, servers(3), spec(job_timeout_seconds=3600))
    await bus.run(bus.ended)

    done = report(bus)
    assert done.status == "FAILED"
    assert outcomes(bus) == {"timed_out": 3}
    assert "3600 s job timeout" in str(done.servers[0].reason)
    assert done.jobs[0].ended_at is None


async def test_a_failed_launch_carries_drs_reason_and_the_request_is_partial() -> None:
    bus = Bus()
    plan = servers(4)
    bus.world.failures[plan[1].launching_server_id] = "Insufficient capacity in us-east-1a"
    submit(bus, plan, spec())
    await bus.run(bus.ended)

    done = report(bus)
    assert done.status == "PARTIAL"
    failed = next(s for s in done.servers if s.outcome == "failed")
    assert failed.reason == "LAUNCH_FAILED: Insufficient capacity in us-east-1a"
    assert "3 of 4 servers landed" in str(done.reason)
    completed = next(e for e in bus.events("JobCompleted") if isinstance(e, JobCompleted))
    assert {s.launch_status for s in completed.servers} == {"LAUNCHED", "FAILED"}


async def test_a_wave_below_the_success_ratio_stops_the_request_and_says_why() -> None:
    bus = Bus()
    plan = servers(9, waves=3)
    bus.world.failures[plan[0].launching_server_id] = "boom"
    submit(bus, plan, spec())  # unset ratio: all of a wave must land
    await bus.run(bus.ended)

    done = report(bus)
    assert done.status == "PARTIAL"
    assert "wave 1 landed 2 of 3" in str(done.reason)
    assert outcomes(bus) == {"recovered": 2, "failed": 1, "skipped": 6}
    assert {j.wave for j in job_started(bus)} == {1}


async def test_a_wave_meeting_a_lower_ratio_lets_the_next_one_start() -> None:
    bus = Bus()
    plan = servers(9, waves=3)
    bus.world.failures[plan[0].launching_server_id] = "boom"
    submit(bus, plan, spec(wave_success_ratio=0.6))
    await bus.run(bus.ended)

    assert outcomes(bus) == {"recovered": 8, "failed": 1}
    assert {j.wave for j in job_started(bus)} == {1, 2, 3}


async def test_every_launch_failing_is_failed() -> None:
    bus = Bus()
    plan = servers(2)
    for server in plan:
        bus.world.failures[server.launching_server_id] = "no"
    submit(bus, plan, spec())
    await bus.run(bus.ended)
    assert report(bus).status == "FAILED"


async def test_a_plan_only_request_launches_nothing_and_ends_planned() -> None:
    bus = Bus()
    plan = [Server(n, outcome="planned") for n in range(1, 4)]
    submit(bus, plan, spec(plan_only=True))
    await bus.run(bus.ended)

    done = report(bus)
    assert done.status == "PLANNED"
    assert outcomes(bus) == {"planned": 3}
    assert bus.world.start_calls == [] and bus.world.calls["DescribeJobs"] == 0


async def test_results_configured_under_another_plan_than_approved_never_launch() -> None:
    # The configurator's results carry the hash of what they launch; the monitor checks
    # it against the approval itself, whatever the results say.
    bus = Bus()
    submit(bus, servers(3), spec(approved_plan_hash="cd" * 32))
    await bus.run(bus.ended)

    done = report(bus)
    assert done.status == "REJECTED"
    assert "no longer matches" in str(done.reason)
    assert bus.world.start_calls == []
    assert outcomes(bus) == {"rejected": 3}


async def test_rejected_targets_are_never_launched_into() -> None:
    bus = Bus()
    plan = [
        Server(1, outcome="rejected", reason="target i-… is running"),
        Server(2),
        Server(3),
        Server(4),
    ]
    submit(bus, plan, spec(wave_success_ratio=0.0))
    # Between configuration and launch, someone started server 3's target, untagged 4's.
    bus.ec2.add(HERE, Instance(plan[2].target_instance_id, "running", private_ip(3), TAGGED))
    bus.ec2.add(HERE, Instance(plan[3].target_instance_id, "stopped", private_ip(4), {}))
    await bus.run(bus.ended)

    launched = {s for _, ids, _ in bus.world.start_calls for s in ids}
    assert launched == {plan[1].launching_server_id}
    lines = {s.server.source_server_id: s for s in report(bus).servers}
    assert lines[plan[0].source_server_id].outcome == "rejected"
    assert "is running" in str(lines[plan[2].source_server_id].reason)
    assert "lacks the tag" in str(lines[plan[3].source_server_id].reason)
    assert report(bus).status == "PARTIAL"


async def test_a_target_in_another_account_is_never_launched_into() -> None:
    bus = Bus()
    server = Server(1)
    elsewhere = server.pair().model_copy(
        update={"target": server.pair().target.model_copy(update={"account_id": "210987654321"})}  # type: ignore[union-attr]
    )
    submit(bus, [server], spec())
    # The plan pairs the server with a target in another account than its job.
    bus.queue = [
        (
            due,
            n,
            env.model_copy(
                update={"payload": env.payload.model_copy(update={"pairs": (elsewhere,)})}
            ),
            r,
        )
        if env.type == "PairsMatched"
        else (due, n, env, r)
        for due, n, env, r in bus.queue
    ]
    await bus.run(bus.ended)

    assert bus.world.start_calls == []
    assert report(bus).servers[0].outcome == "rejected"


async def test_a_drill_never_launches_into_an_instance() -> None:
    bus = Bus()
    submit(bus, servers(2), spec("failover", drill=True))
    await bus.run(bus.ended)
    assert bus.world.start_calls == []
    assert outcomes(bus) == {"rejected": 2}


async def test_a_drill_starts_its_standard_launches_as_drill_jobs() -> None:
    bus = Bus()
    submit(bus, servers(3, launch_into=False), spec("failover", drill=True))
    await bus.run(bus.ended)
    assert [drill for _, _, drill in bus.world.start_calls] == [True]
    assert report(bus).status == "SUCCEEDED"


async def test_refused_starts_wait_and_try_again() -> None:
    bus = Bus()
    bus.world.refuse_next = 2
    submit(bus, servers(3), spec())
    await bus.run(bus.ended)

    assert report(bus).status == "SUCCEEDED"
    assert len(bus.world.start_calls) == 1
    assert bus.world.calls["StartRecovery"] == 3


async def test_throttling_backs_off_at_least_retry_after_and_completes() -> None:
    bus = Bus()
    bus.world.retry_after = 45
    bus.world.throttle["DescribeJobs"] = 3
    submit(bus, servers(5), spec())
    await bus.run(bus.ended)

    assert report(bus).status == "SUCCEEDED"
    ticks = [delay for kind, delay in bus.timers if kind == "MonitorTick"]
    assert sum(1 for d in ticks if d >= 45) >= 3


async def test_a_fifth_of_all_calls_throttled_still_completes_within_quotas() -> None:
    bus = Bus()
    bus.world.throttle_rate = 0.2
    submit(bus, servers(300, waves=3), spec())
    await bus.run(bus.ended)

    assert report(bus).status == "SUCCEEDED"
    assert bus.world.violations == []
    assert len({frozenset(ids) for _, ids, _ in bus.world.start_calls}) == len(
        bus.world.start_calls
    )


async def test_a_redelivered_message_sends_the_same_events_again_and_nothing_new() -> None:
    bus = Bus()
    submit(bus, servers(3), spec())
    await bus.run(bus.ended)
    ids = {e.event_id for e in bus.published}
    jobs = len(bus.world.jobs)

    bus.handled.clear()  # every message arrives once more, as after lost deletes
    for envelope in {e.event_id: e for e in bus.delivered}.values():
        bus.send(envelope)
    await bus.run()

    assert {e.event_id for e in bus.published} == ids
    assert len(bus.world.jobs) == jobs
    assert bus.parked == []


async def test_configuration_arriving_before_the_plan_is_kept() -> None:
    bus = Bus()
    plan = servers(3)
    submit(bus, plan, spec())
    bus.queue = [
        (due - 5 if env.type == "TargetConfigured" else due, n, env, r)
        for due, n, env, r in bus.queue
    ]
    await bus.run(bus.ended)
    assert report(bus).status == "SUCCEEDED"


async def test_metrics_and_a_notice_are_published_when_the_request_ends() -> None:
    bus = Bus()
    plan = servers(4)
    bus.world.failures[plan[0].launching_server_id] = "no"
    submit(bus, plan, spec())
    await bus.run(bus.ended)

    assert bus.metrics.requests == [(REQUEST, "PARTIAL", 3, 1)]
    assert [(launched, failed) for _, _, launched, failed in bus.metrics.jobs] == [(3, 1)]
    assert bus.metrics.jobs[0][1] > 0
    subject, message = bus.notifier.notices[0]
    assert REQUEST in subject and "PARTIAL" in subject and "1 failed" in message


async def test_a_large_report_is_chunked() -> None:
    bus = Bus()
    submit(bus, servers(1200, launch_into=False), spec("failover", launch_into="never"))
    bus.world.job_seconds = 60
    await bus.run(bus.ended)
    chunks = bus.completed()
    assert len(chunks) >= 2
    assert sum(len(c.servers) for c in chunks) == 1200
    assert sum(c.api_calls.get("StartRecovery", 0) for c in chunks) == 12


async def test_a_request_in_a_spoke_uses_the_spoke_for_its_jobs() -> None:
    bus = Bus()
    plan = [Server(1, account="210987654321"), Server(2, account="210987654321")]
    submit(bus, plan, spec())
    await bus.run(bus.ended)
    assert {place for place, _, _ in bus.world.start_calls} == {Place("210987654321", PRIMARY)}
    assert RECOVERY != PRIMARY


async def test_the_report_names_the_trace_the_plan_came_in() -> None:
    bus = Bus()
    submit(bus, servers(2), spec())
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    bus.queue = [
        (due, n, env.with_trace(TraceContext(traceparent=traceparent)), r)
        for due, n, env, r in bus.queue
    ]
    await bus.run(bus.ended)
    assert report(bus).trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_the_next_batch_starts_when_a_job_ends_not_a_growing_poll_later() -> None:
    # The production cadence: polls at 2% of a job's age, at least 15 s apart. Jobs all
    # last 1,000 s and quota lets one run at a time, so five rounds follow each other.
    bus = Bus(settings=fast_settings(poll_min_seconds=15, poll_max_seconds=300, poll_growth=0.02))
    bus.world.job_seconds = 1000
    bus.world.servers_in_active_jobs = 10
    bus.deps = replace(
        bus.deps, settings=bus.settings.model_copy(update={"max_servers_in_active_jobs": 10})
    )
    bus.handlers = handlers(bus.deps)
    submit(bus, servers(50), spec(batch_size=10))
    await bus.run(bus.ended)

    assert report(bus).status == "SUCCEEDED"
    assert bus.world.violations == []
    jobs = sorted(bus.world.jobs.values(), key=lambda j: j.created_at)
    gaps = [(b.created_at - a.ends_at).total_seconds() for a, b in itertools.pairwise(jobs)]
    assert len(gaps) == 4 and all(g >= 0 for g in gaps)
    # The first job's end is seen by the growing poll (up to 2% of 1,000 s late). Each
    # job seen running or done narrows when jobs of its kind end, and the next ones are
    # polled within that window: the wait for a job's end shrinks round by round.
    assert gaps[0] <= 20
    assert gaps == sorted(gaps, reverse=True), gaps
    assert gaps[-1] <= 1, gaps


async def test_the_targets_that_launch_next_are_read_while_drs_is_polled() -> None:
    # Quota for one job of 10 at a time, every server into its own target: the run that
    # sees a job end has already asked EC2 for the next batch's targets beside its poll.
    settings = fast_settings(max_servers_in_active_jobs=10)
    bus = Bus(settings=settings)
    bus.world.servers_in_active_jobs = 10
    bus.ec2.order = bus.world.order
    submit(bus, servers(30), spec(batch_size=10))
    await bus.run(bus.ended)

    assert report(bus).status == "SUCCEEDED"
    calls = [c for c in bus.world.order if c != "DescribeSourceServers"]
    starts = [i for i, call in enumerate(calls) if call == "StartRecovery"]
    assert len(starts) == 3
    # Until a job of their kind has ended, no poll is expected to see one end: the check
    # right before StartRecovery asks EC2 itself, after the capacity scan.
    for start in starts[:2]:
        assert calls[start - 2 : start] == ["DescribeJobs", "DescribeInstances"]
    # Then the poll, EC2 asked while DRS answers it, the capacity scan: no read after it.
    third = starts[2]
    assert calls[third - 3 : third] == ["DescribeJobs", "DescribeInstances", "DescribeJobs"]


async def test_a_job_that_ended_frees_its_quota_before_its_landings_are_proven() -> None:
    # Quota for one job of 10 at a time: each run that sees a job end starts the next
    # batch of the wave first, then reads the ended job's log and recovery instances.
    settings = fast_settings(max_servers_in_active_jobs=10)
    bus = Bus(settings=settings)
    bus.world.servers_in_active_jobs = 10
    submit(bus, servers(30), spec(batch_size=10))
    await bus.run(bus.ended)

    assert report(bus).status == "SUCCEEDED"
    assert {s.outcome for s in report(bus).servers} == {"recovered"}
    assert bus.world.violations == []
    calls = [c for c in bus.world.order if c in {"StartRecovery", "DescribeJobLogItems"}]
    assert calls == [
        "StartRecovery",
        "StartRecovery",  # the second batch, before the first job's log is read
        "DescribeJobLogItems",
        "StartRecovery",
        "DescribeJobLogItems",
        "DescribeJobLogItems",
    ]
    jobs = sorted(bus.world.jobs.values(), key=lambda j: j.created_at)
    started = Counter(s for j in jobs for s in j.server_ids)
    assert set(started.values()) == {1}
