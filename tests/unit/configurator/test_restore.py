"""A restore puts back the launch configurations a request changed."""

from __future__ import annotations

from drsorch.contracts import (
    EVENTS,
    Envelope,
    LaunchConfiguration,
    LaunchSettingsRestored,
    RestoreRequested,
)
from drsorch.contracts.events.v1.restore import RestoreRequested as V1RestoreRequested
from drsorch.runtime import Outbox
from drsorch.runtime.approvals import ApprovalCheck
from support.approval_fakes import DEPLOYMENT_KEY, OTHER_KEY, FakeKey
from support.configurator_scenario import Scenario, spec

ORIGINAL = LaunchConfiguration(
    launch_disposition="STOPPED",
    right_sizing="BASIC",
    copy_private_ip=True,
    copy_tags=True,
    os_byol=False,
    post_launch_enabled=False,
)
"""What the FAILBACK servers held before the request, every field as DRS reports it. They
replicated already: a server the request's own reverse replication makes was never read
(see the last test)."""


RESTORE_ID = "req-unit-restore"


async def ask(scenario: Scenario, **fields: object) -> LaunchSettingsRestored:
    """The configurator's answer to one RestoreRequested (plan-only unless told)."""
    event = RestoreRequested.model_validate({"requested_by": "unit-test", **fields})
    outbox: Outbox = await scenario.deliver(
        Envelope.wrap(event, request_id=RESTORE_ID, step="restore", producer="cli")
    )
    [envelope] = outbox.events
    assert isinstance(envelope.payload, LaunchSettingsRestored)
    return envelope.payload


async def restore(
    scenario: Scenario, request_id: str = "req-unit-0001", **fields: object
) -> LaunchSettingsRestored:
    """Plan the restore, then apply exactly that plan (approved, as `ApprovedAlready` says)."""
    planned = await ask(scenario, restore_request_id=request_id, **fields)
    if planned.plan_hash is None:
        return planned
    return await ask(
        scenario,
        restore_request_id=request_id,
        plan_only=False,
        approved_plan_hash=planned.plan_hash,
        **fields,
    )


async def test_restore_puts_the_previous_configuration_back() -> None:
    scenario = Scenario()
    pairs = [
        scenario.failback(reversed_already=True, back_configuration=ORIGINAL),
        scenario.failback(reversed_already=True, back_configuration=ORIGINAL),
    ]
    await scenario.send(*pairs)
    restored = await restore(scenario)
    assert {r.outcome for r in restored.results} == {"restored"}
    for pair in pairs:
        back = scenario.failback_server_of(pair)
        assert scenario.cloud.drs.configurations[back.place, back.source_server_id] == ORIGINAL
    assert restored.api_calls["UpdateLaunchConfiguration"] == 2


async def test_a_second_restore_changes_nothing() -> None:
    scenario = Scenario()
    await scenario.send(scenario.failback(reversed_already=True, back_configuration=ORIGINAL))
    await restore(scenario)
    updates = len(scenario.cloud.drs.updates)
    again = await restore(scenario)
    assert [r.outcome for r in again.results] == ["unchanged"]
    assert len(scenario.cloud.drs.updates) == updates


async def test_restore_can_name_servers() -> None:
    scenario = Scenario()
    first, second = (
        scenario.failback(reversed_already=True, back_configuration=ORIGINAL),
        scenario.failback(reversed_already=True, back_configuration=ORIGINAL),
    )
    await scenario.send(first, second)
    restored = await restore(scenario, source_server_ids=(first.server.source_server_id,))
    assert [r.source_server_id for r in restored.results] == [first.server.source_server_id]
    back = scenario.failback_server_of(second)
    assert scenario.cloud.drs.configurations[back.place, back.source_server_id] != ORIGINAL


async def test_restoring_only_servers_it_kept_nothing_for_names_them_not_the_request() -> None:
    scenario = Scenario()
    await scenario.send(
        scenario.failback(reversed_already=True, back_configuration=ORIGINAL),
        scenario.failback(reversed_already=True, back_configuration=ORIGINAL),
    )
    restored = await restore(scenario, source_server_ids=("s-0123456789abcdef0",))
    assert restored.results == ()
    reason = restored.reason or ""
    assert "kept no launch settings for s-0123456789abcdef0" in reason
    assert "kept them for 2 other servers" in reason
    assert "no launch settings were kept for request" not in reason


async def test_restoring_an_unknown_request_says_so() -> None:
    restored = await restore(Scenario(), "req-never-configured")
    assert restored.results == ()
    assert "no launch settings were kept" in (restored.reason or "")


