"""Judging one account: scope, lineage, failback readiness, problems, candidate targets."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from drsorch.contracts import Problem
from drsorch.discovery.assessment import AccountReading, Findings, assess
from drsorch.discovery.domain import ActiveJob
from support.discovery_fakes import (
    HUB,
    PRIMARY,
    RECOVERY,
    instance,
    instance_id,
    recovery_instance,
    request_spec,
    server_id,
    source_server,
)


def kinds(findings: Findings, n: int) -> dict[str, bool]:
    """Problem kind -> blocking, for server n."""
    return {p.kind: p.blocking for p in findings.problems if p.source_server_id == server_id(n)}


def test_failover_selects_by_drs_tags_or_by_the_origin_instances_tags() -> None:
    reading = AccountReading(
        account_id=HUB,
        servers=[
            source_server(1, app="shop", Name="db-01"),
            source_server(2, Name="app-01"),  # tagged only on its EC2 instance
            source_server(3, app="other"),
        ],
        origins={
            instance_id(2): instance(2, region=PRIMARY, app="shop", dr__wave="2"),
            instance_id(3): instance(3, region=PRIMARY, app="shop"),  # DRS's app=other wins
        },
    )
    found = assess(request_spec(), reading)
    assert [s.source_server_id for s in found.servers] == [server_id(1), server_id(2)]
    second = found.servers[1]
    assert (second.name, second.wave, second.tags["app"]) == ("app-01", 2, "shop")
    assert found.problems == []


def test_an_extended_server_keeps_its_staging_account_and_an_unreachable_one_is_left_out() -> None:
    staging_arn = f"arn:aws:drs:{RECOVERY}:444400000001:source-server/s-0000000000000abcd"
    extended = replace(
        source_server(1, app="shop"),
        staging_account_id="444400000001",
        staging_source_server_arn=staging_arn,
    )
    lost = replace(
        source_server(2, app="shop"),
        staging_account_id="444400000001",
        staging_error="Staging source server was not found",
    )
    found = assess(request_spec(), AccountReading(account_id=HUB, servers=[extended, lost]))
    first, lost_found = found.servers
    assert (first.staging_account_id, first.staging_source_server_arn) == (
        "444400000001",
        staging_arn,
    )
    assert kinds(found, 1) == {}
    assert lost_found.staging_account_id == "444400000001"  # still listed, with its problem
    assert kinds(found, 2) == {"replication_unhealthy": True}
    [problem] = [p for p in found.problems if p.source_server_id == server_id(2)]
    assert "staging account 444400000001" in problem.reason
    assert "was not found" in problem.reason


def test_failover_targets_leave_out_the_instances_drs_launched() -> None:
    reading = AccountReading(
        account_id=HUB,
        servers=[source_server(1, app="shop")],
        recovery_instances=[recovery_instance(1, 900, drill=True)],
        targets=[instance(500, region=RECOVERY, Name="db-01"), instance(900, region=RECOVERY)],
    )
    found = assess(request_spec(), reading)
    assert [t.instance_id for t in found.targets] == [instance_id(500)]
    assert found.servers[0].recovery_instance is not None  # lineage kept for the matcher


def test_failover_replication_stopped_blocks_stalled_and_lag_are_reported() -> None:
    reading = AccountReading(
        account_id=HUB,
        servers=[
            source_server(1, app="shop", state="STOPPED"),
            source_server(2, app="shop", state="STALLED", lag=7200),
            source_server(3, app="shop", lag=61),
            source_server(4, app="shop", lag=60),
        ],
    )
    found = assess(request_spec(max_lag=60), reading)
    assert kinds(found, 1) == {"replication_unhealthy": True}
    # A disaster stalls every server; DRS still launches from the latest point in time.
    assert kinds(found, 2) == {"replication_unhealthy": False, "lag_too_high": False}
    assert kinds(found, 3) == {"lag_too_high": False}
    assert kinds(found, 4) == {}
    assert len(found.servers) == 4  # every server in scope is listed, problems or not


def failed_over(n: int) -> AccountReading:
    """Server n failed over: recovery instance 100+n running, original n in the primary."""
    return AccountReading(
        account_id=HUB,
        servers=[source_server(n, app="shop", state="STALLED", lag=9000)],
        recovery_instances=[recovery_instance(n, 100 + n)],
        targets=[instance(n, Name="renamed-since-failover", app="shop")],
    )


def test_failback_is_valid_before_reverse_replication_has_started() -> None:
    found = assess(request_spec("failback"), failed_over(1))
    (server,) = found.servers
    assert server.origin_instance_id == instance_id(1)
    assert server.recovery_instance is not None
    assert server.recovery_instance.ec2_instance_id == instance_id(101)
    assert server.failback_server is None
    # The forward server's own stalled replication is expected: its original is stopped.
    assert found.problems == []
    assert [t.instance_id for t in found.targets] == [instance_id(1)]


def test_the_failback_server_is_found_by_its_aws_instance_id_not_the_stale_arn() -> None:
    reading = failed_over(1)
    stale = source_server(7, region=PRIMARY, direction="FAILBACK", origin=999)  # older cycle
    current = source_server(8, region=PRIMARY, direction="FAILBACK", origin=101, state="BACKLOG")
    # DRS still links the forward server to the FAILBACK server of an earlier cycle.
    forward = replace(reading.servers[0], reversed_arn=stale.arn)
    reading = replace(reading, servers=[forward], failback_servers=[stale, current])
    found = assess(request_spec("failback"), reading)
    (server,) = found.servers
    assert server.failback_server is not None
    assert server.failback_server.source_server_id == server_id(8)
    assert server.failback_server.region == PRIMARY
    assert server.reversed_direction_server_arn == stale.arn  # reported as DRS shows it
    assert kinds(found, 1) == {"replication_unhealthy": False}
    (problem,) = found.problems
    assert server_id(8) in problem.reason and "BACKLOG" in problem.reason


def test_failback_reverse_lag_above_the_limit_is_reported_not_blocking() -> None:
    reading = failed_over(1)
    back = source_server(8, region=PRIMARY, direction="FAILBACK", origin=101, lag=600)
    reading = AccountReading(
        account_id=HUB,
        servers=reading.servers,
        failback_servers=[back],
        recovery_instances=reading.recovery_instances,
    )
    assert kinds(assess(request_spec("failback", max_lag=60), reading), 1) == {
        "lag_too_high": False
    }


def test_failback_needs_a_running_recovery_launch() -> None:
    servers = [source_server(n, app="shop") for n in (1, 2, 3)]
    reading = AccountReading(
        account_id=HUB,
        servers=servers,
        recovery_instances=[
            recovery_instance(2, 102, drill=True),
            recovery_instance(3, 103, state="STOPPED"),
        ],
    )
    found = assess(request_spec("failback"), reading)
    for n in (1, 2, 3):
        assert kinds(found, n) == {"recovery_instance_missing": True}
    reasons = {p.source_server_id: p.reason for p in found.problems}
    assert "not failed over" in reasons[server_id(1)]
    assert "drill" in reasons[server_id(2)]
    assert "STOPPED" in reasons[server_id(3)]


def test_a_recovery_launch_is_preferred_over_a_drill_of_the_same_server() -> None:
    reading = AccountReading(
        account_id=HUB,
        servers=[source_server(1, app="shop")],
        recovery_instances=[recovery_instance(1, 201, drill=True), recovery_instance(1, 101)],
    )
    (server,) = assess(request_spec("failback"), reading).servers
    assert server.recovery_instance is not None
    assert server.recovery_instance.ec2_instance_id == instance_id(101)


def test_a_server_in_an_active_job_is_blocked_whichever_of_its_servers_the_job_holds() -> None:
    reading = failed_over(1)
    back = source_server(8, region=PRIMARY, direction="FAILBACK", origin=101)
    reading = AccountReading(
        account_id=HUB,
        servers=reading.servers,
        failback_servers=[back],
        recovery_instances=reading.recovery_instances,
        active_jobs=[ActiveJob("drsjob-00000000000000001", PRIMARY, frozenset({server_id(8)}))],
    )
    found = assess(request_spec("failback"), reading)
    assert kinds(found, 1) == {"busy_in_job": True}
    assert "drsjob-00000000000000001" in found.problems[0].reason


def test_a_failback_server_id_in_scope_stands_for_its_forward_server() -> None:
    reading = failed_over(1)
    back = source_server(8, region=PRIMARY, direction="FAILBACK", origin=101)
    reading = AccountReading(
        account_id=HUB,
        servers=[*reading.servers, source_server(2, app="shop")],
        failback_servers=[back],
        recovery_instances=reading.recovery_instances,
    )
    found = assess(request_spec("failback", ids=[server_id(8)]), reading)
    assert [s.source_server_id for s in found.servers] == [server_id(1)]


def test_a_bad_wave_tag_blocks_the_server_and_says_why() -> None:
    reading = AccountReading(account_id=HUB, servers=[source_server(1, app="shop", dr__wave="x")])
    found = assess(request_spec(), reading)
    assert kinds(found, 1) == {"wave_tag_invalid": True}
    assert found.servers[0].wave == 0


@settings(max_examples=50)
@given(st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_drs_lists_things(rng: random.Random) -> None:
    servers = [source_server(n, app="shop", lag=n * 10) for n in range(1, 30)]
    jobs = [ActiveJob(f"drsjob-{n:017d}", RECOVERY, frozenset({server_id(n)})) for n in (3, 9)]
    first = assess(request_spec(), AccountReading(HUB, servers, active_jobs=jobs))
    rng.shuffle(servers)
    rng.shuffle(jobs)
    again = assess(request_spec(), AccountReading(HUB, servers, active_jobs=jobs))
    assert first.servers == again.servers
    assert sorted(first.problems, key=_key) == sorted(again.problems, key=_key)


def _key(problem: Problem) -> tuple[str, str]:
    return (problem.source_server_id or "", problem.kind)
