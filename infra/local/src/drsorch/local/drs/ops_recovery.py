"""Recovery instance operations: describe, reverse, stop failback, disconnect, delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drsorch.local.drs import failback, paging, rules
from drsorch.local.drs.context import OpContext, Operation
from drsorch.local.drs.errors import ConflictError, UninitializedAccountError, ValidationError
from drsorch.local.drs.ops_servers import check_replication_quota
from drsorch.local.drs.recovery_view import recovery_instance, reversed_server
from drsorch.local.drs.state import NOT_REPLICATING, RecoveryInstance, RegionState, SourceServer


def describe_recovery_instances(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeRecoveryInstances: filtered, newest first, paginated."""
    filters = params.get("filters") or {}
    ids = filters.get("recoveryInstanceIDs") or []
    server_ids = filters.get("sourceServerIDs") or []
    found = [
        instance
        for instance in ctx.state.recovery_instances.values()
        if (not ids or instance.recovery_instance_id in ids)
        and (not server_ids or instance.source_server_id in server_ids)
    ]
    found.reverse()  # records are kept in launch order; newest first
    scope = f"ri:{sorted(ids)}:{sorted(server_ids)}"
    items, token = paging.page(found, params, ctx.emu.settings.paging, scope)
    ec2 = ctx.emu.ec2.describe(ctx.account_id, ctx.region, [i.ec2_instance_id for i in items])
    body: dict[str, Any] = {
        "items": [
            recovery_instance(ctx.emu, ctx.state, item, ec2.get(item.ec2_instance_id), ctx.now_ms)
            for item in items
        ]
    }
    return body | ({"nextToken": token} if token else {})


def _conflict(instance: RecoveryInstance, message: str) -> ConflictError:
    return ConflictError(
        message, resource_id=instance.recovery_instance_id, resource_type="RECOVERY_INSTANCE"
    )


def reverse_replication(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """ReverseReplication: replicate the recovery instance back to its origin region."""
    instance = ctx.recovery_instance(params["recoveryInstanceID"])
    ri_id = instance.recovery_instance_id
    if instance.terminated or instance.disconnected:
        raise _conflict(instance, f"Recovery instance {ri_id} is terminated or disconnected")
    if ctx.now_ms < instance.ready_ms:
        raise _conflict(instance, f"Recovery instance {ri_id} is still initializing; retry later")
    back = reversed_server(ctx.emu, ctx.state, instance)
    if back is not None and back.replication.state not in NOT_REPLICATING:
        raise _conflict(instance, f"Reverse replication of {ri_id} already started ({back.arn})")
    source = ctx.server(instance.source_server_id)
    target = ctx.emu.region(ctx.account_id, source.origin.region)
    if not target.initialized:
        raise UninitializedAccountError(
            f"DRS is not initialized in {target.region}, the origin region"
        )
    found = failback.find_reversed(ctx.emu, ctx.state, instance)
    if found is None:
        _check_launch_into_source(ctx, instance, source, target)
    if found is None or found.replication.state in NOT_REPLICATING:
        # A reused server whose replication was stopped replicates again: a slot, too.
        check_replication_quota(ctx, target)
    server = failback.reverse(ctx.emu, ctx.state, instance, ctx.now_ms)
    return {"reversedDirectionSourceServerArn": server.arn}


def _check_launch_into_source(
    ctx: OpContext, instance: RecoveryInstance, source: SourceServer, target: RegionState
) -> None:
    """With launchIntoSourceInstance on in the origin region, DRS refuses to create the
    reversed server unless the original can be launched into (DRS User Guide, "Launch
    into source instance": the failure shows here, not at the later launch).

    ValidationException, not ConflictException: nothing will change by waiting, and
    ConflictException from ReverseReplication means "still initializing, retry" to
    clients.
    """
    template = target.template
    if template is None or not template.launch_into_source_instance:
        return
    origin = source.origin
    problem: str | None
    if template.copy_private_ip or template.copy_tags:
        problem = f"copyPrivateIp and copyTags must be off in {target.region}'s default settings"
    else:
        elsewhere = (
            None if origin.account_id == target.account_id else f"account {origin.account_id}"
        )
        seen = (
            {}
            if elsewhere
            else ctx.emu.ec2.describe(target.account_id, target.region, [origin.instance_id])
        )
        problem = rules.launch_into_source_problem(
            origin.instance_id,
            seen.get(origin.instance_id),
            architecture=source.architecture,
            elsewhere=elsewhere,
        )
    if problem is not None:
        message = (
            f"Cannot start reversed replication of {instance.recovery_instance_id}: launch "
            f"into source instance is on in {target.region}, and {problem}"
        )
        raise ValidationError(message, reason="other", fields=[("recoveryInstanceID", problem)])


def stop_failback(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """StopFailback: failback.state goes back to FAILBACK_NOT_STARTED."""
    instance = ctx.recovery_instance(params["recoveryInstanceID"])
    instance.reversed_server = None
    instance.failback_started_ms = None
    return {}


def disconnect_recovery_instance(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """DisconnectRecoveryInstance: not once reverse replication started for it."""
    instance = ctx.recovery_instance(params["recoveryInstanceID"])
    if instance.reversed_server is not None:
        raise _conflict(
            instance,
            f"Recovery instance {instance.recovery_instance_id} cannot be disconnected: "
            "reverse replication was started for it",
        )
    instance.disconnected = True
    return {}


def delete_recovery_instance(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """DeleteRecoveryInstance: forget the record; the EC2 instance is left untouched."""
    instance = ctx.recovery_instance(params["recoveryInstanceID"])
    for job in ctx.state.active_jobs():
        if any(
            slot.recovery_instance_id == instance.recovery_instance_id
            for slot in job.participants.values()
        ):
            raise _conflict(
                instance,
                f"Recovery instance {instance.recovery_instance_id} is in active job {job.job_id}",
            )
    del ctx.state.recovery_instances[instance.recovery_instance_id]
    server = ctx.state.servers.get(instance.source_server_id)
    if server is not None and server.recovery_instance_id == instance.recovery_instance_id:
        server.recovery_instance_id = None
    return {}


OPERATIONS: dict[str, Operation] = {
    "DescribeRecoveryInstances": describe_recovery_instances,
    "ReverseReplication": reverse_replication,
    "StopFailback": stop_failback,
    "DisconnectRecoveryInstance": disconnect_recovery_instance,
    "DeleteRecoveryInstance": delete_recovery_instance,
}
