"""Operations on source servers: describe, launch configuration, replication, disconnect, delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drsorch.local.drs import agents, paging, replication, rules, views
from drsorch.local.drs.context import OpContext, Operation
from drsorch.local.drs.errors import ConflictError, ServiceQuotaExceededError, ValidationError
from drsorch.local.drs.state import NOT_REPLICATING, LaunchConfiguration, RegionState, SourceServer

_LAUNCH_FIELDS = {
    "name": "name",
    "launchDisposition": "launch_disposition",
    "targetInstanceTypeRightSizingMethod": "right_sizing",
    "copyPrivateIp": "copy_private_ip",
    "copyTags": "copy_tags",
    "postLaunchEnabled": "post_launch_enabled",
    "recoveryMode": "recovery_mode",
}
_LAUNCH_INTO_FIELD = "launchIntoInstanceProperties.launchIntoEC2InstanceID"


def _matches(server: SourceServer, filters: Mapping[str, Any], account_id: str) -> bool:
    """`stagingAccountIDs` matches the account a server replicates in: its staging account
    when it is extended, else its own (DRS's StagingArea.stagingAccountID)."""
    ids = filters.get("sourceServerIDs") or []
    if ids and server.source_server_id not in ids:
        return False
    hardware = filters.get("hardwareId")
    if hardware and hardware not in {server.origin.instance_id, server.private_ip}:
        return False
    staging = filters.get("stagingAccountIDs") or []
    replicates_in = server.staging[0] if server.staging else account_id
    return not staging or replicates_in in staging


def describe_source_servers(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeSourceServers, filtered and paginated, oldest first."""
    filters = params.get("filters") or {}
    found = [s for s in ctx.state.servers.values() if _matches(s, filters, ctx.account_id)]
    scope = (
        f"servers:{sorted(filters.get('sourceServerIDs') or [])}:{filters.get('hardwareId')}"
        f":{sorted(filters.get('stagingAccountIDs') or [])}"
    )
    items, token = paging.page(found, params, ctx.emu.settings.paging, scope)
    agents.observe(ctx.emu, ctx.state, items, ctx.now_ms)
    body: dict[str, Any] = {"items": [views.source_server(ctx.emu, s, ctx.now_ms) for s in items]}
    return body | ({"nextToken": token} if token else {})


def get_launch_configuration(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """GetLaunchConfiguration (fields at top level)."""
    server = ctx.server(params["sourceServerID"])
    return views.launch_configuration(server.source_server_id, server.launch)


def _in_active_job(state: RegionState, server_id: str) -> str | None:
    for job in state.active_jobs():
        if any(slot.source_server_id == server_id for slot in job.participants.values()):
            return job.job_id
    return None


def _updated(server: SourceServer, params: Mapping[str, Any]) -> LaunchConfiguration:
    launch = LaunchConfiguration(**vars(server.launch))
    for api_name, attribute in _LAUNCH_FIELDS.items():
        if api_name in params:
            setattr(launch, attribute, params[api_name])
    if "licensing" in params:
        launch.os_byol = bool(params["licensing"].get("osByol", launch.os_byol))
    if "launchIntoInstanceProperties" in params:
        launch.launch_into_instance_id = (
            params["launchIntoInstanceProperties"].get("launchIntoEC2InstanceID") or None
        )
    return launch


def _check_launch_into(ctx: OpContext, server: SourceServer, launch: LaunchConfiguration) -> None:
    target_id = launch.launch_into_instance_id
    if target_id is None:
        return
    if launch.copy_private_ip or launch.copy_tags:
        raise ValidationError(
            "Launch into an existing instance requires copyPrivateIp and copyTags to be off",
            fields=[(_LAUNCH_INTO_FIELD, "copyPrivateIp and copyTags must be false")],
        )
    target = ctx.emu.ec2.describe(ctx.account_id, ctx.region, [target_id]).get(target_id)
    problem = rules.launch_into_target_problem(target_id, target, server.architecture, ctx.region)
    if problem is not None:
        raise ValidationError(problem, fields=[(_LAUNCH_INTO_FIELD, problem)])


def update_launch_configuration(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateLaunchConfiguration, validating a launch-into target as DRS does."""
    server = ctx.server(params["sourceServerID"])
    busy = _in_active_job(ctx.state, server.source_server_id)
    if busy is not None:
        raise ConflictError(
            f"Source server {server.source_server_id} is in active job {busy}",
            resource_id=server.source_server_id,
            resource_type="SOURCE_SERVER",
        )
    launch = _updated(server, params)
    _check_launch_into(ctx, server, launch)
    server.launch = launch
    return views.launch_configuration(server.source_server_id, launch)


def replicating_count(state: RegionState) -> int:
    """Servers replicating in this account and region; an extended server replicates in
    its staging account and is counted there."""
    return sum(
        1
        for s in state.servers.values()
        if s.staging is None and s.replication.state not in NOT_REPLICATING
    )


def _managed_in_staging(server: SourceServer, operation: str) -> None:
    if server.staging is not None:
        raise ValidationError(
            f"{operation} is not modelled for extended source server {server.source_server_id}:"
            f" its replication is managed in staging account {server.staging[0]}"
            f" ({server.staging[1]})",
            fields=[("sourceServerID", "an extended source server")],
        )


def check_replication_quota(ctx: OpContext, state: RegionState) -> None:
    """ServiceQuotaExceededException when one more replicating server is too many."""
    quota = ctx.emu.settings.quotas.replicating_servers
    if replicating_count(state) + 1 > quota:
        raise ServiceQuotaExceededError(
            f"At most {quota} source servers may replicate in {state.region}"
            f" (account {state.account_id})",
            quota_code=rules.QUOTA_REPLICATING_SERVERS,
            resource_type="SOURCE_SERVER",
        )


def start_replication(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """StartReplication: a STOPPED server replicates again (a fresh initial sync)."""
    server = ctx.server(params["sourceServerID"])
    if server.replication.state != "STOPPED":
        raise ConflictError(
            f"Replication of {server.source_server_id} is {server.replication.state}, not STOPPED",
            resource_id=server.source_server_id,
            resource_type="SOURCE_SERVER",
        )
    _managed_in_staging(server, "StartReplication")
    check_replication_quota(ctx, ctx.state)
    replication.restart(ctx.emu, server, (ctx.account_id, ctx.region), "INITIATING", ctx.now_ms)
    return {"sourceServer": views.source_server(ctx.emu, server, ctx.now_ms)}


def stop_replication(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """StopReplication: replication stops and the server's points in time are gone."""
    server = ctx.server(params["sourceServerID"])
    _managed_in_staging(server, "StopReplication")
    if server.replication.state in NOT_REPLICATING:
        raise ConflictError(
            f"Replication of {server.source_server_id} is already {server.replication.state}",
            resource_id=server.source_server_id,
            resource_type="SOURCE_SERVER",
        )
    replication.stop(server, ctx.now_ms)
    return {"sourceServer": views.source_server(ctx.emu, server, ctx.now_ms)}


def disconnect_source_server(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """DisconnectSourceServer: refused while the server has a recovery instance."""
    server = ctx.server(params["sourceServerID"])
    _managed_in_staging(server, "DisconnectSourceServer")
    instance = ctx.state.recovery_instances.get(server.recovery_instance_id or "")
    if instance is not None and not instance.terminated:
        raise ConflictError(
            f"Source server {server.source_server_id} has recovery instance "
            f"{instance.recovery_instance_id}",
            resource_id=server.source_server_id,
            resource_type="SOURCE_SERVER",
        )
    busy = _in_active_job(ctx.state, server.source_server_id)
    if busy is not None:
        raise ConflictError(f"Source server {server.source_server_id} is in active job {busy}")
    replication.stop(server, ctx.now_ms, state="DISCONNECTED")
    return views.source_server(ctx.emu, server, ctx.now_ms)


def delete_source_server(ctx: OpContext, params: Mapping[str, Any]) -> None:
    """DeleteSourceServer: only a DISCONNECTED server can be deleted."""
    server = ctx.server(params["sourceServerID"])
    if server.replication.state != "DISCONNECTED":
        raise ConflictError(
            f"Source server {server.source_server_id} must be disconnected before it is deleted",
            resource_id=server.source_server_id,
            resource_type="SOURCE_SERVER",
        )
    del ctx.state.servers[server.source_server_id]


OPERATIONS: dict[str, Operation] = {
    "DescribeSourceServers": describe_source_servers,
    "GetLaunchConfiguration": get_launch_configuration,
    "UpdateLaunchConfiguration": update_launch_configuration,
    "StartReplication": start_replication,
    "StopReplication": stop_replication,
    "DisconnectSourceServer": disconnect_source_server,
    "DeleteSourceServer": delete_source_server,
}
