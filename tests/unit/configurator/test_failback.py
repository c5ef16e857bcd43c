"""Failback: reverse replication first, then the FAILBACK server launches into the original."""

from __future__ import annotations

import dataclasses

from drsorch.configurator.advance import LISTING_MIN_PAIRS
from drsorch.configurator.errors import Transient
from drsorch.configurator.events import ConfigurationDue
from drsorch.contracts import (
    Chunk,
    Envelope,
    LaunchConfiguration,
    LaunchSettings,
    Pair,
    PairsMatched,
    TargetConfigured,
)
from drsorch.contracts.types import Place
from support.configurator_scenario import (
    HUB,
    PRIMARY,
    RECOVERY,
    SPOKE,
    Scenario,
    results,
    spec,
)


async def test_reverse_replication_then_the_failback_server_launches_into_the_original() -> None:
    scenario = Scenario()
    pair = scenario.failback()
    request = spec(launch_settings=LaunchSettings(launch_disposition="STARTED"))
    got = results(await scenario.send(pair, request_spec=request))[pair.server.source_server_id]

    back = scenario.failback_server_of(pair)
    assert scenario.cloud.drs.reversed == [(Place(HUB, RECOVERY), pair.recovery_instance_id)]
    assert got.outcome == "configured"
    assert got.reverse_replication_started
    assert got.launching_server_id == back.source_server_id
    assert got.launch_region == PRIMARY
    assert pair.target is not None
    assert got.target_instance_id == pair.target.instance_id
    [(place, server, desired)] = scenario.cloud.drs.updates
    assert (place, server) == (Place(HUB, PRIMARY), back.source_server_id)
    assert desired == LaunchConfiguration(
        copy_private_ip=False,
        copy_tags=False,
        right_sizing="NONE",
        launch_disposition="STARTED",
        launch_into_instance_id=pair.target.instance_id,
    )
    # The server reverse replication just made is written unread (retire deletes it): what
    # is kept is the empty configuration, and what DRS reports after the update is the result.
    assert scenario.cloud.drs.calls["GetLaunchConfiguration"] == 0
    assert got.previous == LaunchConfiguration()
    [kept] = scenario.store.kept["req-unit-0001"].values()
    assert kept.configuration == LaunchConfiguration()
    assert got.desired == scenario.cloud.drs.configurations[place, server]
    assert got.desired == desired  # everything the fake DRS had is overwritten here
    assert got.changes == (
        "launch_disposition",
        "right_sizing",
        "copy_private_ip",
        "copy_tags",
        "launch_into_instance_id",
    )


async def test_a_failback_server_already_replicating_is_configured_without_reversing() -> None:
    scenario = Scenario()
    pair = scenario.failback(reversed_already=True)
    got = results(await scenario.send(pair))[pair.server.source_server_id]
    assert got.outcome == "configured"
    assert not got.reverse_replication_started
    assert scenario.cloud.drs.reversed == []
    assert scenario.cloud.drs.calls["ReverseReplication"] == 0


async def test_the_recovery_ec2_instance_is_looked_up_when_the_pair_lacks_it() -> None:
    scenario = Scenario()
    pair = scenario.failback()
    bare = pair.model_copy(update={"recovery_ec2_instance_id": None})
    got = results(await scenario.send(bare))[pair.server.source_server_id]
    assert got.outcome == "configured"
    assert scenario.cloud.drs.calls["DescribeRecoveryInstances"] == 1


async def test_without_a_recovery_instance_a_failback_is_refused() -> None:
    scenario = Scenario()
    pair = scenario.failback().model_copy(
        update={"recovery_instance_id": None, "recovery_ec2_instance_id": None}
    )
    got = results(await scenario.send(pair))[pair.server.source_server_id]
    assert got.outcome == "rejected"
    assert "no recovery instance" in (got.reason or "")


