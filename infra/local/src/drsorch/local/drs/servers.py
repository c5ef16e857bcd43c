"""Creating DRS resources: service initialization, source servers, their launch settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from drsorch.local.drs.core import Emulator
from drsorch.local.drs.state import (
    Disk,
    LaunchConfiguration,
    LaunchConfigurationTemplate,
    Origin,
    RegionState,
    Replication,
    SourceServer,
)


def arn(state: RegionState, kind: str, resource_id: str) -> str:
    """The DRS ARN of a resource held in this account and region."""
    return f"arn:aws:drs:{state.region}:{state.account_id}:{kind}/{resource_id}"


def initialize(emu: Emulator, state: RegionState) -> None:
    """InitializeService: mark the account/region ready and create its default launch settings."""
    if state.initialized:
        return
    state.initialized = True
    template_id = emu.ids.template(state.account_id, state.region)
    state.template = LaunchConfigurationTemplate(
        template_id=template_id, arn=arn(state, "launch-configuration-template", template_id)
    )


def _launch_defaults(
    template: LaunchConfigurationTemplate | None, name: str, launch_template_id: str
) -> LaunchConfiguration:
    if template is None:
        return LaunchConfiguration(name=name, ec2_launch_template_id=launch_template_id)
    return LaunchConfiguration(
        name=name,
        ec2_launch_template_id=launch_template_id,
        launch_disposition=template.launch_disposition,
        right_sizing=template.right_sizing,
        copy_private_ip=template.copy_private_ip,
        copy_tags=template.copy_tags,
        os_byol=template.os_byol,
        post_launch_enabled=template.post_launch_enabled,
        recovery_mode=template.recovery_mode,
    )


def add_source_server(
    emu: Emulator,
    state: RegionState,
    *,
    hostname: str,
    origin: Origin,
    direction: str,
    architecture: str,
    disks: Sequence[Disk],
    private_ip: str | None,
    tags: Mapping[str, str],
    replication: Replication,
    source_server_id: str | None = None,
) -> SourceServer:
    """A new source server held in `state`, with its own EC2 launch template."""
    initialize(emu, state)
    server_id = source_server_id or emu.ids.source_server(state.account_id, state.region)
    launch_template_id = emu.ec2.create_launch_template(
        state.account_id, state.region, f"drs-{server_id}"
    )
    server = SourceServer(
        source_server_id=server_id,
        arn=arn(state, "source-server", server_id),
        hostname=hostname,
        origin=origin,
        direction=direction,
        architecture=architecture,
        disks=list(disks),
        private_ip=private_ip,
        replication=replication,
        launch=_launch_defaults(state.template, hostname, launch_template_id),
        added_ms=emu.now_ms(),
        tags=dict(tags),
        staging_availability_zone=staging_zone(state.region, origin.availability_zone),
    )
    state.servers[server_id] = server
    return server


def staging_zone(region: str, origin_zone: str) -> str:
    """The zone in `region` with the origin zone's letter (DRS stages per zone)."""
    return region + (origin_zone[-1:] if origin_zone[-1:].isalpha() else "a")
