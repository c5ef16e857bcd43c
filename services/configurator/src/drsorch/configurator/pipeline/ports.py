"""What the pipeline reads from DRS and EC2, and the one call it makes (StopReplication)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from drsorch.contracts.types import Place

NOT_REPLICATING = frozenset({"STOPPED", "DISCONNECTED"})
"""Replication states in which a source server takes no slot of the quota."""


@dataclass(frozen=True)
class Held:
    """A source server of a place as DescribeSourceServers reports it."""

    source_server_id: str
    direction: str | None
    aws_instance_id: str | None
    """`identificationHints.awsInstanceID`: for a FAILBACK server, the recovery EC2 instance."""
    state: str | None
    """`dataReplicationInfo.dataReplicationState`."""
    extended: bool = False
    """Extended from a staging account: it replicates (and takes its slot) there."""

    @property
    def replicating(self) -> bool:
        return not self.extended and self.state not in NOT_REPLICATING


@dataclass(frozen=True)
class Launched:
    """A recovery instance as DescribeRecoveryInstances reports it."""

    recovery_instance_id: str
    source_server_id: str
    ec2_instance_id: str | None
    ec2_state: str | None
    is_drill: bool
    job_id: str | None


@dataclass(frozen=True)
class JobOutcome:
    """A DRS job: its status and the servers DRS reports LAUNCHED in it."""

    job_id: str
    status: str
    launched: frozenset[str]


class PipelineCloud(Protocol):
    """DRS and EC2 for the pipeline. Raises the configurator's `Transient` or `Refused`."""

    async def servers_in(self, place: Place) -> list[Held]:
        """Every source server of the place, in one paginated listing."""
        ...

    async def recovery_instances(self, place: Place, server_ids: Sequence[str]) -> list[Launched]:
        """The recovery instances of these source servers."""
        ...

    async def jobs(self, place: Place, job_ids: Sequence[str]) -> dict[str, JobOutcome]:
        """These jobs, by ID."""
        ...

    async def instance_states(self, place: Place, ec2_ids: Sequence[str]) -> dict[str, str]:
        """EC2 state names (`running`, `stopped`, ...) of the instances that exist, by ID."""
        ...

    async def stop_replication(self, place: Place, server_id: str) -> None: ...
