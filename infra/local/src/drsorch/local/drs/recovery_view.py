"""The RecoveryInstance shape, which reads the reversed server's replication and EC2."""

from __future__ import annotations

from typing import Any

from drsorch.local.drs import replication
from drsorch.local.drs.clock import iso
from drsorch.local.drs.core import Emulator
from drsorch.local.drs.ec2_port import InstanceView
from drsorch.local.drs.state import RecoveryInstance, RegionState, SourceServer
from drsorch.local.drs.views import AGENT_VERSION, ec2_state


def reversed_server(
    emu: Emulator, state: RegionState, instance: RecoveryInstance
) -> SourceServer | None:
    """The server replicating this recovery instance back, while that is on."""
    if instance.reversed_server is None:
        return None
    region, server_id = instance.reversed_server
    target = emu.regions.get((state.account_id, region))
    return target.servers.get(server_id) if target else None


def failback_state(
    emu: Emulator, instance: RecoveryInstance, server: SourceServer | None, now_ms: int
) -> str:
    """failback.state, derived from the reversed server."""
    if server is None or instance.failback_started_ms is None:
        return "FAILBACK_NOT_STARTED"
    last = server.last_launch
    if (
        last is not None
        and last.launch_type == "RECOVERY"
        and last.status == "LAUNCHED"
        and last.api_call_ms >= instance.failback_started_ms
    ):
        return "FAILBACK_COMPLETED"
    seen = replication.view(emu, server, now_ms)
    if seen.state == "CONTINUOUS":
        return "FAILBACK_READY_FOR_LAUNCH"
    if seen.state in {"STOPPED", "DISCONNECTED"}:
        return "FAILBACK_NOT_READY_FOR_LAUNCH"
    return "FAILBACK_IN_PROGRESS"


def _replication_info(
    emu: Emulator, instance: RecoveryInstance, server: SourceServer | None, now_ms: int
) -> dict[str, Any]:
    if instance.disconnected:
        return {"dataReplicationState": "DISCONNECTED", "replicatedDisks": []}
    if server is None:
        return {"dataReplicationState": "NOT_STARTED", "replicatedDisks": []}
    seen = replication.view(emu, server, now_ms)
    disks = [
        {
            "deviceName": disk.device_name,
            "totalStorageBytes": disk.size_bytes,
            "replicatedStorageBytes": int(disk.size_bytes * seen.progress),
            "rescannedStorageBytes": int(disk.size_bytes * seen.progress),
            "backloggedStorageBytes": 0,
        }
        for disk in server.disks
    ]
    return {
        "dataReplicationState": seen.state,
        "replicatedDisks": disks,
        "stagingAvailabilityZone": server.staging_availability_zone,
    }


def recovery_instance(
    emu: Emulator,
    state: RegionState,
    instance: RecoveryInstance,
    ec2: InstanceView | None,
    now_ms: int,
) -> dict[str, Any]:
    """A RecoveryInstance item."""
    source = state.servers.get(instance.source_server_id)
    back = reversed_server(emu, state, instance)
    failback: dict[str, Any] = {"state": failback_state(emu, instance, back, now_ms)}
    if instance.failback_started_ms is not None:
        failback["failbackInitiationTime"] = iso(instance.failback_started_ms)
        failback["failbackToOriginalServer"] = True
    item: dict[str, Any] = {
        "recoveryInstanceID": instance.recovery_instance_id,
        "arn": instance.arn,
        "sourceServerID": instance.source_server_id,
        "ec2InstanceID": instance.ec2_instance_id,
        "ec2InstanceState": "TERMINATED" if instance.terminated else ec2_state(ec2),
        "tags": dict(instance.tags),
        "isDrill": instance.is_drill,
        "pointInTimeSnapshotDateTime": iso(instance.point_in_time_ms),
        "originEnvironment": "AWS",
        "originAvailabilityZone": source.origin.availability_zone
        if source
        else instance.availability_zone,
        "agentVersion": AGENT_VERSION,
        "failback": failback,
        "dataReplicationInfo": _replication_info(emu, instance, back, now_ms),
        "recoveryInstanceProperties": _properties(instance, source, ec2),
    }
    if instance.job_id is not None:
        item["jobID"] = instance.job_id
    return item


def _properties(
    instance: RecoveryInstance, source: SourceServer | None, ec2: InstanceView | None
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "lastUpdatedDateTime": iso(instance.point_in_time_ms),
        "identificationHints": {
            "awsInstanceID": instance.ec2_instance_id,
            **({"hostname": source.hostname} if source else {}),
        },
        "disks": [
            {"internalDeviceName": disk.device_name, "bytes": disk.size_bytes}
            for disk in (source.disks if source else [])
        ],
        "os": {"fullString": "Linux"},
    }
    if ec2 is not None and ec2.private_ip:
        properties["networkInterfaces"] = [
            {"macAddress": "02:00:00:00:00:02", "ips": [ec2.private_ip], "isPrimary": True}
        ]
    return properties
