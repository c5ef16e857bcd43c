"""Plan-only requests compute and report the diff, and change nothing."""

from __future__ import annotations

from drsorch.contracts import RequestOptions
from support.configurator_scenario import Scenario, results, spec


def assert_nothing_changed(scenario: Scenario) -> None:
    assert scenario.cloud.drs.reversed == []
    assert scenario.cloud.drs.updates == []
    assert scenario.cloud.ec2.tagged == []
    assert scenario.store.kept == {}


async def test_a_plan_lists_reverse_replication_without_starting_it() -> None:
    scenario = Scenario()
    pair = scenario.failback()
    got = results(await scenario.send(pair, request_spec=spec(plan_only=True)))
    result = got[pair.server.source_server_id]
    assert result.outcome == "planned"
    assert f"would start reverse replication on recovery instance {pair.recovery_instance_id}" in (
        result.reason or ""
    )
    assert pair.target is not None
    assert result.desired is not None
    assert result.desired.launch_into_instance_id == pair.target.instance_id
    assert not result.reverse_replication_started
    assert_nothing_changed(scenario)


async def test_a_plan_shows_previous_and_desired_and_what_would_change() -> None:
    scenario = Scenario()
    pair = scenario.failback(reversed_already=True)
    got = results(await scenario.send(pair, request_spec=spec(plan_only=True)))
    result = got[pair.server.source_server_id]
    assert result.outcome == "planned"
    assert result.previous is not None
    assert result.previous.copy_private_ip is True
    assert result.desired is not None
    assert result.desired.copy_private_ip is False
    assert "copy_private_ip" in (result.reason or "")
    assert "launch_into_instance_id" in (result.reason or "")
    assert result.launching_server_id == scenario.failback_server_of(pair).source_server_id
    assert_nothing_changed(scenario)


async def test_a_plan_says_it_would_tag_a_lineage_target_but_does_not() -> None:
    scenario = Scenario()
    pair = scenario.failback(reversed_already=True, tagged=False, method="lineage")
    request = spec(plan_only=True, options=RequestOptions(tag_lineage_targets=True))
    result = results(await scenario.send(pair, request_spec=request))[pair.server.source_server_id]
    assert result.outcome == "planned"
    assert "would tag" in (result.reason or "")
    assert_nothing_changed(scenario)


async def test_a_plan_still_reports_refused_targets() -> None:
    scenario = Scenario()
    pair = scenario.failback(state="running")
    result = results(await scenario.send(pair, request_spec=spec(plan_only=True)))[
        pair.server.source_server_id
    ]
    assert result.outcome == "rejected"
    assert_nothing_changed(scenario)
