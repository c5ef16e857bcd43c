"""Failback preparation: find (or create, by reverse replication) the FAILBACK server."""

from __future__ import annotations

from drsorch.configurator import domain
from drsorch.configurator.desired import desired_configuration
from drsorch.configurator.domain import SourceServer
from drsorch.configurator.errors import RecoveryInstanceBusy
from drsorch.configurator.progress import Progress, RequestContext, Trail, Waiting, result
from drsorch.contracts import LaunchConfiguration
from drsorch.contracts.types import Place


async def launching_server(
    ctx: RequestContext, trail: Trail, server: SourceServer
) -> SourceServer | Progress:
    """The server StartRecovery will be called on: for a failback, the FAILBACK server."""
    if ctx.spec.operation == "failover":
        return server
    pair = trail.record.pair
    account = pair.server.account_id
    recovery = Place(account, ctx.spec.recovery_region)
    primary = Place(account, ctx.spec.primary_region)
    ec2_id = pair.recovery_ec2_instance_id
    if ec2_id is None and pair.recovery_instance_id is not None:
        ec2_id = await ctx.cloud.drs.recovery_ec2_instance(recovery, pair.recovery_instance_id)
    if ec2_id is None:
        reason = f"server {pair.server.source_server_id} has no recovery instance to fail back"
        return result(ctx, pair, "rejected", reason=reason, trail=trail)
    found = await _existing_failback_server(ctx, primary, ec2_id)
    if found is not None:
        return found
    return await _reverse(ctx, trail, recovery, primary, ec2_id)


async def _existing_failback_server(
    ctx: RequestContext, primary: Place, ec2_id: str
) -> SourceServer | None:
    """From this step's listing of the primary place where there is one, else from DRS."""
    listed = ctx.failbacks.get(primary)
    if listed is None:
        return await ctx.cloud.drs.failback_server(primary, ec2_id)
    return domain.failback_server_of(listed.get(ec2_id, ()), ec2_id)


async def _reverse(
    ctx: RequestContext, trail: Trail, recovery: Place, primary: Place, ec2_id: str
) -> SourceServer | Progress:
    """Start reverse replication and find the FAILBACK server it creates in the primary region."""
    pair = trail.record.pair
    instance_id = pair.recovery_instance_id
    if instance_id is None:
        reason = f"no FAILBACK server replicates {ec2_id} and no recovery instance is known"
        return result(ctx, pair, "rejected", reason=reason, trail=trail)
    if ctx.dry:
        return _planned_reverse(ctx, trail, instance_id)
    if not trail.reverse_started:
        started = await _start_reverse(ctx, trail, recovery, primary, ec2_id, instance_id)
        if started is not None:
            return started
    found = await ctx.cloud.drs.failback_server(primary, ec2_id)
    if found is None:
        return Waiting(
            f"reverse replication of {instance_id} started; no FAILBACK server for {ec2_id} "
            f"has appeared in {primary} yet",
            reverse_replication_started=True,
        )
    return found


async def _start_reverse(  # noqa: PLR0917 - one call's inputs
    ctx: RequestContext,
    trail: Trail,
    recovery: Place,
    primary: Place,
    ec2_id: str,
    instance_id: str,
) -> SourceServer | Progress | None:
    """ReverseReplication; the server it names, or None to look the server up by instance."""
    try:
        arn = await ctx.cloud.drs.reverse_replication(recovery, instance_id)
        trail.reversed = True
    except RecoveryInstanceBusy as exc:
        # Busy also when reverse replication already started; then its server is there.
        found = await ctx.cloud.drs.failback_server(primary, ec2_id)
        if found is not None:
            return found
        return Waiting(f"recovery instance {instance_id} is not ready yet: {exc}")
    # DRS names the server it just created (or re-pointed) for this very call: no
    # lookup by instance is needed. That is not the stored field of the same name,
    # which can go stale across cycles; the lookup stays for a reply lost to a crash.
    return reversed_server(arn, primary, ec2_id)


def reversed_server(arn: str, primary: Place, ec2_id: str) -> SourceServer | None:
    """The FAILBACK server ReverseReplication's `reversedDirectionSourceServerArn` names,
    when that ARN is a source server in the primary place; None for anything else."""
    # arn:<partition>:drs:<region>:<account>:source-server/<id>
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "drs" or Place(parts[4], parts[3]) != primary:
        return None
    kind, _, server_id = parts[5].partition("/")
    if kind != "source-server" or not server_id.startswith("s-"):
        return None
    return SourceServer(
        source_server_id=server_id, place=primary, direction="FAILBACK", aws_instance_id=ec2_id
    )


def _planned_reverse(ctx: RequestContext, trail: Trail, instance_id: str) -> Progress:
    """A plan-only failback whose FAILBACK server does not exist yet: say what would happen."""
    pair = trail.record.pair
    reason = (
        f"would start reverse replication on recovery instance {instance_id}, then "
        "configure the FAILBACK server it creates"
    )
    launch_into = domain.launch_kind(ctx.spec, pair) == "launch_into"
    server = ctx.servers.get(pair.server.source_server_id)
    tags = (server.tags,) if server is not None else ()
    desired = desired_configuration(
        ctx, pair, LaunchConfiguration(), launch_into=launch_into, tags=tags
    )
    if isinstance(desired, str):
        return result(ctx, pair, "rejected", reason=desired, trail=trail)
    return result(ctx, pair, "planned", reason=reason, trail=trail, desired=desired)