async def test_an_initializing_recovery_instance_is_retried_through_a_timer() -> None:
    scenario = Scenario()
    pair = scenario.failback()
    assert pair.recovery_instance_id is not None
    scenario.cloud.drs.busy[pair.recovery_instance_id] = 2
    first = await scenario.send(pair)
    assert first.events == []
    [timer] = first.timers
    assert isinstance(timer.envelope.payload, ConfigurationDue)
    assert timer.delay.total_seconds() == scenario.settings.retry_seconds
    second = await scenario.fire_timers(first)
    assert second.events == []
    assert second.timers[0].envelope.event_id != timer.envelope.event_id
    third = await scenario.fire_timers(second)
    got = results(third)[pair.server.source_server_id]
    assert got.outcome == "configured"
    assert got.reverse_replication_started


async def test_past_the_deadline_a_waiting_pair_is_reported_not_prepared() -> None:
    scenario = Scenario()
    waiting, ready = scenario.failback(), scenario.failback()
    assert waiting.recovery_instance_id is not None
    scenario.cloud.drs.busy[waiting.recovery_instance_id] = 10_000
    outbox = await scenario.send(waiting, ready)
    scenario.clock.advance(scenario.settings.prepare_deadline_seconds)
    while outbox.timers:
        outbox = await scenario.fire_timers(outbox)
    got = scenario.published
    assert got[ready.server.source_server_id].outcome == "configured"
    late = got[waiting.server.source_server_id]
    assert late.outcome == "rejected"
    assert "not prepared by the deadline" in (late.reason or "")
    assert "not ready yet" in (late.reason or "")


async def test_throttling_past_the_client_retries_waits_for_the_remaining_pairs_only() -> None:
    scenario = Scenario()
    pairs = [scenario.failback() for _ in range(3)]
    scenario.cloud.drs.throttled["UpdateLaunchConfiguration"] = 1
    first = await scenario.send(*pairs)
    # The two settled pairs are reported at once; the throttled one waits alone.
    assert len(results(first)) == 2
    assert len(scenario.cloud.drs.updates) == 2
    second = await scenario.fire_timers(first)
    assert len(results(second)) == 1
    assert {r.outcome for r in scenario.published.values()} == {"configured"}
    # The two settled pairs were not touched again.
    assert len(scenario.cloud.drs.updates) == 3
    assert len(scenario.cloud.drs.reversed) == 3


async def test_the_next_try_waits_at_least_as_long_as_drs_asked() -> None:
    scenario = Scenario()
    pair = scenario.failback()
    scenario.cloud.drs.throttled["UpdateLaunchConfiguration"] = 1
    scenario.cloud.drs.retry_after = 42.5
    [timer] = (await scenario.send(pair)).timers
    assert timer.delay.total_seconds() == 43


def _forget_result(scenario: Scenario, pair: Pair) -> Envelope[ConfigurationDue]:
    """As if the pair's result had been lost after DRS was updated: configure it again."""
    records = scenario.store.pair_records["req-unit-0001"]
    key = pair.server.source_server_id
    records[key] = records[key].model_copy(update={"result": None, "sent_in": None})
    return Envelope.wrap(
        ConfigurationDue(attempt=1),
        request_id="req-unit-0001",
        step="due-1",
        producer="configurator",
    )


async def test_previous_settings_are_kept_once_even_when_a_retry_sees_them_changed() -> None:
    scenario = Scenario()
    pair = scenario.failback(reversed_already=True)
    await scenario.send(pair)
    key = pair.server.source_server_id
    got = results(await scenario.deliver(_forget_result(scenario, pair)))[key]
    assert got.previous == LaunchConfiguration(copy_private_ip=True)
    [kept] = scenario.store.kept["req-unit-0001"].values()
    assert kept.configuration == LaunchConfiguration(copy_private_ip=True)


async def test_a_retry_writes_the_reversed_server_again_unread() -> None:
    scenario = Scenario()
    pair = scenario.failback()
    await scenario.send(pair)
    got = results(await scenario.deliver(_forget_result(scenario, pair)))[
        pair.server.source_server_id
    ]
    assert got.outcome == "configured"
    assert got.previous == LaunchConfiguration()
    assert len(scenario.cloud.drs.reversed) == 1  # found again, never reversed twice
    assert len(scenario.cloud.drs.updates) == 2  # the same settings, written again
    assert scenario.cloud.drs.calls["GetLaunchConfiguration"] == 0


