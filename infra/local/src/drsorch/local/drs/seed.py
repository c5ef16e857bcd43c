"""Seed API: build a DRS estate in-process, as if it had been running for a while.

The estate loader calls these functions in the endpoint's own process, before or
while it serves. They write straight into the emulator's state (no HTTP, no faults,
no call log), so a 1,000-server estate seeds in well under a second of DRS work.
IDs are deterministic given the emulator's seed and the order of calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from drsorch.local.drs import seeding
from drsorch.local.drs.emulator import default_emulator
from drsorch.local.drs.settings import EmulatorSettings

__all__ = [
    "DiskSeed",
    "EmulatorSettings",
    "SourceServerSeed",
    "add_failback_duplicate",
    "add_recovery_instance",
    "add_source_server",
    "configure",
    "extend_source_server",
    "initialize_service",
    "set_launch_configuration_template",
    "set_launch_into",
    "settings",
    "start_reverse_replication",
    "trust_staging_account",
]


@dataclass(frozen=True)
class DiskSeed:
    """One replicated disk of a source server."""

    device_name: str
    size_bytes: int


@dataclass(frozen=True)
class SourceServerSeed:
    """A FAILOVER-direction source server protecting an EC2 instance of the origin region."""

    hostname: str
    origin_instance_id: str
    """identificationHints.awsInstanceID: the EC2 instance DRS replicates."""
    origin_account_id: str
    origin_region: str
    origin_availability_zone: str
    tags: Mapping[str, str] = field(default_factory=dict)
    """The DRS source server's own tags."""
    architecture: str = "x86_64"
    replication_state: str = "CONTINUOUS"
    """dataReplicationInfo.dataReplicationState."""
    lag_seconds: int = 0
    disks: tuple[DiskSeed, ...] = (DiskSeed("/dev/xvda", 8 * 2**30),)
    private_ip: str | None = None
    source_server_id: str | None = None
    """Generated deterministically from the emulator's seed when None."""


def initialize_service(account_id: str, region: str) -> None:
    """As InitializeService in that account and region (idempotent)."""
    seeding.initialize_service(default_emulator(), account_id, region)


def add_source_server(account_id: str, region: str, seed: SourceServerSeed) -> str:
    """Add a FAILOVER-direction server held in `region` (the recovery region).

    Initializes the service there if needed. Returns the sourceServerID.
    """
    return seeding.add_server(default_emulator(), account_id, region, seed)


def add_recovery_instance(
    account_id: str,
    region: str,
    source_server_id: str,
    ec2_instance_id: str,
    *,
    is_drill: bool = False,
) -> str:
    """Record a completed launch of `source_server_id` as `ec2_instance_id`.

    The EC2 instance is one the seeder created in the same account and region; it is
    treated as a new instance DRS launched (so a later launch of the server cleans
    it up). Returns the recoveryInstanceID.
    """
    return seeding.add_recovery_instance(
        default_emulator(), account_id, region, source_server_id, ec2_instance_id, is_drill=is_drill
    )


def start_reverse_replication(
    account_id: str,
    region: str,
    recovery_instance_id: str,
    *,
    replication_state: str = "CONTINUOUS",
    lag_seconds: int = 0,
) -> str:
    """As ReverseReplication, with the reversed server placed directly in a state.

    Returns the sourceServerID of the reversed (FAILBACK-direction) server, which is
    held in the origin region of the recovery instance's source server.
    """
    return seeding.start_reverse_replication(
        default_emulator(),
        account_id,
        region,
        recovery_instance_id,
        replication_state=replication_state,
        lag_seconds=lag_seconds,
    )


def add_earlier_landing(
    account_id: str, region: str, recovery_instance_id: str, *, days_ago: int = 40
) -> tuple[str, str]:
    """An earlier round trip's failback, never retired: the server's FAILBACK server and
    its record of a launch into the original by a job completed `days_ago` days ago.
    Returns (FAILBACK server ID, that recovery instance's ID)."""
    return seeding.add_earlier_landing(
        default_emulator(), account_id, region, recovery_instance_id, days_ago=days_ago
    )


def add_failback_duplicate(
    account_id: str,
    region: str,
    recovery_instance_id: str,
    *,
    replication_state: str = "CONTINUOUS",
    lag_seconds: int = 0,
) -> str:
    """One more FAILBACK-direction server replicating the same recovery instance back.

    DRS should hold one; an estate lays this to see that drsorch notices two. The
    duplicate is held beside the reversed server, names the same EC2 instance in its
    identificationHints, and copies that server's launch settings. Returns its ID.
    """
    return seeding.add_failback_duplicate(
        default_emulator(),
        account_id,
        region,
        recovery_instance_id,
        replication_state=replication_state,
        lag_seconds=lag_seconds,
    )


def set_launch_into(
    account_id: str, region: str, source_server_id: str, instance_id: str | None
) -> None:
    """Preset a server's launchIntoEC2InstanceID, as if someone had set it before.

    Not validated (the instance may be anywhere, or nowhere): that is the point of a preset.
    """
    seeding.set_launch_into(default_emulator(), account_id, region, source_server_id, instance_id)


def trust_staging_account(target_account_id: str, staging_account_id: str) -> None:
    """Let `target_account_id` extend servers of `staging_account_id` (DRS's trusted accounts)."""
    seeding.trust_staging_account(default_emulator(), target_account_id, staging_account_id)


def extend_source_server(
    target_account_id: str,
    region: str,
    staging_account_id: str,
    staging_server_id: str,
    *,
    tags: Mapping[str, str] | None = None,
) -> str:
    """As CreateExtendedSourceServer called by the target account; returns the extended
    server's sourceServerID. The staging account must trust the target account."""
    return seeding.extend_source_server(
        default_emulator(),
        target_account_id,
        region,
        staging_account_id,
        staging_server_id,
        tags=tags or {},
    )


def settings() -> EmulatorSettings:
    """The settings in force."""
    return default_emulator().settings


def set_launch_configuration_template(
    account_id: str, region: str, *, launch_into_source_instance: bool
) -> None:
    """Set the region's launch configuration template's launchIntoSourceInstance."""
    seeding.set_launch_into_source_instance(
        default_emulator(), account_id, region, enabled=launch_into_source_instance
    )


def configure(settings: EmulatorSettings) -> None:
    """Replace the emulator's settings (clock scale, seed, timings, quotas, faults)."""
    default_emulator().configure(settings)
