"""What the pipeline reads from DRS and EC2, the one call it makes (StopReplication), and
the ledger of slots given and not yet used that every request of a place shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
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
    replicating_since: datetime | None = None
    """`dataReplicationInfo.dataReplicationInitiation.startDateTime`: when its current
    replication began (a ReverseReplication starts it afresh)."""

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
    created: datetime | None = None
    """DRS `creationDateTime`."""


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


@dataclass(frozen=True)
class Reservation:
    """A replication slot given to a pair whose FAILBACK server may not replicate yet.

    Kept in the place's ledger from the moment it is given until its pair settles, so that
    every request of the account and region counts it. Once the FAILBACK server replicates,
    DRS's own listing counts it and the reservation is not counted again.
    """

    request_id: str
    server_id: str
    """The paired server (as in PairsMatched)."""
    instance_id: str | None
    """The recovery EC2 instance its FAILBACK server will replicate (its `awsInstanceID`)."""
    expires_at: datetime
    """After this, nobody counts it: its request stopped settling it (a crashed deployment)."""


@dataclass(frozen=True)
class Ledger:
    """The reservations of one account and region, and the version a write is conditional on."""

    version: int = 0
    entries: tuple[Reservation, ...] = ()


class SlotLedger(Protocol):
    """The slots given and not yet used, per place, shared by every request of a deployment.

    Read the ledger before listing DRS, then write it conditionally: a write that another
    request's write overtook changes nothing and returns False, so two requests never
    both count the same free slot.
    """

    async def read(self, place: Place) -> Ledger: ...

    async def write(self, place: Place, seen: Ledger, entries: Sequence[Reservation]) -> bool:
        """Replace the entries if the ledger is still at `seen.version`; False if not."""
        ...
