"""The steps of a TERMINATE job: each recovery instance's EC2 instance is terminated.

The recovery instance then reads TERMINATED until its record expires. DRS terminates
whatever EC2 instance the record points at, a launched-into original included: that
is why failback cleanup deletes such records instead of terminating them.
"""

from __future__ import annotations

from drsorch.local.drs.core import Emulator
from drsorch.local.drs.jobs import Next, Step, StepContext
from drsorch.local.drs.scheduler import Event

EXPIRY_KIND = "recovery_instance_expiry"


def begin(ctx: StepContext) -> Next:
    """Start terminating one recovery instance."""
    ctx.slot.launch_status = "IN_PROGRESS"
    instance = ctx.state.recovery_instances.get(ctx.slot.recovery_instance_id or "")
    ctx.log("CLEANUP_START", targetInstanceID=instance.ec2_instance_id if instance else None)
    delay = ctx.emu.draw(
        ctx.emu.settings.timings.terminate, ctx.job.job_id, ctx.slot.recovery_instance_id
    )
    return "terminated", delay


def terminated(ctx: StepContext) -> Next:
    """The EC2 instance is terminated; the record lingers as TERMINATED for a while."""
    emu, state = ctx.emu, ctx.state
    instance = state.recovery_instances.get(ctx.slot.recovery_instance_id or "")
    if instance is not None and not instance.terminated:
        emu.ec2.terminate(state.account_id, state.region, instance.ec2_instance_id)
        instance.terminated = True
        server = state.servers.get(instance.source_server_id)
        if server is not None and server.recovery_instance_id == instance.recovery_instance_id:
            server.recovery_instance_id = None
            if server.last_launch is not None:
                server.last_launch.status = "TERMINATED"
        retention = emu.draw(
            emu.settings.timings.terminated_record_retention, instance.recovery_instance_id
        )
        expiry = Event(EXPIRY_KIND, state.account_id, state.region, instance.recovery_instance_id)
        emu.schedule(ctx.at_ms + retention, expiry)
    ctx.log("CLEANUP_END", targetInstanceID=instance.ec2_instance_id if instance else None)
    ctx.slot.launch_status = "TERMINATED"
    return None


def on_expiry(emu: Emulator, at_ms: int, event: Event) -> None:
    """Event handler: a TERMINATED recovery instance's record disappears."""
    state = emu.regions.get((event.account_id, event.region))
    if state is None:
        return
    instance = state.recovery_instances.get(event.subject)
    if instance is not None and instance.terminated:
        del state.recovery_instances[event.subject]


STEPS: dict[str, Step] = {"begin": begin, "terminated": terminated}
