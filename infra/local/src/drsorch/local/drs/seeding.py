"""The seed API's work: writing an estate straight into the emulator's state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from drsorch.local.drs import replication, snapshots, staging
from drsorch.local.drs.core import Emulator
from drsorch.local.drs.errors import DrsError, not_found
from drsorch.local.drs.failback import find_reversed, reverse
from drsorch.local.drs.rules import LAUNCH_INTO_TAG_KEY, LAUNCH_INTO_TAG_VALUE
from drsorch.local.drs.servers import add_source_server, arn, initialize
from drsorch.local.drs.state import Disk, LastLaunch, Origin, RecoveryInstance, Replication

HOLDS_NO_POINTS = frozenset({"INITIATING", "INITIAL_SYNC", "STOPPED", "DISCONNECTED"})

if TYPE_CHECKING:
    from drsorch.local.drs.seed import SourceServerSeed


class SeedError(ValueError):
    """The seed does not fit the emulator's state (unknown server, instance, ...)."""


def initialize_service(emu: Emulator, account_id: str, region: str) -> None:
    """As InitializeService."""
    with emu.lock:
        initialize(emu, emu.region(account_id, region))


def add_server(emu: Emulator, account_id: str, region: str, seed: SourceServerSeed) -> str:
    """Add a FAILOVER-direction source server; returns its ID."""
    with emu.lock:
        emu.run_due()
        state = emu.region(account_id, region)
        if seed.source_server_id is not None and seed.source_server_id in state.servers:
            raise SeedError(f"source server {seed.source_server_id} already exists")
        now = emu.now_ms()
        server = add_source_server(
            emu,
            state,
            hostname=seed.hostname,
            origin=Origin(
                seed.origin_account_id,
                seed.origin_region,
                seed.origin_availability_zone,
                seed.origin_instance_id,
            ),
            direction="FAILOVER",
            architecture=seed.architecture,
            disks=[Disk(disk.device_name, disk.size_bytes) for disk in seed.disks],
            private_ip=seed.private_ip,
            tags=seed.tags,
            replication=Replication(state=seed.replication_state, initiation_started_ms=now),
            source_server_id=seed.source_server_id,
        )
        if seed.replication_state in replication.PROGRESSING:
            replication.restart(emu, server, (account_id, region), seed.replication_state, now)
        server.replication.lag_seconds = seed.lag_seconds
        server.replication.phase_started_ms = now
        if seed.replication_state not in HOLDS_NO_POINTS:
            # An estate seeded as protected has been so for a while: it has points in time.
            server.pit_since_ms = now - snapshots.SEEDED_HISTORY_MS
        return server.source_server_id


def add_recovery_instance(
    emu: Emulator,
    account_id: str,
    region: str,
    source_server_id: str,
    ec2_instance_id: str,
    *,
    is_drill: bool,
) -> str:
    """Record a completed launch; returns the recovery instance ID."""
    with emu.lock:
        emu.run_due()
        state = emu.region(account_id, region)
        server = state.servers.get(source_server_id)
        if server is None:
            raise SeedError(f"no source server {source_server_id} in {account_id}/{region}")
        ec2 = emu.ec2.describe(account_id, region, [ec2_instance_id]).get(ec2_instance_id)
        if ec2 is None:
            raise SeedError(f"no EC2 instance {ec2_instance_id} in {account_id}/{region}")
        if server.recovery_instance_id is not None:
            state.recovery_instances.pop(server.recovery_instance_id, None)
        now = emu.now_ms()
        instance_id = emu.ids.recovery_instance(account_id, region)
        state.recovery_instances[instance_id] = RecoveryInstance(
            recovery_instance_id=instance_id,
            arn=arn(state, "recovery-instance", instance_id),
            source_server_id=source_server_id,
            ec2_instance_id=ec2_instance_id,
            job_id=None,
            is_drill=is_drill,
            # A pre-provisioned target carries the launch-into tag: never terminate it.
            launched_into=ec2.tags.get(LAUNCH_INTO_TAG_KEY) == LAUNCH_INTO_TAG_VALUE,
            point_in_time_ms=now,
            ready_ms=now,
            availability_zone=ec2.availability_zone,
        )
        server.recovery_instance_id = instance_id
        launch_type = "DRILL" if is_drill else "RECOVERY"
        server.last_launch = LastLaunch(None, launch_type, now, "LAUNCHED")
        server.last_launch_result = "SUCCEEDED"
        return instance_id


