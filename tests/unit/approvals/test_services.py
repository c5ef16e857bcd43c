"""The configurator and the monitor each refuse an unapproved apply themselves.

Each runs with the real `ApprovalCheck` over a fake key: without a valid approval the
configurator writes nothing to DRS and the monitor starts no job, whatever the other
one decided.
"""

from __future__ import annotations

from drsorch.runtime.approvals import ApprovalCheck
from support.approval_fakes import DEPLOYMENT_KEY, OTHER_KEY, FakeKey
from support.configurator_scenario import Scenario, results
from support.configurator_scenario import spec as configurator_spec
from support.monitor_builders import PLAN_HASH, servers
from support.monitor_builders import spec as monitor_spec
from support.monitor_bus import Bus
from support.monitor_scenarios import REQUEST, submit


async def test_the_configurator_writes_nothing_for_an_unapproved_apply() -> None:
    key = FakeKey()
    scenario = Scenario(approvals=ApprovalCheck(key, DEPLOYMENT_KEY))
    pair = scenario.failback()
    planned = await scenario.plan_hash(pair)
    unsigned = configurator_spec(approved_plan_hash=planned)

    refused = results(await scenario.send(pair, request_spec=unsigned, request_id="req-unsigned-1"))
    assert {r.outcome for r in refused.values()} == {"rejected"}
    assert all("no approval" in (r.reason or "") for r in refused.values())
    assert scenario.cloud.drs.updates == [] and scenario.cloud.drs.reversed == []


async def test_the_configurator_writes_nothing_for_an_approval_from_another_key() -> None:
    key = FakeKey()
    scenario = Scenario(approvals=ApprovalCheck(key, DEPLOYMENT_KEY))
    pair = scenario.failback()
    planned = await scenario.plan_hash(pair)
    forged = key.approve("req-forged-01", planned, now=scenario.clock.now(), signed_with=OTHER_KEY)
    request = configurator_spec(approved_plan_hash=planned, approvals=(forged,))

    refused = results(await scenario.send(pair, request_spec=request, request_id="req-forged-01"))
    assert all("forged or altered" in (r.reason or "") for r in refused.values())
    assert scenario.cloud.drs.updates == [] and scenario.cloud.drs.reversed == []


async def test_the_configurator_configures_an_approved_apply() -> None:
    key = FakeKey()
    scenario = Scenario(approvals=ApprovalCheck(key, DEPLOYMENT_KEY))
    pair = scenario.failback()
    planned = await scenario.plan_hash(pair)
    signed = key.approve("req-signed-01", planned, now=scenario.clock.now())
    request = configurator_spec(approved_plan_hash=planned, approvals=(signed,))

    done = results(await scenario.send(pair, request_spec=request, request_id="req-signed-01"))
    assert {r.outcome for r in done.values()} == {"configured"}
    assert scenario.cloud.drs.updates


async def test_the_monitor_launches_nothing_for_an_unapproved_apply() -> None:
    # The configurator's results say "configured": the monitor checks for itself.
    bus = Bus(approvals=ApprovalCheck(FakeKey(), DEPLOYMENT_KEY))
    submit(bus, servers(3), monitor_spec(approved_plan_hash=PLAN_HASH))
    await bus.run(bus.ended)

    (done,) = bus.completed()
    assert done.status == "REJECTED"
    assert "no approval" in str(done.reason)
    assert bus.world.start_calls == []
    assert {s.outcome for s in done.servers} == {"rejected"}


async def test_the_monitor_launches_nothing_when_two_approvers_are_demanded_and_one_signed() -> (
    None
):
    key = FakeKey()
    bus = Bus(approvals=ApprovalCheck(key, DEPLOYMENT_KEY))
    one = key.approve(REQUEST, PLAN_HASH, now=bus.clock.now(), required=2)
    request = monitor_spec(approved_plan_hash=PLAN_HASH).model_copy(update={"approvals": (one,)})
    submit(bus, servers(3), request)
    await bus.run(bus.ended)

    (done,) = bus.completed()
    assert done.status == "REJECTED"
    assert "needs 2 distinct approvers" in str(done.reason)
    assert bus.world.start_calls == []


async def test_the_monitor_launches_an_approved_apply() -> None:
    key = FakeKey()
    bus = Bus(approvals=ApprovalCheck(key, DEPLOYMENT_KEY))
    signed = key.approve(REQUEST, PLAN_HASH, now=bus.clock.now())
    request = monitor_spec(approved_plan_hash=PLAN_HASH).model_copy(update={"approvals": (signed,)})
    submit(bus, servers(3), request)
    await bus.run(bus.ended)

    (done,) = bus.completed()
    assert done.status == "SUCCEEDED", done.reason
    assert bus.world.start_calls
