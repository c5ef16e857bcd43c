"""The steps of a LAUNCH job for one server, and what they do to EC2.

begin → [cleanup of the previous recovery instance] → snapshot (or a previous one)
→ [conversion, unless recoveryMode FAST] → launch → launched. A failed step logs its
*_FAIL / LAUNCH_FAILED event with rawError and ends that server FAILED.
"""

from __future__ import annotations

from drsorch.local.drs import agents, replication, rules
from drsorch.local.drs.ec2_port import Ec2Error, InstanceView, NewInstance
from drsorch.local.drs.jobs import Next, Step, StepContext
from drsorch.local.drs.servers import arn
from drsorch.local.drs.state import RecoveryInstance, SourceServer


def _server(ctx: StepContext) -> SourceServer | None:
    return ctx.state.servers.get(ctx.slot.source_server_id)


def _fail(ctx: StepContext, event: str, raw_error: str) -> Next:
    ctx.log(event, rawError=raw_error)
    ctx.slot.launch_status = "FAILED"
    server = _server(ctx)
    if server is not None:
        server.last_launch_result = "FAILED"
        if server.last_launch is not None:
            server.last_launch.status = "FAILED"
    return None


def _target_id(ctx: StepContext, server: SourceServer) -> str | None:
    """The instance to launch into; a drill always launches a new instance."""
    return None if ctx.job.is_drill else server.launch.launch_into_instance_id


def begin(ctx: StepContext) -> Next:
    """The server joins the running job; clean up its previous recovery instance first."""
    ctx.slot.launch_status = "IN_PROGRESS"
    server = _server(ctx)
    if server is None:
        return _fail(ctx, "LAUNCH_FAILED", f"Source server {ctx.slot.source_server_id} was deleted")
    if server.last_launch is not None:
        server.last_launch.status = "IN_PROGRESS"
    reason = rules.not_ready_reason(server.replication.state)
    if reason is not None:
        return _fail(ctx, "LAUNCH_FAILED", reason)
    previous = ctx.state.recovery_instances.get(server.recovery_instance_id or "")
    if previous is not None:
        ctx.log("CLEANUP_START", targetInstanceID=previous.ec2_instance_id)
        return "cleanup_end", ctx.emu.draw(
            ctx.emu.settings.timings.cleanup, ctx.job.job_id, server.source_server_id
        )
    return "snapshot", 0


def cleanup_end(ctx: StepContext) -> Next:
    """The previous recovery instance is gone (its EC2 instance too, unless launched into)."""
    server = _server(ctx)
    assert server is not None  # begin() saw it, and deletion needs no active job
    previous = ctx.state.recovery_instances.pop(server.recovery_instance_id or "", None)
    if previous is not None and not previous.launched_into and not previous.terminated:
        ctx.emu.ec2.terminate(ctx.state.account_id, ctx.state.region, previous.ec2_instance_id)
    server.recovery_instance_id = None
    ctx.log("CLEANUP_END", targetInstanceID=previous.ec2_instance_id if previous else None)
    return "snapshot", 0


def snapshot(ctx: StepContext) -> Next:
    """Take an on-demand snapshot, or use the chosen (or last good) point in time."""
    server = _server(ctx)
    assert server is not None
    chosen = ctx.job.snapshot_ms.get(server.source_server_id)
    if chosen is not None:
        ctx.log("USING_PREVIOUS_SNAPSHOT")
        ctx.slot.point_in_time_ms = chosen  # the recoverySnapshotID StartRecovery named
        return "conversion", 0
    if replication.is_stalled(ctx.emu, server):
        ctx.log("USING_PREVIOUS_SNAPSHOT")
        # A stalled server's last good point is as old as its lag.
        lag_ms = replication.view(ctx.emu, server, ctx.at_ms).lag_seconds or 0
        ctx.slot.point_in_time_ms = ctx.at_ms - lag_ms * 1000
        return "conversion", 0
    ctx.log("SNAPSHOT_START")
    return "snapshot_end", ctx.emu.draw(
        ctx.emu.settings.timings.snapshot, ctx.job.job_id, server.source_server_id
    )


def snapshot_end(ctx: StepContext) -> Next:
    """The snapshot is taken."""
    ctx.slot.point_in_time_ms = ctx.at_ms
    ctx.log("SNAPSHOT_END")
    return "conversion", 0


def conversion(ctx: StepContext) -> Next:
    """Convert the recovery point (skipped in FAST recovery mode)."""
    server = _server(ctx)
    assert server is not None
    if server.launch.recovery_mode == "FAST":
        return "launch", 0
    ctx.log("CONVERSION_START")
    return "conversion_end", ctx.emu.draw(
        ctx.emu.settings.timings.conversion, ctx.job.job_id, server.source_server_id
    )


def conversion_end(ctx: StepContext) -> Next:
    """Conversion done."""
    ctx.log("CONVERSION_END")
    return "launch", 0


def launch(ctx: StepContext) -> Next:
    """Start launching: injected faults and the launch-into target are checked here."""
    server = _server(ctx)
    assert server is not None
    target_id = _target_id(ctx, server)
    ctx.log("LAUNCH_START", targetInstanceID=target_id)
    fault = ctx.emu.server_fault(server)
    if fault is not None and fault.launch_failure:
        return _fail(ctx, "LAUNCH_FAILED", fault.launch_failure)
    if target_id is not None and _landing_fault(ctx, server) is None:
        problem = _launch_into_problem(ctx, server, target_id)
        if problem is not None:
            return _fail(ctx, "LAUNCH_FAILED", problem)
    return "launched", ctx.emu.draw(
        ctx.emu.settings.timings.launch, ctx.job.job_id, server.source_server_id
    )


