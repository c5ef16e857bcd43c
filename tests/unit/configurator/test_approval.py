"""The approval binds what an apply launches (design §4), and DRS's own record of a
server's origin is checked before anything is created for it.

The configurator plans every pair without changing anything and hashes what an apply
would launch; the approved hash must be exactly that, or nothing is written.
"""

from __future__ import annotations

import dataclasses

from drsorch.configurator.domain import SourceServer
from drsorch.contracts.types import LAUNCH_INTO_TAG_KEY, Place
from support.configurator_scenario import HUB, PRIMARY, RECOVERY, Scenario, results, spec


def _start_target(scenario: Scenario, instance_id: str, state: str) -> None:
    place = Place(HUB, PRIMARY)
    found = scenario.cloud.ec2.instances_by_place[place, instance_id]
    scenario.cloud.ec2.add(dataclasses.replace(found, state=state))


async def test_a_refused_target_that_became_launchable_moves_the_hash() -> None:
    scenario = Scenario()
    ready, refused = scenario.failback(), scenario.failback(state="running")
    assert refused.target is not None
    before = await scenario.plan_hash(ready, refused)
    # Someone stops the refused server's original: it would now launch too.
    _start_target(scenario, refused.target.instance_id, "stopped")
    after = await scenario.plan_hash(ready, refused)
    assert before != after

    # The approval of the plan the approver saw launches nothing, and writes nothing.
    stale = await scenario.send(
        ready, refused, request_spec=spec(approved_plan_hash=before), request_id="req-stale-01"
    )
    assert {r.outcome for r in results(stale).values()} == {"rejected"}
    assert all("plan drift" in (r.reason or "") for r in results(stale).values())
    assert scenario.cloud.drs.updates == [] and scenario.cloud.drs.reversed == []

    # Planned again, the new hash applies, and both launch.
    fresh = await scenario.send(
        ready, refused, request_spec=spec(approved_plan_hash=after), request_id="req-fresh-01"
    )
    assert {r.outcome for r in results(fresh).values()} == {"configured"}


async def test_the_hash_covers_the_launch_settings_that_change() -> None:
    scenario = Scenario()
    pair = scenario.failback()
    plain = await scenario.plan_hash(pair)
    started = spec(launch_settings={"launch_disposition": "STARTED"})
    assert await scenario.plan_hash(pair, request_spec=started) != plain


async def test_a_name_pair_for_a_server_whose_origin_drs_records_elsewhere_is_refused() -> None:
    scenario = Scenario()
    decoy = scenario.failback()  # another instance, stopped and tagged
    assert decoy.target is not None
    pair = scenario.failback(method="name", target_ref={"instance_id": decoy.target.instance_id})
    got = results(await scenario.send(pair))[pair.server.source_server_id]
    assert got.outcome == "rejected"
    assert "lineage outranks names" in (got.reason or "")
    assert scenario.cloud.drs.reversed == [] and scenario.cloud.drs.updates == []


async def test_a_lineage_chain_pair_launches_while_drs_still_records_its_first_step() -> None:
    # DRS records a recovery instance of an earlier failover as the origin; that
    # instance's own origin is the target. The pair rests on that record, not on the target.
    scenario = Scenario()
    pair = scenario.failback()
    place = Place(HUB, RECOVERY)
    server = scenario.cloud.drs.servers[place, pair.server.source_server_id]
    step = "i-0000000000000beef"
    scenario.cloud.drs.servers[place, pair.server.source_server_id] = dataclasses.replace(
        server, aws_instance_id=step
    )
    chain = pair.model_copy(update={"origin_instance_id": step})
    got = results(await scenario.send(chain))[pair.server.source_server_id]
    assert got.outcome == "configured", got.reason
    # The same record under a pair that rests on another one is refused.
    other = Scenario()
    moved = other.failback()
    at = other.cloud.drs.servers[place, moved.server.source_server_id]
    other.cloud.drs.servers[place, moved.server.source_server_id] = dataclasses.replace(
        at, aws_instance_id=step
    )
    refused = results(await other.send(moved))[moved.server.source_server_id]
    assert refused.outcome == "rejected"
    assert f"origin {step} recorded by DRS" in (refused.reason or "")


async def test_an_origin_in_another_region_is_refused_before_reverse_replication() -> None:
    scenario = Scenario()
    pair = scenario.failback()
    place = Place(HUB, RECOVERY)
    server = scenario.cloud.drs.servers[place, pair.server.source_server_id]
    moved = dataclasses.replace(server, origin_region="us-east-2")
    scenario.cloud.drs.servers[place, pair.server.source_server_id] = moved
    got = results(await scenario.send(pair))[pair.server.source_server_id]
    assert got.outcome == "rejected"
    assert f"is in us-east-2, not the primary region {PRIMARY}" in (got.reason or "")
    assert scenario.cloud.drs.reversed == []


async def test_a_wrong_value_of_the_launch_into_tag_is_named_as_such() -> None:
    scenario = Scenario()
    pair = scenario.failback(tagged=False)
    assert pair.target is not None
    place = Place(HUB, PRIMARY)
    found = scenario.cloud.ec2.instances_by_place[place, pair.target.instance_id]
    tags = {**found.tags, LAUNCH_INTO_TAG_KEY: "yes"}
    scenario.cloud.ec2.add(dataclasses.replace(found, tags=tags))
    got = results(await scenario.send(pair))[pair.server.source_server_id]
    assert got.outcome == "rejected"
    assert f"is tagged {LAUNCH_INTO_TAG_KEY}='yes', not AllowLaunchingIntoThisInstance" in (
        got.reason or ""
    )


def test_servers_read_from_drs_carry_their_recorded_origin() -> None:
    from drsorch.configurator.adapters.drs import source_server  # noqa: PLC0415

    item = {
        "sourceServerID": "s-00000000000000001",
        "sourceProperties": {"identificationHints": {"awsInstanceID": "i-0123456789abcdef0"}},
        "sourceCloudProperties": {"originAccountID": "123456789012", "originRegion": "eu-west-1"},
    }
    server = source_server(item, Place(HUB, RECOVERY))
    assert isinstance(server, SourceServer)
    assert (server.origin_account_id, server.origin_region) == ("123456789012", "eu-west-1")
