"""Pure decisions: durations, readiness, polling, back-off, landings, selections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drsorch.contracts import ServerLaunch
from drsorch.contracts.types import Place
from drsorch.monitor.domain import landing, pacing, readiness, selection
from drsorch.monitor.domain.facts import (
    Instance,
    JobLog,
    Participant,
    RecoveryInstance,
    RecoveryJob,
    Replication,
)
from drsorch.monitor.domain.records import BatchRecord, BatchStatus, Member, ServerRecord
from support.monitor_builders import HUB, RECOVERY, Server, instance_id, spec
from support.monitor_scenarios import TAGGED

NOW = datetime(2026, 11, 25, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT0S", 0), ("PT12S", 12), ("PT1H2M3S", 3723), ("P1DT1S", 86_401), ("PT1.5S", 1)],
)
def test_iso_durations_read_as_seconds(text: str, seconds: int) -> None:
    assert readiness.duration_seconds(text) == seconds


@pytest.mark.parametrize("text", [None, "", "P", "PT", "12", "2026-01-01T00:00:00Z"])
def test_unreadable_durations_are_none(text: str | None) -> None:
    assert readiness.duration_seconds(text) is None


@pytest.mark.parametrize(
    ("view", "ready"),
    [
        (Replication("CONTINUOUS", 0), True),
        (Replication("CONTINUOUS", 60), True),
        (Replication("CONTINUOUS", None), True),
        (Replication("CONTINUOUS", 61), False),
        (Replication("RESCAN", 0), False),
        (Replication("INITIAL_SYNC", None), False),
        (None, False),
    ],
)
def test_readiness_needs_continuous_replication_with_little_lag(
    view: Replication | None, ready: bool
) -> None:
    assert (readiness.not_ready_reason(view, 60) is None) is ready


def test_only_failbacks_are_gated() -> None:
    assert readiness.gated(spec("failback"))
    assert not readiness.gated(spec("failover"))


@given(st.floats(0, 1e6))
def test_the_poll_interval_grows_with_age_within_bounds(age: float) -> None:
    pace = pacing.Pacing(poll_min=15, poll_max=300, poll_growth=0.1)
    interval = pacing.poll_interval(timedelta(seconds=age), pace).total_seconds()
    assert 15 <= interval <= 300
    later = pacing.poll_interval(timedelta(seconds=age * 2 + 1), pace).total_seconds()
    assert later >= interval


def test_polls_are_short_at_first_and_long_for_long_jobs() -> None:
    pace = pacing.Pacing(poll_min=15, poll_max=300, poll_growth=0.1)
    assert pacing.poll_interval(timedelta(seconds=30), pace) == timedelta(seconds=15)
    assert pacing.poll_interval(timedelta(minutes=20), pace) == timedelta(seconds=120)
    assert pacing.poll_interval(timedelta(hours=2), pace) == timedelta(seconds=300)


@given(st.floats(0, 1000) | st.none(), st.integers(1, 40))
def test_backoff_honours_retry_after_and_doubles_within_the_cap(
    retry_after: float | None, streak: int
) -> None:
    pace = pacing.Pacing(throttle_base=2, throttle_max=300)
    wait = pacing.backoff(retry_after, streak, pace)
    assert wait <= 300
    assert wait >= min(300, retry_after or 0)
    assert wait >= min(300, 2 * 2 ** (streak - 1))


def _landing(
    status: str = "LAUNCHED",
    ec2: str | None = None,
    ip: str | None = "10.0.0.4",
    *,
    lineage: landing.Lineage | None = None,
    logged: str | None = None,
    volumes_after: tuple[str, ...] = ("vol-new",),
) -> landing.Landing:
    member = Member(
        source_server_id="s-s0000000000000001",
        launching_server_id="s-f0000000000000001",
        expected_instance_id=instance_id(1),
        volumes_before=("vol-old",),
    )
    participant = Participant(
        "s-f0000000000000001", status, "i-0000000000000001" if status == "LAUNCHED" else None
    )
    job = RecoveryJob("drsjob-00000000000000001", "COMPLETED", participants=(participant,))
    landed = ec2 or instance_id(1)
    instances = [
        RecoveryInstance("i-0000000000000001", "s-f0000000000000001", landed, "RUNNING", job.job_id)
    ]
    seen = {landed: Instance(landed, "running", ip, volume_ids=volumes_after)}
    log = JobLog(
        failures={"s-f0000000000000001": "LAUNCH_FAILED: boom"},
        launched_into={"s-f0000000000000001": logged} if logged else {},
    )
    return landing.server_launch(
        member,
        job=job,
        instances=instances,
        ec2=seen,
        log=log,
        private_ip_before="10.0.0.4",
        lineage=lineage,
    )


def _launch(
    status: str = "LAUNCHED", ec2: str | None = None, ip: str | None = "10.0.0.4"
) -> ServerLaunch:
    return _landing(status, ec2, ip).launch


def test_a_launch_into_the_expected_instance_keeping_its_ip_is_recovered() -> None:
    launch = _launch()
    assert launch.launched_into_expected
    assert landing.outcome(launch) == ("recovered", None)
    direct = landing.Lineage(instance_id(1), instance_id(1), instance_id(1))
    proven = _landing(lineage=direct, logged=instance_id(1))
    assert (proven.outcome, proven.reason) == ("recovered", None)
    assert proven.launch.volumes_replaced is True
    assert any("awsInstanceID is" in fact for fact in proven.launch.proof)


def test_a_launch_elsewhere_or_with_a_new_ip_is_not_recovered() -> None:
    elsewhere = landing.outcome(_launch(ec2=instance_id(9)))
    moved = landing.outcome(_launch(ip="10.0.0.99"))
    assert elsewhere[0] == moved[0] == "recovered_elsewhere"
    assert instance_id(9) in str(elsewhere[1])
    assert "10.0.0.4 -> 10.0.0.99" in str(moved[1])


def test_landing_in_the_approved_target_is_elsewhere_when_drs_lineage_changed() -> None:
    # The plan's target is not proof: DRS's own record of the origin is, and it moved on
    # since the pair was made.
    moved = landing.Lineage(instance_id(1), instance_id(1), instance_id(7))
    wrong = _landing(lineage=moved)
    assert wrong.outcome == "recovered_elsewhere"
    assert f"was {instance_id(1)}, is now {instance_id(7)}" in str(wrong.reason)
    assert not any("awsInstanceID is" in fact for fact in wrong.launch.proof)


def test_a_lineage_chain_lands_in_its_end_while_drs_records_its_first_step() -> None:
    # DRS records a recovery instance as the origin; that instance's own origin is the
    # target. Unchanged since the pair was made, the landing in the target is proven.
    chain = landing.Lineage(instance_id(1), "i-0000000000000abcd", "i-0000000000000abcd")
    proven = _landing(lineage=chain, logged=instance_id(1))
    assert (proven.outcome, proven.reason) == ("recovered", None)
    assert any("which leads to" in fact for fact in proven.launch.proof)
    gone = landing.Lineage(instance_id(1), "i-0000000000000abcd", None)
    assert _landing(lineage=gone).outcome == "recovered_elsewhere"


def test_a_standard_launch_into_an_instance_opened_for_launches_into_it_is_not_proven() -> None:
    member = Member(
        source_server_id="s-s0000000000000001", launching_server_id="s-s0000000000000001"
    )
    participant = Participant("s-s0000000000000001", "LAUNCHED", "i-0000000000000001")
    job = RecoveryJob("drsjob-00000000000000001", "COMPLETED", participants=(participant,))
    landed = instance_id(3)
    instances = [
        RecoveryInstance("i-0000000000000001", "s-s0000000000000001", landed, "RUNNING", job.job_id)
    ]

    def judged(tags: dict[str, str]) -> landing.Landing:
        seen = {landed: Instance(landed, "running", "10.0.0.9", tags=tags)}
        return landing.server_launch(
            member, job=job, instances=instances, ec2=seen, log=JobLog(), private_ip_before=None
        )

    assert judged({}).outcome == "recovered"
    existing = judged({"AWSDRS": "AllowLaunchingIntoThisInstance"})
    assert existing.outcome == "recovered_elsewhere"
    assert "a standard launch was approved" in str(existing.reason)


def test_a_landing_whose_volumes_stayed_or_whose_log_names_another_instance_is_not_proven() -> None:
    kept = _landing(volumes_after=("vol-old",))
    assert kept.outcome == "recovered_elsewhere"
    assert "were not replaced" in str(kept.reason)
    logged = _landing(logged=instance_id(5))
    assert logged.outcome == "recovered_elsewhere"
    assert instance_id(5) in str(logged.reason)


def test_a_failed_launch_carries_drs_reason() -> None:
    launch = _launch("FAILED")
    assert landing.outcome(launch) == ("failed", "LAUNCH_FAILED: boom")
    assert launch.recovery_instance_id is None


def test_a_launch_status_drs_does_not_list_is_a_named_failure_not_a_crash() -> None:
    unread = _landing("CANCELLED")
    assert unread.outcome == "failed"
    assert "launch_status" in str(unread.reason) and "s-f0000000000000001" in str(unread.reason)
    assert "out of range for drsorch" in str(unread.reason)


def test_a_landing_drs_reports_off_its_id_pattern_is_never_proven() -> None:
    # DRS says LAUNCHED, into an instance whose ID drsorch cannot carry: not recovered.
    unread = _landing(ec2="!")
    assert unread.outcome == "recovered_elsewhere"
    assert unread.launch.launch_status == "LAUNCHED"
    assert not unread.launch.launched_into_expected
    assert "ec2_instance_id" in str(unread.reason) and "cannot be proven" in str(unread.reason)


def test_the_last_failure_logged_per_server_is_its_reason() -> None:
    log = [
        ("JOB_START", None, None),
        ("SNAPSHOT_FAIL", "s-1", "snapshot broke"),
        ("LAUNCH_FAILED", "s-1", "no capacity"),
        ("LAUNCH_START", "s-2", None),
    ]
    assert landing.failure_reasons(log) == {"s-1": "LAUNCH_FAILED: no capacity"}


def _record(server: Server) -> ServerRecord:
    return ServerRecord(pair=server.pair())


@pytest.mark.parametrize(
    ("server", "request_spec", "outcome"),
    [
        (Server(1, outcome="rejected", reason="target is running"), spec(), "rejected"),
        (Server(1), spec(plan_only=True), "planned"),
        (Server(1, outcome="planned"), spec(), "skipped"),
        (Server(1), spec("failover", drill=True), "rejected"),
        (Server(1), spec("failover", launch_into="never"), "rejected"),
        (Server(1, launch_into=False), spec("failback"), "rejected"),
    ],
)
def test_servers_that_must_not_launch_are_decided(
    server: Server, request_spec: object, outcome: str
) -> None:
    chosen = selection.select(_record(server), server.result(), request_spec, frozenset())  # type: ignore[arg-type]
    assert isinstance(chosen, selection.Decided)
    assert chosen.outcome == outcome


def test_a_configured_server_launches_its_failback_server_into_its_target() -> None:
    server = Server(1)
    chosen = selection.select(_record(server), server.result(), spec(), frozenset())
    assert chosen == selection.Launch(
        Place("123456789012", "us-east-1"), server.launching_server_id, server.target_instance_id
    )


def test_an_ambiguous_or_misplaced_target_is_never_launched_into() -> None:
    server = Server(1)
    ambiguous = selection.select(
        _record(server), server.result(), spec(), frozenset({server.source_server_id})
    )
    assert isinstance(ambiguous, selection.Decided) and "ambiguous" in str(ambiguous.reason)
    elsewhere = server.result().model_copy(update={"account_id": "210987654321"})
    misplaced = selection.select(_record(server), elsewhere, spec(), frozenset())
    assert isinstance(misplaced, selection.Decided) and "sits in" in str(misplaced.reason)


def test_a_target_in_another_region_or_not_the_matched_one_is_never_launched_into() -> None:
    server = Server(1)
    # Same account as the job, but the matched target sits in the recovery region.
    elsewhere = ServerRecord(pair=server.pair(launch_region=RECOVERY))
    regional = selection.select(elsewhere, server.result(), spec(), frozenset())
    assert isinstance(regional, selection.Decided)
    assert f"{HUB}/{RECOVERY}" in str(regional.reason)
    # The configurator prepared a launch into another instance than the one matched.
    swapped = server.result().model_copy(update={"target_instance_id": instance_id(2)})
    other = selection.select(_record(server), swapped, spec(), frozenset())
    assert isinstance(other, selection.Decided)
    assert "is not the matched target" in str(other.reason)


def test_no_result_yet_waits() -> None:
    assert isinstance(
        selection.select(_record(Server(1)), None, spec(), frozenset()), selection.Wait
    )


@pytest.mark.parametrize(
    ("instance", "problem"),
    [
        (None, "is not an instance"),
        (Instance(instance_id(1), "running", "10.0.0.4", TAGGED), "is running"),
        (Instance(instance_id(1), "stopped", "10.0.0.4", {}), "lacks the tag"),
        (Instance(instance_id(1), "stopped", "10.0.0.4", {"AWSDRS": "no"}), "lacks the tag"),
        (Instance(instance_id(1), "stopped", "10.0.0.4", TAGGED), None),
    ],
)
def test_a_target_is_checked_right_before_launch(
    instance: Instance | None, problem: str | None
) -> None:
    refusal = selection.target_refusal(instance_id(1), instance, Place("123456789012", "us-east-1"))
    assert (refusal is None) if problem is None else (problem in str(refusal))


def _running(started_s: float, *, drill: bool = False) -> BatchRecord:
    start = NOW + timedelta(seconds=started_s)
    return BatchRecord(
        key=f"001-{int(started_s):04d}",
        wave=1,
        index=0,
        account_id="123456789012",
        region="us-east-1",
        members=(Member(source_server_id="s-1", launching_server_id="s-1"),),
        drill=drill,
        intent_at=start,
        status=BatchStatus.STARTED,
        started_at=start,
        answered_at=start,
        # DRS's own times run on another clock (the local emulator's runs faster):
        # never used to expect an end.
        created_at=start - timedelta(days=3),
        ended_at=start - timedelta(days=3) + timedelta(seconds=5),
    )


def _ended(started_s: float, seconds: float, *, drill: bool = False) -> BatchRecord:
    batch = _running(started_s, drill=drill)
    seen = (batch.answered_at or NOW) + timedelta(seconds=seconds)
    return batch.model_copy(update={"status": BatchStatus.COMPLETED, "done_seen_at": seen})


def test_a_job_is_polled_when_one_of_its_kind_ran_as_long_and_closely_after() -> None:
    pace = pacing.Pacing(poll_min=15, poll_max=300, poll_growth=0.02)
    job = _running(0)
    done = [_ended(-2000, 1015), _ended(-1500, 1100), _ended(-900, 300, drill=True)]
    done[1] = done[1].model_copy(update={"running_seen_at": NOW - timedelta(seconds=1500 - 995)})
    typical = pacing.typical_run([*done, job], job)
    assert typical == pacing.Typical(low=timedelta(seconds=995), high=timedelta(seconds=1015))
    assert typical.guess == timedelta(seconds=1005), "halfway: each poll halves the window"
    assert pacing.typical_run([job, done[2]], job) is None, "no job of its kind ended yet"

    def poll_at(now_s: float, typical: pacing.Typical | None) -> float:
        now = NOW + timedelta(seconds=now_s)
        return (pacing.next_poll(job, now, pace, typical) - NOW).total_seconds()

    # Without a job of its kind ended: 2% of its age, between the bounds.
    assert poll_at(980, None) == 999.6
    # Jobs of its kind ran between 995 and 1015 s: looked at at 1005, then 1015.
    assert poll_at(980, typical) == 999.6, "the age-based poll comes first"
    assert poll_at(1000, typical) == 1005
    assert poll_at(1005, typical) == 1015
    assert poll_at(100, typical) == 115, "young: the usual interval"
    # Past both: polled again after an eighth of poll_min, then after as long again as
    # it is late, up to poll_min; much later, less and less often.
    polls = [1015.0]
    while polls[-1] < 1040:
        polls.append(poll_at(polls[-1], typical))
    assert polls == [1015, 1016.875, 1018.75, 1022.5, 1030, 1045]
    assert poll_at(1015 + 3000, typical) == 1015 + 3000 + 60


def test_each_poll_of_a_job_still_running_halves_what_is_left_of_its_window() -> None:
    pace = pacing.Pacing(poll_min=15, poll_max=300, poll_growth=0.02)
    job = _running(0)
    typical = pacing.Typical(low=timedelta(seconds=985), high=timedelta(seconds=1015))

    def seen_running_at(now_s: float) -> float:
        now = NOW + timedelta(seconds=now_s)
        polled = job.model_copy(update={"running_seen_at": now})
        return (pacing.next_poll(polled, now, pace, typical) - NOW).total_seconds()

    polls = [1000.0]
    while polls[-1] < 1015:
        polls.append(seen_running_at(polls[-1]))
    # 15 s left, then 7.5, 3.75 and 1.875: at an eighth of poll_min the window's end.
    assert polls == [1000, 1007.5, 1011.25, 1013.125, 1015]
    assert seen_running_at(1015) == 1016.875, "past the bound: as before"
    assert seen_running_at(970) == 989.4, "before the window: the age-based poll first"
