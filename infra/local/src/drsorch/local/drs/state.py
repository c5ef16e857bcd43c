"""The emulator's DRS state: plain dataclasses, one `RegionState` per (account, region).

Times are simulated epoch milliseconds (ints), so ordering and arithmetic are exact.
Views (`views.py`) turn these into the API's JSON shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NOT_READY_TO_LAUNCH = frozenset({"INITIATING", "INITIAL_SYNC", "STOPPED", "DISCONNECTED"})
"""Replication states in which DRS has no recovery point to launch from."""
NOT_REPLICATING = frozenset({"STOPPED", "DISCONNECTED"})


@dataclass
class Disk:
    """A replicated disk."""

    device_name: str
    size_bytes: int


@dataclass
class Origin:
    """Where a source server's data comes from: identificationHints + sourceCloudProperties."""

    account_id: str
    region: str
    availability_zone: str
    instance_id: str


@dataclass
class Replication:
    """A source server's data replication, advanced by scheduled transitions."""

    state: str
    lag_seconds: int = 0
    phase_started_ms: int = 0
    phase_ends_ms: int | None = None
    initiation_started_ms: int = 0
    epoch: int = 0
    """Bumped on every restart or stop, so transitions scheduled before are ignored."""


@dataclass
class LaunchConfiguration:
    """A source server's DRS launch settings (GetLaunchConfiguration)."""

    name: str
    ec2_launch_template_id: str
    launch_disposition: str = "STARTED"
    right_sizing: str = "BASIC"
    copy_private_ip: bool = False
    copy_tags: bool = False
    os_byol: bool = False
    post_launch_enabled: bool = False
    launch_into_instance_id: str | None = None
    recovery_mode: str | None = None


@dataclass
class LastLaunch:
    """lifeCycle.lastLaunch of a source server."""

    job_id: str | None
    launch_type: str
    api_call_ms: int
    status: str


@dataclass
class SourceServer:
    """A DRS source server (FAILOVER or FAILBACK direction)."""

    source_server_id: str
    arn: str
    hostname: str
    origin: Origin
    direction: str
    architecture: str
    disks: list[Disk]
    private_ip: str | None
    replication: Replication
    launch: LaunchConfiguration
    added_ms: int
    tags: dict[str, str] = field(default_factory=dict)
    reversed_arn: str | None = None
    recovery_instance_id: str | None = None
    last_launch: LastLaunch | None = None
    last_launch_result: str = "NOT_STARTED"
    staging_availability_zone: str = ""
    pit_since_ms: int | None = None
    """Since when DRS holds points in time of this server (it reached CONTINUOUS); None
    before that and after StopReplication, which deletes them (`snapshots.py`)."""
    agent_lost_ms: int | None = None
    """Since when the replication agent on the source machine is not seen (the machine is
    stopped, or its volumes were swapped by a launch into it); None while it is seen."""
    staging: tuple[str, str] | None = None
    """For an extended server: (staging account ID, sourceServerID there). Its replication
    is the staging server's own object, shared, so it follows the staging server."""


@dataclass
class RecoveryInstance:
    """A DRS recovery instance: the record of a launch, pointing at an EC2 instance."""

    recovery_instance_id: str
    arn: str
    source_server_id: str
    ec2_instance_id: str
    job_id: str | None
    is_drill: bool
    launched_into: bool
    """True when DRS launched into an existing instance: cleaning up never terminates it."""
    point_in_time_ms: int
    ready_ms: int
    """Until then ReverseReplication answers ConflictException (the instance initializes)."""
    availability_zone: str
    tags: dict[str, str] = field(default_factory=dict)
    reversed_server: tuple[str, str] | None = None
    """(region, sourceServerID) of the server replicating this instance back, once started."""
    failback_started_ms: int | None = None
    disconnected: bool = False
    terminated: bool = False


@dataclass
class ParticipatingServer:
    """One server in a job."""

    source_server_id: str
    launch_status: str = "PENDING"
    recovery_instance_id: str | None = None
    point_in_time_ms: int | None = None
    """When the recovery point this launch uses was taken."""


@dataclass
class JobLogItem:
    """One job log event."""

    at_ms: int
    event: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Job:
    """A DRS job (LAUNCH or TERMINATE)."""

    job_id: str
    arn: str
    job_type: str
    initiated_by: str
    created_ms: int
    seq: int
    is_drill: bool
    participants: dict[str, ParticipatingServer]
    status: str = "PENDING"
    end_ms: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    log: list[JobLogItem] = field(default_factory=list)
    snapshot_ids: dict[str, str] = field(default_factory=dict)
    """sourceServerID -> the recoverySnapshotID asked for, when one was."""
    snapshot_ms: dict[str, int] = field(default_factory=dict)
    """sourceServerID -> when that recovery snapshot was taken."""

    @property
    def active(self) -> bool:
        """A job counts against quotas until it is COMPLETED."""
        return self.status != "COMPLETED"


@dataclass
class LaunchConfigurationTemplate:
    """The region's default launch settings (one per account and region)."""

    template_id: str
    arn: str
    launch_disposition: str = "STARTED"
    right_sizing: str = "BASIC"
    copy_private_ip: bool = False
    copy_tags: bool = False
    os_byol: bool = False
    post_launch_enabled: bool = False
    launch_into_source_instance: bool = False
    recovery_mode: str | None = None
    export_bucket_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class RegionState:
    """All DRS state of one account in one region."""

    account_id: str
    region: str
    initialized: bool = False
    template: LaunchConfigurationTemplate | None = None
    servers: dict[str, SourceServer] = field(default_factory=dict)
    recovery_instances: dict[str, RecoveryInstance] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)

    def active_jobs(self) -> list[Job]:
        """Jobs not yet COMPLETED."""
        return [job for job in self.jobs.values() if job.active]

    def server_by_arn(self, arn: str) -> SourceServer | None:
        """The source server with this ARN, if it is held here."""
        server_id = arn.rsplit("/", 1)[-1]
        server = self.servers.get(server_id)
        return server if server is not None and server.arn == arn else None


Key = tuple[str, str]
"""(account ID, region)."""
