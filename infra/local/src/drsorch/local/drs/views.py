"""The API's JSON shapes, rendered from state. Only integers, ISO strings and booleans."""

from __future__ import annotations

from typing import Any

from drsorch.local.drs import replication
from drsorch.local.drs.clock import iso, iso_duration
from drsorch.local.drs.core import Emulator
from drsorch.local.drs.ec2_port import InstanceView
from drsorch.local.drs.state import (
    Job,
    JobLogItem,
    LaunchConfiguration,
    LaunchConfigurationTemplate,
    SourceServer,
)

AGENT_VERSION = "4.7.0"
_GIB = 2**30
_INITIATION_STEPS = (
    "WAIT",
    "CREATE_SECURITY_GROUP",
    "LAUNCH_REPLICATION_SERVER",
    "BOOT_REPLICATION_SERVER",
    "AUTHENTICATE_WITH_SERVICE",
    "DOWNLOAD_REPLICATION_SOFTWARE",
    "CREATE_STAGING_DISKS",
    "ATTACH_STAGING_DISKS",
    "PAIR_REPLICATION_SERVER_WITH_AGENT",
    "CONNECT_AGENT_TO_REPLICATION_SERVER",
    "START_DATA_TRANSFER",
)


def _initiation_steps(state: str) -> list[dict[str, str]]:
    if state == "INITIATING":
        return [
            {
                "name": name,
                "status": "SUCCEEDED"
                if index == 0
                else "IN_PROGRESS"
                if index == 1
                else "NOT_STARTED",
            }
            for index, name in enumerate(_INITIATION_STEPS)
        ]
    return [{"name": name, "status": "SUCCEEDED"} for name in _INITIATION_STEPS]


def _replicated_disks(server: SourceServer, state: str, progress: float) -> list[dict[str, Any]]:
    disks = []
    for disk in server.disks:
        total = 0 if state == "DISCONNECTED" else disk.size_bytes
        replicated = int(total * progress)
        disks.append(
            {
                "deviceName": disk.device_name,
                "totalStorageBytes": total,
                "replicatedStorageBytes": replicated,
                "rescannedStorageBytes": replicated if state != "RESCAN" else total // 2,
                "backloggedStorageBytes": 0,
                "volumeStatus": "REGULAR",
            }
        )
    return disks


def data_replication_info(emu: Emulator, server: SourceServer, now_ms: int) -> dict[str, Any]:
    """dataReplicationInfo of a source server."""
    seen = replication.view(emu, server, now_ms)
    info: dict[str, Any] = {
        "dataReplicationState": seen.state,
        "replicatedDisks": _replicated_disks(server, seen.state, seen.progress),
        "stagingAvailabilityZone": server.staging_availability_zone,
        "dataReplicationInitiation": {
            "startDateTime": iso(server.replication.initiation_started_ms or server.added_ms),
            "steps": _initiation_steps(seen.state),
        },
    }
    if seen.lag_seconds is not None:
        info["lagDuration"] = iso_duration(seen.lag_seconds)
    ends = server.replication.phase_ends_ms
    if seen.state in {"INITIATING", "INITIAL_SYNC", "RESCAN"} and ends is not None:
        info["etaDateTime"] = iso(ends)
    if seen.error is not None:
        info["dataReplicationError"] = {"error": seen.error, "rawError": "Agent not seen"}
    return info


def source_server(emu: Emulator, server: SourceServer, now_ms: int) -> dict[str, Any]:
    """A SourceServer item."""
    origin = server.origin
    item: dict[str, Any] = {
        "sourceServerID": server.source_server_id,
        "arn": server.arn,
        "tags": dict(server.tags),
        "lastLaunchResult": server.last_launch_result,
        "dataReplicationInfo": data_replication_info(emu, server, now_ms),
        "lifeCycle": _life_cycle(server, now_ms),
        "sourceProperties": _source_properties(server),
        "stagingArea": _staging_area(emu, server),
        "sourceCloudProperties": {
            "originAccountID": origin.account_id,
            "originRegion": origin.region,
            "originAvailabilityZone": origin.availability_zone,
        },
        "replicationDirection": server.direction,
        "agentVersion": AGENT_VERSION,
    }
    if server.recovery_instance_id is not None:
        item["recoveryInstanceId"] = server.recovery_instance_id
    if server.reversed_arn is not None:
        item["reversedDirectionSourceServerArn"] = server.reversed_arn
    return item


def _staging_area(emu: Emulator, server: SourceServer) -> dict[str, Any]:
    """NOT_EXTENDED names the server's own account (DRS's StagingArea doc); EXTENDED names
    the staging server; EXTENSION_ERROR when that server is gone from the staging account."""
    region, account_id = server.arn.split(":")[3:5]
    if server.staging is None:
        return {"status": "NOT_EXTENDED", "stagingAccountID": account_id}
    staging_account, staging_id = server.staging
    staging_arn = f"arn:aws:drs:{region}:{staging_account}:source-server/{staging_id}"
    area = {
        "status": "EXTENDED",
        "stagingAccountID": staging_account,
        "stagingSourceServerArn": staging_arn,
    }
    held = emu.regions.get((staging_account, region))
    if held is None or staging_id not in held.servers:
        area["status"] = "EXTENSION_ERROR"
        area["errorMessage"] = f"Staging source server {staging_arn} was not found"
    return area


