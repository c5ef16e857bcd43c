"""The seed API's work: writing an estate straight into the emulator's state."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from drsorch.local.drs import replication, snapshots, staging
from drsorch.local.drs.core import Emulator
from drsorch.local.drs.errors import DrsError, not_found
from drsorch.local.drs.failback import find_reversed, reverse
from drsorch.local.drs.rules import LAUNCH_INTO_TAG_KEY, LAUNCH_INTO_TAG_VALUE
from drsorch.local.drs.servers import add_source_server, arn, initialize
from drsorch.local.drs.state import (
    Disk,
    Job,
    JobLogItem,
    LastLaunch,
    Origin,
    ParticipatingServer,
    RecoveryInstance,
    RegionState,
    Replication,
    SourceServer,
)

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


def _recovery_instance(
    emu: Emulator, account_id: str, region: str, recovery_instance_id: str
) -> tuple[RegionState, RecoveryInstance]:
    """The region's state (due work applied) and the recovery instance the seed names."""
    emu.run_due()
    state = emu.region(account_id, region)
    instance = state.recovery_instances.get(recovery_instance_id)
    if instance is None:
        raise SeedError(str(not_found("recovery_instance", recovery_instance_id)))
    return state, instance


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
        state, instance = _recovery_instance(emu, account_id, region, recovery_instance_id)
        try:
            server = reverse(
                emu, state, instance, emu.now_ms(), phase=replication_state, lag_seconds=lag_seconds
            )
        except DrsError as error:
            raise SeedError(error.message) from error
        return server.source_server_id


def add_earlier_landing(
    emu: Emulator, account_id: str, region: str, recovery_instance_id: str, *, days_ago: int
) -> tuple[str, str]:
    """An earlier round trip's failback of this recovery instance's server, never retired.

    Its FAILBACK server in the origin region (the one replicating the recovery instance
    back, if reverse replication is started; else one whose replication was stopped after
    that round trip, which the next ReverseReplication re-points), and that server's record
    of a launch into the original, by a LAUNCH job DRS completed `days_ago` days ago, which
    that round trip re-protected (its FAILOVER server replicating the original again).
    Returns (FAILBACK server ID, recovery instance ID of the earlier landing).
    """
    with emu.lock:
        state, instance = _recovery_instance(emu, account_id, region, recovery_instance_id)
        source = state.servers[instance.source_server_id]
        home = emu.region(account_id, source.origin.region)
        original = emu.ec2.describe(account_id, home.region, [source.origin.instance_id])
        ec2 = original.get(source.origin.instance_id)
        if ec2 is None or source.origin.account_id != account_id:
            raise SeedError(f"the original of {source.source_server_id} is not in {account_id}")
        then = emu.now_ms() - days_ago * 86_400_000
        failback = find_reversed(emu, state, instance) or _stopped_failback(
            emu, state, source, then
        )
        job_id = emu.ids.job(account_id, home.region)
        landing_id = emu.ids.recovery_instance(account_id, home.region)
        ended = then + 3_600_000
        job = Job(
            job_id=job_id,
            arn=arn(home, "job", job_id),
            job_type="LAUNCH",
            initiated_by="START_RECOVERY",
            created_ms=then,
            seq=len(home.jobs),
            is_drill=False,
            participants={
                failback.source_server_id: ParticipatingServer(
                    failback.source_server_id, "LAUNCHED", landing_id, then
                )
            },
            status="COMPLETED",
            end_ms=ended,
        )
        job.log.extend(
            [
                JobLogItem(then, "JOB_START"),
                JobLogItem(then, "LAUNCH_START", {"sourceServerID": failback.source_server_id}),
                JobLogItem(ended, "JOB_END"),
            ]
        )
        home.jobs[job_id] = job
        home.recovery_instances[landing_id] = RecoveryInstance(
            recovery_instance_id=landing_id,
            arn=arn(home, "recovery-instance", landing_id),
            source_server_id=failback.source_server_id,
            ec2_instance_id=source.origin.instance_id,
            job_id=job_id,
            is_drill=False,
            launched_into=True,
            point_in_time_ms=then,
            ready_ms=then,
            availability_zone=ec2.availability_zone,
            # That round trip re-protected it: the FAILOVER server replicates the original.
            reversed_server=(region, source.source_server_id),
            failback_started_ms=ended,
        )
        failback.recovery_instance_id = landing_id
        failback.last_launch = LastLaunch(job_id, "RECOVERY", then, "LAUNCHED")
        failback.last_launch_result = "SUCCEEDED"
        return failback.source_server_id, landing_id


def _stopped_failback(
    emu: Emulator, state: RegionState, source: SourceServer, landed_ms: int
) -> SourceServer:
    """The FAILBACK server an earlier round trip left, its replication stopped; it replicated
    that round trip's recovery instance, long terminated, from a day before its landing."""
    home = emu.region(state.account_id, source.origin.region)
    earlier = "i-0" + hashlib.sha256(source.arn.encode()).hexdigest()[:16]
    server = add_source_server(
        emu,
        home,
        hostname=source.hostname,
        origin=Origin(
            account_id=state.account_id,
            region=state.region,
            availability_zone=state.region + source.origin.availability_zone[-1:],
            instance_id=earlier,
        ),
        direction="FAILBACK",
        architecture=source.architecture,
        disks=[Disk(disk.device_name, disk.size_bytes) for disk in source.disks],
        private_ip=None,
        tags={},
        replication=Replication(state="STOPPED", initiation_started_ms=landed_ms - 86_400_000),
    )
    server.added_ms = landed_ms - 86_400_000
    server.reversed_arn, source.reversed_arn = source.arn, server.arn
    return server


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
