"""Test scenarios for the monitor on the in-memory bus: a plan, its targets, its results."""

from __future__ import annotations

from collections.abc import Sequence

from drsorch.contracts import RequestSpec
from drsorch.contracts.types import LAUNCH_INTO_TAG_KEY, LAUNCH_INTO_TAG_VALUE, Place
from drsorch.monitor.domain.facts import Instance
from support.monitor_builders import (
    Server,
    envelopes,
    pairs_matched,
    private_ip,
    target_configured,
)
from support.monitor_bus import Bus

REQUEST = "req-monitor-0001"
TAGGED = {LAUNCH_INTO_TAG_KEY: LAUNCH_INTO_TAG_VALUE}


def estate(bus: Bus, plan: Sequence[Server], spec: RequestSpec) -> None:
    """The targets of `plan` (stopped, tagged, in place) and DRS's launch configurations."""
    region = spec.launch_region
    for server in plan:
        place = Place(server.account, region)
        if server.launch_into:
            bus.ec2.add(
                place,
                Instance(server.target_instance_id, "stopped", private_ip(server.n), TAGGED),
            )
            bus.world.launch_into[server.launching_server_id] = server.target_instance_id


def submit(
    bus: Bus,
    plan: Sequence[Server],
    spec: RequestSpec,
    *,
    request_id: str = REQUEST,
    configure: bool = True,
    with_estate: bool = True,
) -> None:
    """Publish the plan (and the configuration results) to the monitor."""
    if with_estate:
        estate(bus, plan, spec)
    for envelope in envelopes(pairs_matched(spec, plan), request_id, "pairs", "matcher"):
        bus.send(envelope)
    if configure:
        configured = target_configured(plan, spec.launch_region)
        for envelope in envelopes(configured, request_id, "configured", "configurator"):
            bus.send(envelope, delay=1)
