"""Reverse replication: a recovery instance replicating back to its source's origin region.

ReverseReplication on a recovery instance held in region R creates (or reuses) the
opposite-direction source server in the origin region O of the instance's source
server, same account. Both servers then point at each other through
reversedDirectionSourceServerArn, and the new server's identificationHints name the
recovery instance's EC2 instance. If O's launch configuration template has
launchIntoSourceInstance, the new server launches into the original instance.
"""

from __future__ import annotations

from drsorch.local.drs import replication
from drsorch.local.drs.core import Emulator
from drsorch.local.drs.servers import add_source_server
from drsorch.local.drs.state import (
    Disk,
    Origin,
    RecoveryInstance,
    RegionState,
    Replication,
    SourceServer,
)

_OPPOSITE = {"FAILOVER": "FAILBACK", "FAILBACK": "FAILOVER"}


def find_reversed(
    emu: Emulator, state: RegionState, instance: RecoveryInstance
) -> SourceServer | None:
    """The server already replicating this recovery instance back, if any."""
    source = state.servers.get(instance.source_server_id)
    if source is None:
        return None
    target = emu.regions.get((state.account_id, source.origin.region))
    if target is None:
        return None
    if source.reversed_arn is not None:
        linked = target.server_by_arn(source.reversed_arn)
        if linked is not None:
            return linked
    for server in target.servers.values():
        if (
            server.origin.instance_id == instance.ec2_instance_id
            and server.origin.region == state.region
        ):
            return server
    return None


def reverse(
    emu: Emulator,
    state: RegionState,
    instance: RecoveryInstance,
    at_ms: int,
    *,
    phase: str | None = None,
    lag_seconds: int = 0,
) -> SourceServer:
    """Start replicating `instance` back; `phase` places the server directly in a state."""
    source = state.servers[instance.source_server_id]
    target = emu.region(state.account_id, source.origin.region)
    seen = emu.ec2.describe(state.account_id, state.region, [instance.ec2_instance_id])
    ec2 = seen.get(instance.ec2_instance_id)
    origin = Origin(
        account_id=state.account_id,
        region=state.region,
        availability_zone=ec2.availability_zone if ec2 else instance.availability_zone,
        instance_id=instance.ec2_instance_id,
    )
    reversed_server = find_reversed(emu, state, instance)
    if reversed_server is None:
        reversed_server = add_source_server(
            emu,
            target,
            hostname=source.hostname,
            origin=origin,
            direction=_OPPOSITE[source.direction],
            architecture=source.architecture,
            disks=[Disk(disk.device_name, disk.size_bytes) for disk in source.disks],
            private_ip=ec2.private_ip if ec2 else None,
            tags={},
            replication=Replication(state="INITIATING"),
        )
        first_phase = "INITIATING"
    else:
        reversed_server.origin = origin
        reversed_server.agent_lost_ms = None  # a new source machine: its agent is looked for anew
        reversed_server.staging_availability_zone = target.region + origin.availability_zone[-1:]
        first_phase = "RESCAN"
    reversed_server.reversed_arn = source.arn
    source.reversed_arn = reversed_server.arn
    _launch_into_source_instance(target, source, reversed_server)
    replication.restart(
        emu, reversed_server, (target.account_id, target.region), phase or first_phase, at_ms
    )
    reversed_server.replication.lag_seconds = lag_seconds
    instance.reversed_server = (target.region, reversed_server.source_server_id)
    instance.failback_started_ms = at_ms
    return reversed_server


def _launch_into_source_instance(
    target: RegionState, source: SourceServer, reversed_server: SourceServer
) -> None:
    """With launchIntoSourceInstance, the reversed server launches into the original instance."""
    template = target.template
    if template is None or not template.launch_into_source_instance:
        return
    if source.origin.account_id != target.account_id or source.origin.region != target.region:
        return
    settings = reversed_server.launch
    settings.launch_into_instance_id = source.origin.instance_id
    settings.copy_private_ip = False
    settings.copy_tags = False
