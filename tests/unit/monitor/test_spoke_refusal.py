"""The monitor refuses to act in a spoke the deployment does not configure."""

from __future__ import annotations

from drsorch.contracts import RequestCompleted
from support.monitor_builders import HUB, SPOKE, servers, spec
from support.monitor_bus import Bus
from support.monitor_scenarios import submit


def _done(bus: Bus) -> RequestCompleted:
    (done,) = [e for e in bus.events("RequestCompleted") if isinstance(e, RequestCompleted)]
    return done


async def test_servers_in_a_spoke_the_deployment_does_not_configure_are_rejected() -> None:
    bus = Bus()
    refusal = f"account {SPOKE} is not a configured spoke: the deployment lists none"
    bus.world.refused[SPOKE] = refusal
    plan = servers(2) + servers(2, start=3, account=SPOKE)
    submit(bus, plan, spec())
    await bus.run(bus.ended)

    done = _done(bus)
    lines = {line.server.account_id: line for line in done.servers}
    assert lines[SPOKE].outcome == "rejected" and lines[SPOKE].reason == refusal
    assert lines[HUB].outcome == "recovered"
    launched = {s for call in bus.world.start_calls for s in call[1]}
    assert len(launched) == 2  # the hub's two, never the refused spoke's
