"""What the monitor observes in AWS, as plain values the decisions read.

Adapters build these from DRS and EC2 responses; nothing here knows botocore.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from drsorch.contracts.types import ACTIVE_JOB_STATUSES, LAUNCH_INTO_TAG_KEY, LAUNCH_INTO_TAG_VALUE


@dataclass(frozen=True)
class Participant:
    """One server of a DRS job (`participatingServers[]`)."""

    source_server_id: str
    launch_status: str
    recovery_instance_id: str | None = None


@dataclass(frozen=True)
class RecoveryJob:
    """A DRS job as DescribeJobs or StartRecovery reports it."""

    job_id: str
    status: str
    """PENDING, STARTED or COMPLETED: DRS has no failed job, only failed servers."""
    created_at: datetime | None = None
    ended_at: datetime | None = None
    participants: tuple[Participant, ...] = ()
    job_type: str = "LAUNCH"

    @property
    def active(self) -> bool:
        """Whether the job still counts against the quotas."""
        return self.status in ACTIVE_JOB_STATUSES

    @property
    def server_ids(self) -> frozenset[str]:
        return frozenset(p.source_server_id for p in self.participants)


@dataclass(frozen=True)
class Replication:
    """A source server's data replication as DescribeSourceServers reports it."""

    state: str | None
    lag_seconds: int | None = None


@dataclass(frozen=True)
class RecoveryInstance:
    """A DRS recovery instance: which EC2 instance a server was launched as (or into)."""

    recovery_instance_id: str
    source_server_id: str
    ec2_instance_id: str | None
    ec2_state: str | None = None
    job_id: str | None = None


@dataclass(frozen=True)
class JobLog:
    """What a job's log says, per launching server: why it failed, where it launched."""

    failures: Mapping[str, str] = field(default_factory=dict)
    launched_into: Mapping[str, str] = field(default_factory=dict)
    """The `targetInstanceID` of the server's LAUNCH_START, when DRS logged one."""


@dataclass(frozen=True)
class Instance:
    """An EC2 instance as DescribeInstances reports it now."""

    instance_id: str
    state: str
    private_ip: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    volume_ids: tuple[str, ...] = ()
    """Its attached EBS volumes, sorted: a launch into it replaces them."""

    @property
    def allows_launch_into(self) -> bool:
        return self.tags.get(LAUNCH_INTO_TAG_KEY) == LAUNCH_INTO_TAG_VALUE
