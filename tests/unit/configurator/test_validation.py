"""Every rule a target must pass before a server is launched into it (design.md §4).

Each test lays one trap and checks both what is reported and that nothing was
changed for the pair: no reverse replication, no launch-configuration update, no tag.
"""

from __future__ import annotations

from drsorch.contracts import Ambiguous
from drsorch.contracts.types import Place
from support.configurator_scenario import (
    HUB,
    PRIMARY,
    RECOVERY,
    SPOKE,
    Scenario,
    results,
)


async def rejected_reason(scenario: Scenario, **trap: object) -> str:
    pair = scenario.failback(**trap)  # type: ignore[arg-type]
    outbox = await scenario.send(pair)
    result = results(outbox)[pair.server.source_server_id]
    assert result.outcome == "rejected"
    assert scenario.cloud.drs.reversed == []
    assert scenario.cloud.drs.updates == []
    assert scenario.cloud.ec2.tagged == []
    reason: str | None = result.reason
    assert reason is not None
    return reason


async def test_a_running_target_is_refused() -> None:
    reason = await rejected_reason(Scenario(), state="running")
    assert "is running" in reason


async def test_a_stopping_target_is_refused() -> None:
    assert "is stopping" in await rejected_reason(Scenario(), state="stopping")


async def test_an_untagged_name_matched_target_is_refused_and_never_tagged() -> None:
    reason = await rejected_reason(Scenario(), tagged=False, method="name")
    assert "AWSDRS=AllowLaunchingIntoThisInstance" in reason
    assert "matched by name" in reason


async def test_an_untagged_lineage_target_is_refused_when_tagging_is_off() -> None:
    reason = await rejected_reason(Scenario(), tagged=False, method="lineage")
    assert "tagging lineage targets is off" in reason


async def test_a_target_in_another_account_is_refused() -> None:
    reason = await rejected_reason(Scenario(), target_ref={"account_id": SPOKE})
    assert f"account {SPOKE}" in reason


async def test_a_target_in_another_region_is_refused() -> None:
    reason = await rejected_reason(Scenario(), target_ref={"region": RECOVERY})
    assert f"not the launch region {PRIMARY}" in reason


async def test_a_target_that_is_not_where_its_reference_says_is_refused() -> None:
    # The reference claims the hub's primary region; EC2 holds it in the spoke.
    reason = await rejected_reason(Scenario(), target_at=Place(SPOKE, PRIMARY))
    assert "was not found" in reason


async def test_a_terminated_target_is_refused() -> None:
    assert "was not found" in await rejected_reason(Scenario(), state="terminated")


async def test_an_architecture_mismatch_is_refused() -> None:
    reason = await rejected_reason(Scenario(), target_architecture="arm64")
    assert "arm64" in reason
    assert "x86_64" in reason


async def test_a_platform_mismatch_is_refused() -> None:
    reason = await rejected_reason(Scenario(), target_platform="windows")
    assert "windows" in reason


async def test_a_server_outside_the_requests_accounts_is_refused() -> None:
    reason = await rejected_reason(Scenario(), account="999988887777")
    assert "not in scope" in reason


async def test_a_target_paired_twice_is_refused_for_both() -> None:
    scenario = Scenario()
    first = scenario.failback()
    second = scenario.failback()
    assert first.target is not None
    stolen = second.model_copy(update={"target": first.target})
    got = results(await scenario.send(first, stolen))
    assert {r.outcome for r in got.values()} == {"rejected"}
    assert all("more than one server" in (r.reason or "") for r in got.values())
    assert scenario.cloud.drs.updates == []


async def test_a_server_the_matcher_called_ambiguous_is_refused() -> None:
    scenario = Scenario()
    pair = scenario.failback()
    ambiguous = Ambiguous(
        server=pair.server,
        candidate_instance_ids=("i-0123456789abcdef0", "i-0123456789abcdef1"),
        reason="two originals named app",
    )
    got = results(await scenario.send(pair, ambiguous=(ambiguous,)))
    assert got[pair.server.source_server_id].outcome == "rejected"
    assert scenario.cloud.drs.updates == []


async def test_only_pair_targets_are_ever_launched_into() -> None:
    scenario = Scenario()
    pairs = [scenario.failback() for _ in range(5)] + [
        scenario.failback(state="running"),
        scenario.failback(tagged=False, method="name"),
    ]
    await scenario.send(*pairs)
    targets = {pair.target.instance_id for pair in pairs if pair.target}
    launched_into = {c.launch_into_instance_id for _, _, c in scenario.cloud.drs.updates}
    assert launched_into <= targets
    assert len(scenario.cloud.drs.updates) == 5


async def test_one_refusal_does_not_hold_back_the_others() -> None:
    scenario = Scenario()
    good, bad = scenario.failback(), scenario.failback(state="running")
    got = results(await scenario.send(good, bad))
    assert got[good.server.source_server_id].outcome == "configured"
    assert got[bad.server.source_server_id].outcome == "rejected"
    assert [where for where, _ in scenario.cloud.drs.reversed] == [Place(HUB, RECOVERY)]
