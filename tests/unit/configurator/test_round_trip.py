"""The round trip's safety rules, on a fake DRS.

- A retire holds every action of a server DRS does not show re-protected (its
  recovery-region instance is never terminated before that).
- A retire touches only what the failback's lineage ties to it; another recovery
  instance of the same server is listed as left alone, and its appearing changes the
  plan's hash (a drifted approval is refused).
- A TERMINATE batch whose intent was recorded before a crash is reconciled with
  DRS's jobs, never called again blindly.
- Re-protection that DRS does with another server than the same FAILOVER one fails.
- DRS's quota of 300 replicating servers makes a server wait for room, never fail.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from drsorch.configurator.domain import TargetInstance
from drsorch.configurator.records import PairRecord, PreviousSettings
from drsorch.configurator.roundtrip import retire_apply, retire_plan, retire_settle, reverse
from drsorch.configurator.roundtrip.ports import JobView
from drsorch.configurator.roundtrip.retire_apply import RetireRecord, TerminateIntent
from drsorch.contracts import (
    Accounts,
    ConfigurationResult,
    LaunchConfiguration,
    Pair,
    RequestSpec,
    RetireAction,
    ReverseReplicationRequested,
    Scope,
    ServerRef,
)
from drsorch.contracts.events.roundtrip import LaunchTagChoice
from drsorch.contracts.types import LAUNCH_INTO_TAG_KEY, Place
from drsorch.contracts.types import LAUNCH_INTO_TAG_VALUE as VALUE
from support.configurator_fakes import FakeCloud, MemoryStore
from support.roundtrip_fakes import FakeDrs, FakeTable, instance, server

HUB = "123456789012"
PRIMARY, RECOVERY = Place(HUB, "us-east-1"), Place(HUB, "us-west-2")
B1, A2 = "s-1111111111111111a", "s-2222222222222222b"
A1, B3 = "i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb3"
B2, A3, OTHER = "i-0cccccccccccccc02", "i-0ddddddddddddd03", "i-0eeeeeeeeeeeee04"
NOW = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)
SPEC = RequestSpec(
    operation="failback",
    scope=Scope(selector={"app": "x"}),
    accounts=Accounts(hub=HUB),
    primary_region=PRIMARY.region,
    recovery_region=RECOVERY.region,
    requested_by="unit",
)


def _pairs() -> list[PairRecord]:
    ref = ServerRef(source_server_id=B1, account_id=HUB, region=RECOVERY.region, name="a")
    result = ConfigurationResult(
        source_server_id=B1,
        launching_server_id=A2,
        account_id=HUB,
        launch_region=PRIMARY.region,
        target_instance_id=A1,
        outcome="configured",
    )
    pair = Pair(server=ref, recovery_instance_id=B2, recovery_ec2_instance_id=B3)
    return [PairRecord(pair=pair, result=result)]


REVERSED_AT = NOW - timedelta(hours=6)
"""When the failback's reverse replication began: A2's current replication."""
LANDING_JOB = "drsjob-landed"


def _estate(*, reprotected: bool) -> FakeDrs:
    state = "CONTINUOUS" if reprotected else "STALLED"
    landed = REVERSED_AT + timedelta(hours=1)
    return FakeDrs(
        servers_by_place={
            PRIMARY: {A2: server(A2, B3, direction="FAILBACK", replicating_since=REVERSED_AT)},
            RECOVERY: {B1: server(B1, A1, state=state)},
        },
        instances_by_place={
            PRIMARY: [
                instance(
                    A3,
                    A2,
                    A1,
                    replication_state="CONTINUOUS" if reprotected else None,
                    job_id=LANDING_JOB,
                )
            ],
            RECOVERY: [instance(B2, B1, B3, failback_state="FAILBACK_COMPLETED")],
        },
        jobs=[JobView(LANDING_JOB, "LAUNCH", "COMPLETED", landed, frozenset({A3}))],
    )


async def _plan(drs: FakeDrs) -> list[RetireAction]:
    items = retire_plan.lineages(SPEC, _pairs())
    facts = await retire_plan.gather(drs, SPEC, items)
    return retire_plan.plan(SPEC, items, facts, 60)


async def _apply(drs: FakeDrs, table: FakeTable, actions: list[RetireAction]) -> None:
    record = RetireRecord(
        of_request_id="req-unit-0001",
        plan_hash="a" * 64,
        actions=actions,
        causation_id="00000000-0000-0000-0000-000000000000",
    )
    await retire_apply.phase_one(record, drs)
    await retire_apply.phase_two(record, drs, table, "retire-unit-0001", NOW)
    assert await retire_apply.jobs_done(record, drs, table, "retire-unit-0001")
    await retire_apply.phase_three(record, drs)


async def test_nothing_is_touched_while_the_server_is_not_re_protected() -> None:
    drs = _estate(reprotected=False)
    actions = await _plan(drs)

    await _apply(drs, FakeTable(), actions)

    assert actions and all(a.held and "not re-protected" in a.held for a in actions)
    assert drs.calls == []


async def test_nothing_is_touched_when_the_record_in_the_original_is_an_earlier_round_trip_s() -> (
    None
):
    # B1 replicates A1 again, CONTINUOUS: A1 ran again and its agent resumed, with A1's old
    # data. This failback never launched A2; the record of A2 in A1 is an earlier round
    # trip's. Retiring would terminate B3, which holds the newest data.
    drs = _estate(reprotected=True)
    drs.jobs = [replace(drs.jobs[0], created=REVERSED_AT - timedelta(days=40))]
    actions = await _plan(drs)

    await _apply(drs, FakeTable(), actions)

    taken = [a for a in actions if a.kind != "leave"]
    assert taken and all(a.held and "not this failback's landing" in a.held for a in taken)
    assert all("earlier round trip's" in (a.held or "") for a in taken)
    assert drs.calls == []


async def test_a_re_protected_server_is_retired_in_drs_order_never_terminating_the_original() -> (
    None
):
    drs = _estate(reprotected=True)
    actions = await _plan(drs)

    await _apply(drs, FakeTable(), actions)

    assert drs.calls == [
        ("StopReplication", A2),
        ("StopFailback", B2),
        ("TerminateRecoveryInstances", B2),
        ("DeleteRecoveryInstance", B2),
        ("DeleteRecoveryInstance", A3),
        ("DisconnectSourceServer", A2),
        ("DeleteSourceServer", A2),
    ]
    terminated = [a for a in actions if a.kind == "terminate_recovery_instance"]
    assert [a.ec2_instance_id for a in terminated] == [B3]  # never A1, the original


async def test_an_instance_outside_the_lineage_is_left_alone_and_its_arrival_changes_the_hash() -> (
    None
):
    drs = _estate(reprotected=True)
    before = retire_plan.plan_hash("req-unit-0001", await _plan(drs))
    drs.instances_by_place[RECOVERY].append(instance(OTHER, B1, "i-0fffffffffffffff5"))

    actions = await _plan(drs)
    await _apply(drs, FakeTable(), actions)

    assert retire_plan.plan_hash("req-unit-0001", actions) != before
    [left] = [a for a in actions if a.kind == "leave"]
    assert left.resource_id == OTHER
    assert all(OTHER not in called for _, called in drs.calls)


async def test_a_recorded_terminate_intent_is_reconciled_not_called_again() -> None:
    drs = _estate(reprotected=True)
    actions = await _plan(drs)
    table = FakeTable()
    # A first attempt recorded its intent and called DRS, then crashed before saving the job.
    drs.jobs.append(JobView("drsjob-x", "TERMINATE", "STARTED", None, frozenset({B2})))
    intent = TerminateIntent(
        account_id=HUB, region=RECOVERY.region, recovery_instance_ids=[B2], recorded_at=NOW
    )
    await table.save(
        "retire-unit-0001", f"terminate#{HUB}#{RECOVERY.region}#0", intent.model_dump_json()
    )

    record = RetireRecord(
        of_request_id="req-unit-0001",
        plan_hash="a" * 64,
        actions=actions,
        causation_id="00000000-0000-0000-0000-000000000000",
    )
    await retire_apply.phase_two(record, drs, table, "retire-unit-0001", NOW + timedelta(minutes=1))

    assert ("TerminateRecoveryInstances", B2) not in drs.calls
    assert not await retire_apply.jobs_done(record, drs, table, "retire-unit-0001")  # still STARTED


def _reprotect() -> reverse.ReverseRecord:
    request = ReverseReplicationRequested(
        of_request_id="req-unit-0001", purpose="reprotect", requested_by="unit"
    )
    started = reverse.start(request, SPEC, _pairs(), NOW)
    assert isinstance(started, reverse.ReverseRecord)
    return started


async def test_re_protection_through_another_server_than_the_same_failover_one_fails() -> None:
    drs = _estate(reprotected=False)
    drs.reversed_into[A3] = "s-9999999999999999z"
    record = _reprotect()

    await reverse.advance(record, drs, NOW)

    [track] = record.tracks
    assert track.outcome == "failed"
    assert "not with the same FAILOVER server" in (track.reason or "")


@pytest.mark.parametrize("known", [True, False])
async def test_an_earlier_round_trip_s_landing_in_the_original_is_never_re_protected(
    known: bool,
) -> None:
    # This failback never launched A2 (its job was refused, or the request stopped); DRS
    # still lists A3, the launch of an earlier round trip into the same original A1, never
    # retired. Reversing it would replicate A1's old data over the newest, still in B3.
    drs = _estate(reprotected=False)
    drs.jobs = [replace(drs.jobs[0], created=REVERSED_AT - timedelta(days=40))]
    if not known:  # DRS does not say when A2's replication began: nothing to tell them apart
        drs.jobs = []
        drs.servers_by_place[PRIMARY][A2] = server(A2, B3, direction="FAILBACK")
    drs.reversed_into[A3] = B1
    record = _reprotect()

    await reverse.advance(record, drs, NOW)

    [track] = record.tracks
    assert track.outcome == "failed"
    assert ("ReverseReplication", A3) not in drs.calls
    assert A3 in (track.reason or "")
    expected = "an earlier round trip's" if known else "cannot be told from an earlier"
    assert expected in (track.reason or "")


async def test_a_server_not_healthy_by_its_deadline_fails_with_drs_s_error() -> None:
    drs = _estate(reprotected=False)
    drs.servers_by_place[RECOVERY][B1] = server(
        B1, A1, state="STALLED", error="AGENT_NOT_SEEN", lag_seconds=900
    )
    drs.reversed_into[A3] = B1
    record = _reprotect()

    await reverse.advance(record, drs, NOW)
    before = record.tracks[0].report()
    await reverse.advance(record, drs, NOW + timedelta(days=1))
    assert before.outcome == "waiting"

    [track] = record.tracks
    assert track.outcome == "failed"
    assert "STALLED: AGENT_NOT_SEEN" in (track.reason or "")
    assert drs.calls.count(("ReverseReplication", A3)) == 1


async def test_an_initializing_recovery_instance_is_retried_then_protected() -> None:
    drs = _estate(reprotected=False)
    drs.servers_by_place[RECOVERY][B1] = server(B1, A1)
    drs.reversed_into[A3] = B1
    drs.busy.add(A3)
    record = _reprotect()

    await reverse.advance(record, drs, NOW)
    first = record.tracks[0].report()
    drs.busy.clear()
    await reverse.advance(record, drs, NOW + timedelta(minutes=1))

    assert first.outcome == "waiting" and "still initializing" in (first.reason or "")
    assert record.tracks[0].report().outcome == "protected"
    assert drs.calls.count(("ReverseReplication", A3)) == 2


async def test_the_replicating_servers_quota_makes_a_server_wait_not_fail() -> None:
    drs = _estate(reprotected=False)
    drs.servers_by_place[RECOVERY][B1] = server(B1, A1)
    drs.reversed_into[A3] = B1
    drs.over_quota.add(A3)
    record = _reprotect()

    await reverse.advance(record, drs, NOW)
    waiting = record.tracks[0].report()
    drs.over_quota.clear()
    await reverse.advance(record, drs, NOW + timedelta(minutes=1))

    assert waiting.outcome == "waiting" and "ServiceQuotaExceeded" in (waiting.reason or "")
    assert record.tracks[0].report().outcome == "protected"


def _settled_world(*, tagged_by_drsorch: bool) -> tuple[FakeCloud, MemoryStore]:
    """B1's launch settings changed by drsorch (baseline kept); A1 carries the AWSDRS tag."""
    cloud, store = FakeCloud(), MemoryStore()
    before, changed = LaunchConfiguration(copy_tags=False), LaunchConfiguration(copy_tags=True)
    cloud.drs.configurations[RECOVERY, B1] = changed
    store.baselines[HUB, RECOVERY.region, B1] = PreviousSettings(
        source_server_id=B1,
        launching_server_id=B1,
        account_id=HUB,
        region=RECOVERY.region,
        configuration=before,
    )
    cloud.ec2.add(
        TargetInstance(A1, PRIMARY, "running", "x86_64", "linux", {LAUNCH_INTO_TAG_KEY: VALUE})
    )
    if tagged_by_drsorch:
        store.tags_kept["req-unit-0001"] = [(PRIMARY, A1)]
    return cloud, store