def _launch_into_problem(ctx: StepContext, server: SourceServer, target_id: str) -> str | None:
    account, region = ctx.state.account_id, ctx.state.region
    target = ctx.emu.ec2.describe(account, region, [target_id]).get(target_id)
    return rules.launch_into_launch_problem(target_id, target, server.architecture, region)


def launched(ctx: StepContext) -> Next:
    """The instance runs (or sits stopped, per launchDisposition): record it."""
    server = _server(ctx)
    assert server is not None
    target_id = _target_id(ctx, server)
    landing = _landing_fault(ctx, server)
    try:
        if landing == "new" or (landing is None and target_id is None):
            instance, launched_into = _launch_new(ctx, server), False
        elif landing is not None:
            instance, launched_into = _land_in(ctx, server, landing), True
        else:
            assert target_id is not None
            instance, launched_into = _launch_into(ctx, server, target_id), True
    except Ec2Error as error:
        return _fail(ctx, "LAUNCH_FAILED", str(error))
    _record(ctx, server, instance, launched_into=launched_into)
    if launched_into:
        state = ctx.state
        agents.lose_agents_on(
            ctx.emu, state.account_id, state.region, instance.instance_id, ctx.at_ms
        )
    return None


def _landing_fault(ctx: StepContext, server: SourceServer) -> str | None:
    """Where an injected `land_in` fault sends this launch ("new" or an instance ID)."""
    fault = ctx.emu.server_fault(server)
    return fault.land_in if fault is not None else None


def _land_in(ctx: StepContext, server: SourceServer, instance_id: str) -> InstanceView:
    """The `land_in` fault: into this instance whatever its state and tags (it must exist)."""
    account, region = ctx.state.account_id, ctx.state.region
    found = ctx.emu.ec2.describe(account, region, [instance_id]).get(instance_id)
    if found is None or found.state == "terminated":
        raise Ec2Error(f"EC2 instance {instance_id} was not found in this account in {region}")
    return ctx.emu.ec2.launch_into(
        account,
        region,
        instance_id,
        [(disk.device_name, disk.size_bytes) for disk in server.disks],
        start=server.launch.launch_disposition == "STARTED",
        tags={},
        force=True,
    )


def _launch_into(ctx: StepContext, server: SourceServer, target_id: str) -> InstanceView:
    problem = _launch_into_problem(ctx, server, target_id)
    if problem is not None:
        raise Ec2Error(problem)
    return ctx.emu.ec2.launch_into(
        ctx.state.account_id,
        ctx.state.region,
        target_id,
        [(disk.device_name, disk.size_bytes) for disk in server.disks],
        start=server.launch.launch_disposition == "STARTED",
        tags={},
    )


def _launch_new(ctx: StepContext, server: SourceServer) -> InstanceView:
    settings = server.launch
    spec = NewInstance(
        launch_template_id=settings.ec2_launch_template_id,
        availability_zone_hint=server.staging_availability_zone,
        private_ip=server.private_ip if settings.copy_private_ip else None,
        tags=rules.recovery_instance_tags(
            server.source_server_id, server.hostname, server.tags, copy_tags=settings.copy_tags
        ),
        start=settings.launch_disposition == "STARTED",
        disk_sizes=[(disk.device_name, disk.size_bytes) for disk in server.disks],
        architecture=server.architecture,
        launched_at_ms=ctx.at_ms,
    )
    return ctx.emu.ec2.launch(ctx.state.account_id, ctx.state.region, spec)


def _record(
    ctx: StepContext, server: SourceServer, instance: InstanceView, *, launched_into: bool
) -> None:
    emu, state = ctx.emu, ctx.state
    instance_id = emu.ids.recovery_instance(state.account_id, state.region)
    ready = ctx.at_ms + emu.draw(emu.settings.timings.recovery_instance_initializing, instance_id)
    state.recovery_instances[instance_id] = RecoveryInstance(
        recovery_instance_id=instance_id,
        arn=arn(state, "recovery-instance", instance_id),
        source_server_id=server.source_server_id,
        ec2_instance_id=instance.instance_id,
        job_id=ctx.job.job_id,
        is_drill=ctx.job.is_drill,
        launched_into=launched_into,
        point_in_time_ms=ctx.slot.point_in_time_ms or ctx.at_ms,
        ready_ms=ready,
        availability_zone=instance.availability_zone,
    )
    ctx.slot.launch_status = "LAUNCHED"
    ctx.slot.recovery_instance_id = instance_id
    server.recovery_instance_id = instance_id
    server.last_launch_result = "SUCCEEDED"
    if server.last_launch is not None:
        server.last_launch.status = "LAUNCHED"


STEPS: dict[str, Step] = {
    "begin": begin,
    "cleanup_end": cleanup_end,
    "snapshot": snapshot,
    "snapshot_end": snapshot_end,
    "conversion": conversion,
    "conversion_end": conversion_end,
    "launch": launch,
    "launched": launched,
}
