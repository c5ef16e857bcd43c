"""Drills that clean up after themselves: the request, the evidence, the clean-up.

`DrillRequested` is a failover drill of the scope (`spec.drill` set): discovery,
the matcher and the configurator take it as they take a FailoverRequested, so it is
planned and approved like any apply; the monitor launches its standard launches from
the point in time it names. When the drill's launches end, the configurator checks
every drill instance from EC2's own state and publishes `DrillVerified` (the evidence
pack); after `keep_for_seconds`, or on `DrillCleanupRequested`, it terminates exactly
the recovery instances DRS records as drills launched by the drill's own jobs and
publishes `DrillCleanedUp`, which proves from DRS and EC2 that none is left.

Clean-up needs no approval of its own: the drill's approved plan launches only drill
instances, and clean-up may terminate only what DRS shows those launches made.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from drsorch.contracts.envelope import Event, RequestId, Topic
from drsorch.contracts.events.common import Chunk, Record
from drsorch.contracts.events.requests import _Requested
from drsorch.contracts.types import (
    MAX_ITEMS_PER_CHUNK,
    AccountId,
    ApiCalls,
    Ec2InstanceId,
    Fact,
    JobId,
    Note,
    Principal,
    Reason,
    RecoveryInstanceId,
    Region,
    SourceServerId,
)

RecoverySnapshotId = Annotated[
    str, Field(pattern=r"^pit-[0-9a-zA-Z]{17}$", description="A DRS recovery snapshot ID")
]
MAX_SNAPSHOTS = 1000
MAX_KEEP_SECONDS = 7 * 86_400
MAX_FACTS = 10
DrillCheck = Literal["passed", "failed"]
CleanupOutcome = Literal["terminated", "already_gone", "failed"]
CleanupTrigger = Literal["keep_for", "operator"]


class RecoveryPoint(Record):
    """The point in time to launch from: named snapshots, or the latest before a time.

    Unset (no RecoveryPoint) means DRS's latest data through an on-demand snapshot.
    """

    snapshot_ids: Annotated[tuple[RecoverySnapshotId, ...], Field(max_length=MAX_SNAPSHOTS)] = ()
    """Snapshot IDs (`--snapshot`), each of one server in scope; a server in scope with
    none of them launches from none: it is refused."""
    before: AwareDatetime | None = None
    """`--before`: each server's latest snapshot taken at or before this time."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if bool(self.snapshot_ids) == (self.before is not None):
            raise ValueError("a recovery point is either snapshot_ids or before, not both")
        if len(set(self.snapshot_ids)) != len(self.snapshot_ids):
            raise ValueError("recovery point: a snapshot is listed twice")
        return self


class DrillRequested(_Requested):
    """An operator asks for a drill of the servers in scope, cleaned up after `keep_for`."""

    event_type: ClassVar[str] = "DrillRequested"
    event_version: ClassVar[int] = 1
    producers: ClassVar[tuple[str, ...]] = ("cli",)
    operation: ClassVar[Literal["failover"]] = "failover"

    recovery_point: RecoveryPoint | None = None
    keep_for_seconds: Annotated[int, Field(ge=0, le=MAX_KEEP_SECONDS)] = 3600
    """How long the drill instances run after they are verified, before the configurator
    terminates them (an operator may clean up earlier)."""

    @model_validator(mode="after")
    def _a_drill(self) -> Self:
        if not self.spec.drill:
            raise ValueError("DrillRequested needs spec.drill")
        return self


class DrillInstance(Record):
    """One drill launch, as DRS and EC2 report it: the evidence for one server."""

    source_server_id: SourceServerId
    account_id: AccountId
    region: Region
    job_id: JobId | None = None
    recovery_instance_id: RecoveryInstanceId | None = None
    ec2_instance_id: Ec2InstanceId | None = None
    snapshot_id: RecoverySnapshotId | None = None
    """The recovery snapshot DRS holds at the instance's point in time, when one matches."""
    snapshot_time: AwareDatetime | None = None
    """The recovery instance's `pointInTimeSnapshotDateTime`: the data it was launched from."""
    recovery_started_at: AwareDatetime | None = None
    """The drill job's `creationDateTime` (StartRecovery)."""
    instance_running_at: AwareDatetime | None = None
    """EC2's `LaunchTime` of the drill instance, once EC2 shows it running."""
    recovery_seconds: Annotated[int, Field(ge=0)] | None = None
    """Achieved recovery time: StartRecovery to the instance running."""
    ec2_state: Annotated[str, Field(max_length=32)] | None = None
    instance_status: Annotated[str, Field(max_length=32)] | None = None
    """DescribeInstanceStatus: the instance status check (ok, impaired, ...)."""
    system_status: Annotated[str, Field(max_length=32)] | None = None
    """DescribeInstanceStatus: the system status check."""
    check: DrillCheck
    reason: Reason | None = None
    """Why the check failed."""
    facts: Annotated[tuple[Fact, ...], Field(max_length=MAX_FACTS)] = ()


class DrillVerified(Event):
    """The drill evidence pack: every drill launch, checked from DRS's and EC2's state."""

    event_type: ClassVar[str] = "DrillVerified"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("configurator",)

    of_request_id: RequestId
    instances: Annotated[tuple[DrillInstance, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    cleanup_due_at: AwareDatetime | None = None
    """When the configurator terminates the drill instances (unless cleaned up before)."""
    reason: Reason | None = None
    """Why nothing was verified (no drill of that ID), when so."""
    api_calls: ApiCalls = Field(default_factory=dict)
    chunk: Chunk = Chunk()


class DrillCleanupRequested(Event):
    """An operator asks to clean a drill up now (`drsorch drill-cleanup ID`)."""

    event_type: ClassVar[str] = "DrillCleanupRequested"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.REQUESTS
    producers: ClassVar[tuple[str, ...]] = ("cli",)

    of_request_id: RequestId
    requested_by: Principal
    reason: Note | None = None


class CleanedInstance(Record):
    """One drill instance at the end of the clean-up, as DRS and EC2 show it."""

    source_server_id: SourceServerId
    account_id: AccountId
    region: Region
    recovery_instance_id: RecoveryInstanceId
    ec2_instance_id: Ec2InstanceId | None = None
    launch_job_id: JobId
    """The drill's job that launched it (DRS's `jobID` of the recovery instance)."""
    terminate_job_id: JobId | None = None
    outcome: CleanupOutcome
    drs_record_left: bool
    """Whether DescribeRecoveryInstances still lists it (other than TERMINATED)."""
    ec2_state: Annotated[str, Field(max_length=32)] | None = None
    """EC2's state of its instance after the clean-up (None: EC2 no longer lists it)."""
    reason: Reason | None = None


class DrillCleanedUp(Event):
    """What the clean-up terminated, and the proof that no drill instance is left."""

    event_type: ClassVar[str] = "DrillCleanedUp"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("configurator",)

    of_request_id: RequestId
    trigger: CleanupTrigger
    none_left: bool
    """True when DRS lists none of the drill's recovery instances and EC2 shows each of
    their instances terminated (or gone)."""
    instances: Annotated[tuple[CleanedInstance, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    reason: Reason | None = None
    api_calls: ApiCalls = Field(default_factory=dict)
    chunk: Chunk = Chunk()