async def _settle_plan(
    drs: FakeDrs, cloud: FakeCloud, store: MemoryStore, launch_tag: LaunchTagChoice
) -> list[RetireAction]:
    items = retire_plan.lineages(SPEC, _pairs())
    actions = await _plan(drs)
    return actions + await retire_settle.plan(
        SPEC,
        items,
        actions,
        of_request_id="req-unit-0001",
        launch_tag=launch_tag,
        store=store,
        cloud=cloud,
    )


async def test_retire_restores_the_kept_settings_and_removes_only_the_tag_drsorch_added() -> None:
    drs = _estate(reprotected=True)
    cloud, store = _settled_world(tagged_by_drsorch=True)
    actions = await _settle_plan(drs, cloud, store, "as_found")
    record = RetireRecord(
        of_request_id="req-unit-0001",
        plan_hash="a" * 64,
        actions=actions,
        causation_id="00000000-0000-0000-0000-000000000000",
    )
    await _apply(drs, FakeTable(), actions)
    await retire_settle.apply(record, store, cloud)

    kinds = {a.kind: a.resource_id for a in actions}
    assert kinds["restore_launch_settings"] == B1 and kinds["remove_launch_tag"] == A1
    assert cloud.drs.configurations[RECOVERY, B1] == LaunchConfiguration(copy_tags=False)
    assert cloud.ec2.untagged == [(PRIMARY, A1)]
    assert store.baselines == {}  # the next round trip keeps its own
    again = RetireRecord.model_validate_json(record.model_dump_json())
    again.outcomes.clear()
    await retire_settle.apply(again, store, cloud)  # after a crash: read, found done
    assert cloud.ec2.untagged == [(PRIMARY, A1)] and len(cloud.drs.updates) == 1
    assert {o for o, _ in again.outcomes.values()} == {"already"}