def _life_cycle(server: SourceServer, now_ms: int) -> dict[str, Any]:
    started = server.replication.initiation_started_ms or server.added_ms
    cycle: dict[str, Any] = {
        "addedToServiceDateTime": iso(server.added_ms),
        "firstByteDateTime": iso(started),
        "elapsedReplicationDuration": iso_duration((now_ms - started) // 1000),
        "lastSeenByServiceDateTime": iso(now_ms),
    }
    last = server.last_launch
    if last is not None:
        initiated: dict[str, Any] = {
            "apiCallDateTime": iso(last.api_call_ms),
            "type": last.launch_type,
        }
        if last.job_id is not None:
            initiated["jobID"] = last.job_id
        cycle["lastLaunch"] = {"initiated": initiated, "status": last.status}
    return cycle


def _source_properties(server: SourceServer) -> dict[str, Any]:
    hints: dict[str, Any] = {
        "hostname": server.hostname,
        "awsInstanceID": server.origin.instance_id,
    }
    properties: dict[str, Any] = {
        "lastUpdatedDateTime": iso(server.added_ms),
        "recommendedInstanceType": "t3.small",
        "identificationHints": hints,
        "disks": [{"deviceName": d.device_name, "bytes": d.size_bytes} for d in server.disks],
        "cpus": [{"cores": 2, "modelName": "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz"}],
        "ramBytes": 4 * _GIB,
        "os": {"fullString": "Linux"},
        "supportsNitroInstances": True,
        "architecture": server.architecture,
    }
    if server.private_ip is not None:
        properties["networkInterfaces"] = [
            {"macAddress": "02:00:00:00:00:01", "ips": [server.private_ip], "isPrimary": True}
        ]
    return properties


def launch_configuration(server_id: str, launch: LaunchConfiguration) -> dict[str, Any]:
    """GetLaunchConfiguration's fields (returned at top level)."""
    body: dict[str, Any] = {
        "sourceServerID": server_id,
        "name": launch.name[:128],
        "ec2LaunchTemplateID": launch.ec2_launch_template_id,
        "launchDisposition": launch.launch_disposition,
        "targetInstanceTypeRightSizingMethod": launch.right_sizing,
        "copyPrivateIp": launch.copy_private_ip,
        "copyTags": launch.copy_tags,
        "licensing": {"osByol": launch.os_byol},
        "postLaunchEnabled": launch.post_launch_enabled,
    }
    if launch.launch_into_instance_id is not None:
        body["launchIntoInstanceProperties"] = {
            "launchIntoEC2InstanceID": launch.launch_into_instance_id
        }
    if launch.recovery_mode is not None:
        body["recoveryMode"] = launch.recovery_mode
    return body


def launch_configuration_template(template: LaunchConfigurationTemplate) -> dict[str, Any]:
    """A LaunchConfigurationTemplate."""
    body: dict[str, Any] = {
        "launchConfigurationTemplateID": template.template_id,
        "arn": template.arn,
        "tags": dict(template.tags),
        "launchDisposition": template.launch_disposition,
        "targetInstanceTypeRightSizingMethod": template.right_sizing,
        "copyPrivateIp": template.copy_private_ip,
        "copyTags": template.copy_tags,
        "licensing": {"osByol": template.os_byol},
        "postLaunchEnabled": template.post_launch_enabled,
        "launchIntoSourceInstance": template.launch_into_source_instance,
    }
    if template.recovery_mode is not None:
        body["recoveryMode"] = template.recovery_mode
    if template.export_bucket_arn is not None:
        body["exportBucketArn"] = template.export_bucket_arn
    return body


def job(item: Job) -> dict[str, Any]:
    """A Job."""
    body: dict[str, Any] = {
        "jobID": item.job_id,
        "arn": item.arn,
        "type": item.job_type,
        "initiatedBy": item.initiated_by,
        "creationDateTime": iso(item.created_ms),
        "status": item.status,
        "participatingServers": [
            {"sourceServerID": slot.source_server_id, "launchStatus": slot.launch_status}
            | (
                {"recoveryInstanceID": slot.recovery_instance_id}
                if slot.recovery_instance_id
                else {}
            )
            for slot in item.participants.values()
        ],
        "tags": dict(item.tags),
    }
    if item.end_ms is not None:
        body["endDateTime"] = iso(item.end_ms)
    return body


def job_log_item(item: JobLogItem) -> dict[str, Any]:
    """A JobLog."""
    return {"logDateTime": iso(item.at_ms), "event": item.event, "eventData": dict(item.data)}


_EC2_STATES = {"shutting-down": "SHUTTING-DOWN"}


def ec2_state(instance: InstanceView | None) -> str:
    """EC2's state name as DRS spells it."""
    if instance is None:
        return "NOT_FOUND"
    return _EC2_STATES.get(instance.state, instance.state.upper())
