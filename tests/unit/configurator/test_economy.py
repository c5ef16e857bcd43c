"""What a failback costs in DRS and EC2 calls: per pair only what must be per pair.

Reverse replication names the FAILBACK server it makes, so no lookup follows it; that
server's launch configuration is written unread and checked from DRS's answer; EC2 is
read once per place, not once per target (issue 10, "DRS economy"); the step that
plans and then applies reads once, and the apply starts from the plan's reads.
"""

from __future__ import annotations

from drsorch.configurator.advance import LISTING_MIN_PAIRS
from drsorch.configurator.errors import Transient
from drsorch.contracts.types import Place
from support.configurator_scenario import HUB, PRIMARY, SPOKE, Scenario, results


async def test_a_failback_makes_two_drs_calls_per_pair_and_one_ec2_read_per_place() -> None:
    scenario = Scenario()
    count = LISTING_MIN_PAIRS + 5
    pairs = [scenario.failback() for _ in range(count)]
    got = results(await scenario.send(*pairs))

    assert {r.outcome for r in got.values()} == {"configured"}
    calls = scenario.cloud.drs.calls
    assert calls["ReverseReplication"] == calls["UpdateLaunchConfiguration"] == count
    assert calls["GetLaunchConfiguration"] == 0
    # In the apply (the fake counts each pass apart): nothing read again, the plan's
    # reads of the paired servers and the primary region's listing of this very step
    # serve; and no lookup after reverse replication.
    assert calls["DescribeSourceServers"] == 0
    assert scenario.cloud.ec2.reads == 1
    assert len(scenario.cloud.ec2.looked_up) == count


async def test_each_account_is_read_apart() -> None:
    scenario = Scenario()
    pairs = [scenario.failback(), scenario.failback(account=SPOKE), scenario.failback()]
    got = results(await scenario.send(*pairs))
    assert {r.outcome for r in got.values()} == {"configured"}
    assert scenario.cloud.ec2.reads == 2  # two places, read by the plan, used by the apply


async def test_a_batched_target_read_that_fails_leaves_each_pair_to_read_its_own() -> None:
    scenario = Scenario()
    pairs = [scenario.failback() for _ in range(3)]
    scenario.cloud.ec2.read_error = Transient("DescribeInstances: RequestLimitExceeded")
    got = results(await scenario.send(*pairs))
    assert {r.outcome for r in got.values()} == {"configured"}
    # The plan's batch failed, its pairs read one by one; the apply's batch worked.
    assert scenario.cloud.ec2.reads == 1 + len(pairs) + 1


async def test_a_setting_drs_does_not_report_back_after_the_update_rejects_the_pair() -> None:
    scenario = Scenario()
    pair = scenario.failback()
    scenario.cloud.drs.unapplied.add("launch_into_instance_id")
    got = results(await scenario.send(pair))[pair.server.source_server_id]
    assert got.outcome == "rejected"
    reason = got.reason or ""
    assert "launch_into_instance_id None" in reason
    assert "after the update: not launched" in reason


async def test_an_existing_server_is_checked_after_its_update_too() -> None:
    scenario = Scenario()
    pair = scenario.failback(reversed_already=True)
    scenario.cloud.drs.unapplied.add("copy_private_ip")
    got = results(await scenario.send(pair))[pair.server.source_server_id]
    assert got.outcome == "rejected"
    assert "copy_private_ip True (set False)" in (got.reason or "")


async def test_a_reversed_arn_outside_the_primary_place_is_not_trusted() -> None:
    scenario = Scenario()
    pair = scenario.failback()
    assert pair.recovery_instance_id is not None
    back = scenario.failback_server_of(pair)
    scenario.cloud.drs.answers[pair.recovery_instance_id] = (
        f"arn:aws:drs:{PRIMARY}:{SPOKE}:source-server/s-{'e' * 17}"
    )
    got = results(await scenario.send(pair))[pair.server.source_server_id]
    # Looked up by its instance in the primary place instead: the server DRS holds there.
    assert got.outcome == "configured"
    assert got.launching_server_id == back.source_server_id
    [(place, server, _)] = scenario.cloud.drs.updates
    assert (place, server) == (Place(HUB, PRIMARY), back.source_server_id)
