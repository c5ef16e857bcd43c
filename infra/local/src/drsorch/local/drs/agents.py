"""Whether DRS sees the replication agent on a source server's source machine.

The agent runs on the machine a source server replicates (its `awsInstanceID`): the
original for a FAILOVER-direction server, the recovery instance for a FAILBACK one.
While that machine is stopped the agent is not seen: the server reads STALLED with
`AGENT_NOT_SEEN` and a growing lag. Once the machine runs again the agent rescans its
disks: the server goes RESCAN, then CONTINUOUS when the rescan is over (the emulator's
`timings.rescan`). A launch into the machine (its volumes swapped) loses the agent too.

EC2 is read lazily, when DRS state is read (DescribeSourceServers, StartRecovery), so a
stop and start that nobody looked at in between goes unnoticed, as a stop shorter than
DRS's heartbeat would. A machine EC2 does not know, or a terminated one, changes nothing
here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from drsorch.local.drs import replication
from drsorch.local.drs.core import Emulator
from drsorch.local.drs.ec2_port import InstanceView
from drsorch.local.drs.state import NOT_REPLICATING, RegionState, SourceServer

AGENT_DOWN = frozenset({"stopping", "stopped"})


def observe(
    emu: Emulator, state: RegionState, servers: Iterable[SourceServer], now_ms: int
) -> None:
    """Read each server's source machine from EC2 and lose or find its agent."""
    by_place: defaultdict[tuple[str, str], list[SourceServer]] = defaultdict(list)
    for server in servers:
        if server.replication.state not in NOT_REPLICATING:
            by_place[server.origin.account_id, server.origin.region].append(server)
    for (account_id, region), group in by_place.items():
        seen = emu.ec2.describe(account_id, region, [s.origin.instance_id for s in group])
        for server in group:
            _observe(emu, state, server, seen.get(server.origin.instance_id), now_ms)


def _observe(
    emu: Emulator,
    state: RegionState,
    server: SourceServer,
    machine: InstanceView | None,
    now_ms: int,
) -> None:
    if machine is None or machine.state in {"terminated", "shutting-down"}:
        return
    if machine.state in AGENT_DOWN:
        if server.agent_lost_ms is None:
            server.agent_lost_ms = now_ms
        return
    if machine.state == "running" and server.agent_lost_ms is not None:
        lag = replication.view(emu, server, now_ms).lag_seconds or 0
        server.agent_lost_ms = None
        where = (state.account_id, state.region)
        replication.restart(emu, server, where, "RESCAN", now_ms)
        server.replication.lag_seconds = lag


def lose_agents_on(
    emu: Emulator, account_id: str, region: str, instance_id: str, now_ms: int
) -> None:
    """A launch swapped this machine's volumes: servers replicating it lose their agent."""
    for (held_account, _), state in emu.regions.items():
        if held_account != account_id:
            continue
        for server in state.servers.values():
            origin = server.origin
            if (origin.instance_id, origin.region, origin.account_id) == (
                instance_id,
                region,
                account_id,
            ) and server.agent_lost_ms is None:
                server.agent_lost_ms = now_ms
