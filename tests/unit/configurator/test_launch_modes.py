"""Launch-into modes, standard launches with request and tag settings, tagging lineage targets."""

from __future__ import annotations

from drsorch.contracts import LaunchConfiguration, LaunchSettings, RequestOptions
from drsorch.contracts.types import Place
from support.configurator_scenario import HUB, PRIMARY, RECOVERY, Scenario, results, spec


async def test_failback_requires_a_target_by_default() -> None:
    scenario = Scenario()
    pair = scenario.failback(with_target=False)
    got = results(await scenario.send(pair))[pair.server.source_server_id]
    assert got.outcome == "rejected"
    assert "launch-into is required" in (got.reason or "")
    assert scenario.cloud.drs.reversed == []


async def test_failover_without_a_target_gets_a_standard_launch_and_loses_a_stale_target() -> None:
    scenario = Scenario()
    pair = scenario.failover(with_target=False)
    settings = LaunchSettings(copy_private_ip=True, right_sizing="BASIC")
    request = spec("failover", launch_settings=settings)
    got = results(await scenario.send(pair, request_spec=request))[pair.server.source_server_id]
    assert got.outcome == "configured"
    assert got.launching_server_id == pair.server.source_server_id
    assert got.launch_region == RECOVERY
    assert got.target_instance_id is None
    assert got.previous is not None
    assert got.previous.launch_into_instance_id == "i-0123456789abcdef0"
    assert got.desired is not None
    assert got.desired.launch_into_instance_id is None
    assert got.desired.copy_private_ip is True
    assert got.desired.right_sizing == "BASIC"


async def test_failover_prefers_the_paired_target() -> None:
    scenario = Scenario()
    pair = scenario.failover()
    got = results(await scenario.send(pair, request_spec=spec("failover")))
    result = got[pair.server.source_server_id]
    assert result.outcome == "configured"
    assert pair.target is not None
    assert result.target_instance_id == pair.target.instance_id
    assert result.launching_server_id == pair.server.source_server_id
    assert scenario.cloud.drs.reversed == []


async def test_failover_required_refuses_an_unpaired_server() -> None:
    scenario = Scenario()
    pair = scenario.failover(with_target=False)
    request = spec("failover", launch_into="required")
    got = results(await scenario.send(pair, request_spec=request))[pair.server.source_server_id]
    assert got.outcome == "rejected"
    assert scenario.cloud.drs.updates == []


async def test_a_drill_never_launches_into_an_instance_even_when_paired() -> None:
    scenario = Scenario()
    pair = scenario.failover()
    got = results(await scenario.send(pair, request_spec=spec("failover", drill=True)))
    result = got[pair.server.source_server_id]
    assert result.outcome == "configured"
    assert result.target_instance_id is None
    assert scenario.cloud.ec2.looked_up == []  # the production target is not even read
    [(_, _, desired)] = scenario.cloud.drs.updates
    assert desired.launch_into_instance_id is None


async def test_never_gives_standard_launches_to_paired_servers() -> None:
    scenario = Scenario()
    pair = scenario.failover()
    got = results(await scenario.send(pair, request_spec=spec("failover", launch_into="never")))
    result = got[pair.server.source_server_id]
    assert result.desired is not None
    assert result.desired.launch_into_instance_id is None
    assert all(c.launch_into_instance_id is None for _, _, c in scenario.cloud.drs.updates)


async def test_drsorch_tags_on_the_source_server_override_the_request() -> None:
    scenario = Scenario()
    tags = {"drsorch:copy-private-ip": "false", "drsorch:launch-disposition": "stopped"}
    pair = scenario.failover(with_target=False, server_tags=tags)
    settings = LaunchSettings(copy_private_ip=True, launch_disposition="STARTED")
    request = spec("failover", launch_settings=settings)
    result = results(await scenario.send(pair, request_spec=request))[pair.server.source_server_id]
    assert result.desired is not None
    assert result.desired.copy_private_ip is False
    assert result.desired.launch_disposition == "STOPPED"


async def test_a_tag_drsorch_cannot_read_rejects_the_server() -> None:
    scenario = Scenario()
    pair = scenario.failover(with_target=False, server_tags={"drsorch:copy-tags": "maybe"})
    result = results(await scenario.send(pair, request_spec=spec("failover")))[
        pair.server.source_server_id
    ]
    assert result.outcome == "rejected"
    assert "drsorch:copy-tags='maybe'" in (result.reason or "")
    assert scenario.cloud.drs.updates == []


async def test_an_unchanged_configuration_is_not_updated() -> None:
    scenario = Scenario()
    pair = scenario.failback(reversed_already=True)
    back = scenario.failback_server_of(pair)
    assert pair.target is not None
    scenario.cloud.drs.configurations[back.place, back.source_server_id] = LaunchConfiguration(
        copy_private_ip=False,
        copy_tags=False,
        right_sizing="NONE",
        launch_into_instance_id=pair.target.instance_id,
    )
    result = results(await scenario.send(pair))[pair.server.source_server_id]
    assert result.outcome == "unchanged"
    assert result.launching_server_id == back.source_server_id
    assert scenario.cloud.drs.updates == []


async def test_lineage_targets_are_tagged_only_when_the_request_allows_it() -> None:
    scenario = Scenario()
    lineage = scenario.failback(tagged=False, method="lineage")
    by_name = scenario.failback(tagged=False, method="name")
    request = spec(options=RequestOptions(tag_lineage_targets=True))
    got = results(await scenario.send(lineage, by_name, request_spec=request))
    assert got[lineage.server.source_server_id].outcome == "configured"
    assert got[by_name.server.source_server_id].outcome == "rejected"
    assert lineage.target is not None
    assert scenario.cloud.ec2.tagged == [(Place(HUB, PRIMARY), lineage.target.instance_id)]