async def test_an_unreachable_account_rejects_its_pairs_and_the_rest_go_on() -> None:
    scenario = Scenario()
    hub, spoke = scenario.failback(), scenario.failback(account=SPOKE)
    scenario.cloud.drs.unreachable.add(SPOKE)
    got = results(await scenario.send(hub, spoke))
    assert got[hub.server.source_server_id].outcome == "configured"
    refused = got[spoke.server.source_server_id]
    assert refused.outcome == "rejected"
    assert f"account {SPOKE} is unreachable" in (refused.reason or "")


async def test_drift_changes_nothing_and_says_why() -> None:
    scenario = Scenario()
    pair = scenario.failback()
    request = spec(approved_plan_hash="b" * 64)
    got = results(await scenario.send(pair, request_spec=request))[pair.server.source_server_id]
    assert got.outcome == "rejected"
    assert "plan drift" in (got.reason or "")
    # Read to hash what would launch, but nothing written.
    assert scenario.cloud.drs.reversed == []
    assert scenario.cloud.drs.updates == []
    assert scenario.cloud.ec2.tagged == []


async def test_an_approved_plan_that_still_matches_is_applied() -> None:
    scenario = Scenario()
    pair = scenario.failback()
    request = spec(approved_plan_hash=await scenario.plan_hash(pair))
    got = results(await scenario.send(pair, request_spec=request))[pair.server.source_server_id]
    assert got.outcome == "configured"


async def test_chunks_are_reassembled_into_one_result_with_the_calls_counted_once() -> None:
    scenario = Scenario()
    pairs = [scenario.failback(), scenario.failback()]
    envelopes = [
        Envelope.wrap(
            PairsMatched(
                spec=spec(), match_hash="a" * 64, pairs=(pair,), chunk=Chunk(index=i, count=2)
            ),
            request_id="req-unit-chunks",
            step=f"m-{i}",
            producer="matcher",
            causation_id="6f1d4a52-3c1e-4b8e-9d0e-5a2f7c9b8e41",
        )
        for i, pair in enumerate(pairs)
    ]
    assert (await scenario.deliver(envelopes[1])).events == []
    outbox = await scenario.deliver(envelopes[0])
    [envelope] = outbox.events
    assert isinstance(envelope.payload, TargetConfigured)
    assert len(envelope.payload.results) == 2
    assert envelope.payload.api_calls["ReverseReplication"] == 2
    assert envelope.causation_id == envelopes[0].event_id


async def test_a_redelivered_plan_changes_nothing_more_and_repeats_the_same_event_ids() -> None:
    scenario = Scenario()
    pair = scenario.failback()
    first = await scenario.send(pair)
    again = await scenario.send(pair)
    assert [e.event_id for e in again.events] == [e.event_id for e in first.events]
    assert len(scenario.cloud.drs.updates) == 1
    assert len(scenario.cloud.drs.reversed) == 1


async def test_a_redelivered_plan_that_settles_more_reports_it_under_new_event_ids() -> None:
    # The first delivery configures one pair and leaves the other waiting; the plan is
    # delivered again once the second is ready. Its result must not reuse the IDs the
    # monitor's inbox already took for the first result.
    scenario = Scenario()
    ready, waiting = scenario.failback(), scenario.failback()
    assert waiting.recovery_instance_id is not None
    scenario.cloud.drs.busy[waiting.recovery_instance_id] = 1
    first = await scenario.send(ready, waiting)
    assert set(results(first)) == {ready.server.source_server_id}
    again = await scenario.send(ready, waiting)
    assert set(results(again)) == {ready.server.source_server_id, waiting.server.source_server_id}
    seen = {e.event_id for e in first.events}
    assert all(
        e.event_id not in seen for e in again.events if isinstance(e.payload, TargetConfigured)
    )


async def test_a_second_plan_under_the_same_request_id_is_not_applied() -> None:
    scenario = Scenario()
    first, other = scenario.failback(), scenario.failback()
    await scenario.send(first)
    again = await scenario.send(other, plan_hash="e" * 64)
    assert set(results(again)) == {first.server.source_server_id}
    assert len(scenario.cloud.drs.updates) == 1