async def test_a_server_drs_refuses_is_reported_and_the_others_are_restored() -> None:
    scenario = Scenario()
    first, second = (
        scenario.failback(reversed_already=True, back_configuration=ORIGINAL),
        scenario.failback(reversed_already=True, back_configuration=ORIGINAL),
    )
    await scenario.send(first, second)
    gone = scenario.failback_server_of(first)
    del scenario.cloud.drs.configurations[gone.place, gone.source_server_id]
    restored = {r.launching_server_id: r for r in (await restore(scenario)).results}
    assert restored[gone.source_server_id].outcome == "failed"
    assert "ResourceNotFound" in (restored[gone.source_server_id].reason or "")
    assert restored[scenario.failback_server_of(second).source_server_id].outcome == "restored"


async def test_plan_only_requests_keep_nothing_to_restore() -> None:
    scenario = Scenario()
    await scenario.send(
        scenario.failback(reversed_already=True, back_configuration=ORIGINAL),
        request_spec=spec(plan_only=True),
    )
    restored = await restore(scenario)
    assert restored.results == ()


async def test_a_restore_plan_says_what_it_would_put_back_and_writes_nothing() -> None:
    scenario = Scenario()
    await scenario.send(scenario.failback(), scenario.failback())
    updates = len(scenario.cloud.drs.updates)
    planned = await ask(scenario, restore_request_id="req-unit-0001")
    assert {r.outcome for r in planned.results} == {"planned"}
    assert all(r.restored is not None for r in planned.results)  # what would be put back
    assert planned.plan_hash is not None and not planned.refused
    assert len(scenario.cloud.drs.updates) == updates


async def test_a_restore_apply_runs_only_with_a_verified_approval_of_its_plan() -> None:
    # Safety rule: a restore writes launch settings, so it is approved like any apply.
    scenario = Scenario()
    await scenario.send(scenario.failback(), scenario.failback())
    key = FakeKey()
    scenario.approvals = ApprovalCheck(key, DEPLOYMENT_KEY)
    updates = len(scenario.cloud.drs.updates)
    planned = await ask(scenario, restore_request_id="req-unit-0001")
    assert planned.plan_hash is not None
    apply = {"restore_request_id": "req-unit-0001", "plan_only": False}
    now = scenario.clock.now()
    refusals = {
        "no approval": await ask(scenario, **apply, approved_plan_hash=planned.plan_hash),
        "plan drift": await ask(
            scenario,
            **apply,
            approved_plan_hash="0" * 64,
            approvals=(key.approve(RESTORE_ID, "0" * 64, now=now),),
        ),
        "forged or altered": await ask(
            scenario,
            **apply,
            approved_plan_hash=planned.plan_hash,
            approvals=(key.approve(RESTORE_ID, planned.plan_hash, now=now, signed_with=OTHER_KEY),),
        ),
        "is for request req-elsewhere": await ask(
            scenario,
            **apply,
            approved_plan_hash=planned.plan_hash,
            approvals=(key.approve("req-elsewhere", planned.plan_hash, now=now),),
        ),
    }
    for why, answer in refusals.items():
        assert answer.refused and why in (answer.reason or ""), (why, answer.reason)
        assert answer.results == ()
    assert len(scenario.cloud.drs.updates) == updates  # refused before any write

    approved = await ask(
        scenario,
        **apply,
        approved_plan_hash=planned.plan_hash,
        approvals=(key.approve(RESTORE_ID, planned.plan_hash, now=now),),
    )
    assert not approved.refused and {r.outcome for r in approved.results} == {"restored"}


async def test_a_v1_restore_reads_as_a_plan_and_writes_nothing() -> None:
    scenario = Scenario()
    await scenario.send(scenario.failback())
    updates = len(scenario.cloud.drs.updates)
    v1 = V1RestoreRequested(restore_request_id="req-unit-0001", requested_by="old-cli")
    wire = Envelope.wrap(v1, request_id=RESTORE_ID, step="restore", producer="cli").to_json()
    outbox = await scenario.deliver(EVENTS.parse(wire))
    [envelope] = outbox.events
    assert isinstance(envelope.payload, LaunchSettingsRestored)
    assert {r.outcome for r in envelope.payload.results} == {"planned"}
    assert len(scenario.cloud.drs.updates) == updates


async def test_a_failback_server_the_request_reversed_gets_its_launch_into_target_cleared() -> None:
    scenario = Scenario()
    pair = scenario.failback()
    await scenario.send(pair)
    back = scenario.failback_server_of(pair)
    where = (back.place, back.source_server_id)
    configured = scenario.cloud.drs.configurations[where]
    assert configured.launch_into_instance_id is not None

    restored = await restore(scenario)
    assert [r.outcome for r in restored.results] == ["restored"]
    # Nothing was read before drsorch wrote it: the target goes, the rest stays.
    after = scenario.cloud.drs.configurations[where]
    assert after == configured.model_copy(update={"launch_into_instance_id": None})
    again = await restore(scenario)
    assert [r.outcome for r in again.results] == ["unchanged"]
