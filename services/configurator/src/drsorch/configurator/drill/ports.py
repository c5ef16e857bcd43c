"""What a drill reads from DRS and EC2, as the adapter reads it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from drsorch.configurator.roundtrip.ports import JobView
from drsorch.contracts.types import Place


@dataclass(frozen=True)
class Participant:
    """One server of a DRS job, as DescribeJobs lists it."""

    source_server_id: str
    recovery_instance_id: str | None
    launch_status: str


@dataclass(frozen=True)
class LaunchJob:
    """A DRS job, as DescribeJobs reports it."""

    job_id: str
    job_type: str
    initiated_by: str
    status: str
    created: datetime | None
    participants: tuple[Participant, ...]


@dataclass(frozen=True)
class DrillRecord:
    """A recovery instance, as DescribeRecoveryInstances reports it."""

    recovery_instance_id: str
    source_server_id: str
    ec2_instance_id: str
    ec2_state: str
    is_drill: bool
    job_id: str | None
    point_in_time: datetime | None


@dataclass(frozen=True)
class InstanceFacts:
    """An EC2 instance: its state, launch time, and status checks (None when not reported)."""

    instance_id: str
    state: str
    launched_at: datetime | None
    instance_status: str | None = None
    system_status: str | None = None


class DrillAws(Protocol):
    """DRS and EC2 calls of a drill. Raises the configurator's `Transient` or `Refused`."""

    async def jobs(self, place: Place, job_ids: Sequence[str]) -> list[LaunchJob]: ...

    async def launch_targets(self, place: Place, job_id: str) -> dict[str, str | None]:
        """The servers the job's log shows a LAUNCH_START of, each with the instance it
        launched into (`targetInstanceID`), or None for a standard launch."""
        ...

    async def drill_records(self, place: Place, server_ids: Sequence[str]) -> list[DrillRecord]: ...

    async def snapshot_at(self, place: Place, server_id: str, at: datetime) -> str | None:
        """The recovery snapshot DRS holds of the server taken at exactly this time."""
        ...

    async def instances(self, place: Place, ids: Sequence[str]) -> dict[str, InstanceFacts]:
        """EC2's instances among these, with DescribeInstanceStatus's checks."""
        ...

    async def terminate_recovery_instances(self, place: Place, ids: Sequence[str]) -> str: ...

    async def jobs_since(self, place: Place, since: datetime) -> list[JobView]: ...