async def test_many_failback_servers_are_found_with_one_listing_not_a_lookup_each() -> None:
    scenario = Scenario()
    pairs = [scenario.failback(reversed_already=True) for _ in range(LISTING_MIN_PAIRS + 2)]
    got = results(await scenario.send(*pairs))

    # One read of the paired servers and one listing of the primary region, by the plan;
    # the apply of the same step starts from them; no lookup per pair.
    assert scenario.cloud.drs.listings == [Place(HUB, PRIMARY)]
    assert scenario.cloud.drs.calls["DescribeSourceServers"] == 0  # in the apply pass
    for pair in pairs:
        result = got[pair.server.source_server_id]
        assert result.outcome == "configured"
        assert result.launching_server_id == scenario.failback_server_of(pair).source_server_id
    assert scenario.cloud.drs.reversed == []


async def test_few_failback_pairs_look_their_server_up_one_by_one() -> None:
    scenario = Scenario()
    pairs = [scenario.failback(reversed_already=True) for _ in range(LISTING_MIN_PAIRS - 1)]
    got = results(await scenario.send(*pairs))
    assert scenario.cloud.drs.listings == []
    # In the apply pass: the plan's read of the paired servers serves; each pair looks up
    # its FAILBACK server.
    assert scenario.cloud.drs.calls["DescribeSourceServers"] == len(pairs)
    assert all(r.outcome == "configured" for r in got.values())


async def test_a_listing_that_fails_leaves_each_pair_to_look_its_server_up() -> None:
    scenario = Scenario()
    pairs = [scenario.failback(reversed_already=True) for _ in range(LISTING_MIN_PAIRS)]
    scenario.cloud.drs.listing_error = Transient("DescribeSourceServers: ThrottlingException")
    got = results(await scenario.send(*pairs))
    assert all(r.outcome == "configured" for r in got.values())
    # The paired read, the failed listing, then one lookup per pair.
    assert scenario.cloud.drs.calls["DescribeSourceServers"] == 2 + len(pairs)


async def test_two_failback_servers_for_one_instance_are_refused_in_a_listing_too() -> None:
    scenario = Scenario()
    pairs = [scenario.failback(reversed_already=True) for _ in range(LISTING_MIN_PAIRS)]
    twin = scenario.failback_server_of(pairs[0])
    scenario.cloud.drs.add_server(
        dataclasses.replace(twin, source_server_id="s-" + "f" * 17), LaunchConfiguration()
    )
    got = results(await scenario.send(*pairs))
    refused = got[pairs[0].server.source_server_id]
    assert refused.outcome == "rejected"
    assert "more than one FAILBACK server" in (refused.reason or "")
    assert all(got[p.server.source_server_id].outcome == "configured" for p in pairs[1:])
    assert scenario.cloud.drs.listings == [Place(HUB, PRIMARY)]
    assert all(server != "s-" + "f" * 17 for _, server, _ in scenario.cloud.drs.updates)


async def test_each_wave_is_reported_as_soon_as_it_is_configured_earliest_first() -> None:
    scenario = Scenario()
    pairs = []
    for wave in (3, 1, 2, 1):
        pair = scenario.failback()
        pairs.append(
            pair.model_copy(update={"server": pair.server.model_copy(update={"wave": wave})})
        )
    by_wave = {
        wave: {p.server.source_server_id for p in pairs if p.server.wave == wave}
        for wave in (1, 2, 3)
    }

    outbox = await scenario.send(*pairs)
    reported = []
    while True:
        reported.append(set(results(outbox)))
        if not outbox.timers:
            break
        assert [t.delay.total_seconds() for t in outbox.timers] == [0], (
            "the next wave goes on at once"
        )
        outbox = await scenario.fire_timers(outbox)

    assert reported == [by_wave[1], by_wave[2], by_wave[3]]
    assert {r.outcome for r in scenario.published.values()} == {"configured"}
    # A later wave's reverse replication starts only after the earlier wave was reported.
    reversed_order = [rid for _, rid in scenario.cloud.drs.reversed]
    recovery = {p.recovery_instance_id: p.server.wave for p in pairs}
    assert [recovery[r] for r in reversed_order] == sorted(recovery[r] for r in reversed_order)