async def test_an_operator_s_tag_stays_unless_removal_is_asked_for() -> None:
    drs = _estate(reprotected=True)
    cloud, store = _settled_world(tagged_by_drsorch=False)
    as_found = {a.kind for a in await _settle_plan(drs, cloud, store, "as_found")}
    kept = {a.kind for a in await _settle_plan(drs, cloud, store, "keep")}
    removed = {a.kind for a in await _settle_plan(drs, cloud, store, "remove")}
    assert "remove_launch_tag" not in as_found and "remove_launch_tag" not in kept
    assert "remove_launch_tag" in removed


async def test_settings_and_tag_wait_like_the_rest_until_the_server_is_re_protected() -> None:
    drs = _estate(reprotected=False)
    cloud, store = _settled_world(tagged_by_drsorch=True)
    actions = await _settle_plan(drs, cloud, store, "remove")
    settle = [a for a in actions if a.kind in ("restore_launch_settings", "remove_launch_tag")]
    assert len(settle) == 2 and all(a.held for a in settle)
    record = RetireRecord(
        of_request_id="req-unit-0001",
        plan_hash="a" * 64,
        actions=actions,
        causation_id="00000000-0000-0000-0000-000000000000",
    )
    await retire_settle.apply(record, store, cloud)
    assert cloud.drs.updates == [] and cloud.ec2.untagged == []


async def test_an_apply_under_way_reports_what_is_done_and_what_is_pending() -> None:
    drs = _estate(reprotected=True)
    actions = await _plan(drs)
    record = RetireRecord(
        of_request_id="req-unit-0001",
        plan_hash="a" * 64,
        actions=actions,
        causation_id="00000000-0000-0000-0000-000000000000",
    )
    await retire_apply.phase_one(record, drs)
    await retire_apply.phase_two(record, drs, FakeTable(), "retire-unit-0001", NOW)

    progress = {r.action.kind: r.outcome for r in record.results(final=False)}
    assert progress["stop_replication"] == "done"
    assert progress["delete_source_server"] == "pending"  # after the TERMINATE job only
    assert "pending" not in {r.outcome for r in record.results()}  # the last word: none