def start_reverse_replication(
    emu: Emulator,
    account_id: str,
    region: str,
    recovery_instance_id: str,
    *,
    replication_state: str,
    lag_seconds: int,
) -> str:
    """As ReverseReplication with the reversed server placed in a state; returns its ID."""
    with emu.lock:
        emu.run_due()
        state = emu.region(account_id, region)
        instance = state.recovery_instances.get(recovery_instance_id)
        if instance is None:
            raise SeedError(str(not_found("recovery_instance", recovery_instance_id)))
        try:
            server = reverse(
                emu, state, instance, emu.now_ms(), phase=replication_state, lag_seconds=lag_seconds
            )
        except DrsError as error:
            raise SeedError(error.message) from error
        return server.source_server_id


def set_launch_into_source_instance(
    emu: Emulator, account_id: str, region: str, *, enabled: bool
) -> None:
    """Set the region's launchIntoSourceInstance default."""
    with emu.lock:
        state = emu.region(account_id, region)
        initialize(emu, state)
        assert state.template is not None  # initialize() made it
        state.template.launch_into_source_instance = enabled


def add_failback_duplicate(
    emu: Emulator,
    account_id: str,
    region: str,
    recovery_instance_id: str,
    *,
    replication_state: str,
    lag_seconds: int,
) -> str:
    """A second FAILBACK-direction server for one recovery instance; returns its ID."""
    with emu.lock:
        emu.run_due()
        state = emu.region(account_id, region)
        instance = state.recovery_instances.get(recovery_instance_id)
        first = find_reversed(emu, state, instance) if instance is not None else None
        if instance is None or first is None or instance.reversed_server is None:
            raise SeedError(f"recovery instance {recovery_instance_id} is not reverse-replicating")
        held = emu.region(account_id, instance.reversed_server[0])
        server = add_source_server(
            emu,
            held,
            hostname=first.hostname,
            origin=replace(first.origin),
            direction=first.direction,
            architecture=first.architecture,
            disks=[Disk(disk.device_name, disk.size_bytes) for disk in first.disks],
            private_ip=first.private_ip,
            tags=dict(first.tags),
            replication=Replication(state=replication_state, initiation_started_ms=emu.now_ms()),
        )
        own_template = server.launch.ec2_launch_template_id
        server.launch = replace(first.launch, ec2_launch_template_id=own_template)
        server.reversed_arn = first.reversed_arn
        if replication_state in replication.PROGRESSING:
            where = (held.account_id, held.region)
            replication.restart(emu, server, where, replication_state, emu.now_ms())
        server.replication.lag_seconds = lag_seconds
        return server.source_server_id


def set_launch_into(
    emu: Emulator, account_id: str, region: str, source_server_id: str, instance_id: str | None
) -> None:
    """Write a server's launchIntoEC2InstanceID straight into its launch settings."""
    with emu.lock:
        server = emu.region(account_id, region).servers.get(source_server_id)
        if server is None:
            raise SeedError(f"no source server {source_server_id} in {account_id}/{region}")
        server.launch.launch_into_instance_id = instance_id
        if instance_id is not None:
            server.launch.copy_private_ip = False
            server.launch.copy_tags = False


def trust_staging_account(emu: Emulator, target_account_id: str, staging_account_id: str) -> None:
    """The staging account trusts the target account: it may be extended into it."""
    with emu.lock:
        emu.staging_trust.setdefault(target_account_id, set()).add(staging_account_id)


def extend_source_server(
    emu: Emulator,
    target_account_id: str,
    region: str,
    staging_account_id: str,
    staging_server_id: str,
    *,
    tags: Mapping[str, str],
) -> str:
    """As CreateExtendedSourceServer (no call log, no faults); returns the extended ID."""
    with emu.lock:
        emu.run_due()
        target = emu.region(target_account_id, region)
        initialize(emu, target)
        try:
            server = staging.extend(
                emu, target, staging_account_id, staging_server_id, tags, seeding=True
            )
        except DrsError as error:
            raise SeedError(str(error)) from error
        return server.source_server_id
