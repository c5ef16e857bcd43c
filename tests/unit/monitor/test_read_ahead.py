"""A run's read-ahead of EC2 instances: used once, in its own run, while fresh."""

from __future__ import annotations

from drsorch.contracts import Accounts
from drsorch.contracts.types import Place
from drsorch.monitor.domain.facts import Instance
from drsorch.monitor.domain.records import RequestState, Summary
from drsorch.monitor.run import READ_AHEAD_FRESH, Run
from drsorch.monitor.session import RequestSession
from support.monitor_builders import HUB, RECOVERY, instance_id, spec
from support.monitor_bus import Bus
from support.monitor_scenarios import TAGGED

HERE = Place(HUB, RECOVERY)


def _run(bus: Bus) -> Run:
    summary = Summary(
        request_id="req-ahead",
        spec=spec(),
        plan_hash="h",
        causation_id="c",
        received_at=bus.clock.now(),
    )
    return Run(
        deps=bus.deps,
        session=RequestSession(bus.deps, "req-ahead", "test"),
        state=RequestState(summary=summary),
        cloud=bus.clouds(Accounts(hub=HUB)),
        now=bus.clock.now(),
    )


def _world() -> tuple[Bus, list[str]]:
    bus = Bus()
    reads: list[str] = []
    bus.ec2.order = reads
    for n in (1, 2, 3):
        bus.ec2.add(HERE, Instance(instance_id(n), "stopped", None, TAGGED))
    return bus, reads


async def test_the_check_uses_the_answer_asked_beside_the_poll_and_asks_for_the_rest() -> None:
    bus, reads = _world()
    run = _run(bus)
    run.read_instances_ahead(HERE, [instance_id(1), instance_id(2)])
    # Started the target someone started meanwhile: a fresh read would say running.
    bus.ec2.add(HERE, Instance(instance_id(3), "running", None, TAGGED))

    seen, _ = await run.instances(HERE, [instance_id(1), instance_id(3)])

    assert set(seen) == {instance_id(1), instance_id(3)}
    assert seen[instance_id(3)].state == "running", "not read ahead: read now"
    assert reads == ["DescribeInstances", "DescribeInstances"]
    again, _ = await run.instances(HERE, [instance_id(1)])
    assert again == {instance_id(1): seen[instance_id(1)]}
    assert len(reads) == 3, "used once: a second check asks EC2 again"


async def test_an_answer_older_than_the_bound_is_never_used_for_the_check() -> None:
    bus, reads = _world()
    run = _run(bus)
    run.read_instances_ahead(HERE, [instance_id(1)])
    assert (await run.read_ahead[HERE].answer)[instance_id(1)].state == "stopped"
    bus.ec2.add(HERE, Instance(instance_id(1), "running", None, TAGGED))  # after the read
    bus.clock.advance(READ_AHEAD_FRESH.total_seconds() + 1)

    seen, _ = await run.instances(HERE, [instance_id(1)])

    assert seen[instance_id(1)].state == "running", "an aged answer is read again"
    assert reads == ["DescribeInstances", "DescribeInstances"]


async def test_a_run_that_launches_nothing_drops_its_read_ahead() -> None:
    bus, reads = _world()
    run = _run(bus)
    run.read_instances_ahead(HERE, [instance_id(1)])
    await run.drop_read_ahead()

    assert run.read_ahead == {}
    await run.instances(HERE, [instance_id(1)])
    assert reads[-1:] == ["DescribeInstances"], "asked anew"
