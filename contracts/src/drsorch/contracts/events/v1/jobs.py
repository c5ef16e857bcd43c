"""Version 1, frozen as published (see `drsorch.contracts.events.v1`).

DRS recovery jobs the monitor started and watched to the end."""

from __future__ import annotations

from typing import Annotated, ClassVar, Self

from pydantic import AwareDatetime, Field, model_validator

from drsorch.contracts.envelope import Event, Topic
from drsorch.contracts.events.common import Record
from drsorch.contracts.types import (
    MAX_SERVERS_PER_JOB,
    UNIQUE_ITEMS,
    AccountId,
    Ec2InstanceId,
    IPv4,
    JobId,
    LaunchStatus,
    Reason,
    RecoveryInstanceId,
    Region,
    SourceServerId,
    Unique,
    Wave,
)

BatchIndex = Annotated[int, Field(ge=0, le=9_999)]
JobServers = Annotated[
    tuple[SourceServerId, ...],
    Field(min_length=1, max_length=MAX_SERVERS_PER_JOB),
    Unique,
    UNIQUE_ITEMS,
]


class JobStarted(Event):
    """The monitor started one DRS recovery job for one batch of one wave."""

    event_type: ClassVar[str] = "JobStarted"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("monitor",)

    job_id: JobId
    account_id: AccountId
    region: Region
    wave: Wave
    batch_index: BatchIndex
    source_server_ids: JobServers
    """The launching servers passed to `StartRecovery`."""
    drill: bool
    launch_into: bool
    """Were the servers configured to launch into existing instances?"""


class ServerLaunch(Record):
    """How one server fared in a job, and whether it landed where it was expected to."""

    source_server_id: SourceServerId
    launch_status: LaunchStatus
    recovery_instance_id: RecoveryInstanceId | None = None
    ec2_instance_id: Ec2InstanceId | None = None
    expected_instance_id: Ec2InstanceId | None = None
    """The launch-into target; unset for a standard launch."""
    launched_into_expected: bool = False
    private_ip_before: IPv4 | None = None
    private_ip_after: IPv4 | None = None
    failure_reason: Reason | None = None
    """From the job log (`eventData.rawError`) when the launch failed."""

    @model_validator(mode="after")
    def _landing_is_proven(self) -> Self:
        # The flag is the proof the report relies on, so it may not contradict the IDs.
        proven = (
            self.launch_status == "LAUNCHED"
            and self.expected_instance_id is not None
            and self.ec2_instance_id == self.expected_instance_id
        )
        if self.launched_into_expected != proven:
            raise ValueError(
                "launched_into_expected must be true exactly when launch_status is LAUNCHED "
                "and ec2_instance_id equals expected_instance_id"
            )
        return self


class JobCompleted(Event):
    """A DRS job reached COMPLETED; per server, what launched where."""

    event_type: ClassVar[str] = "JobCompleted"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("monitor",)

    job_id: JobId
    account_id: AccountId
    region: Region
    wave: Wave
    batch_index: BatchIndex
    servers: Annotated[
        tuple[ServerLaunch, ...], Field(min_length=1, max_length=MAX_SERVERS_PER_JOB)
    ]
    started_at: AwareDatetime | None = None
    """DRS `creationDateTime`."""
    ended_at: AwareDatetime | None = None
    """DRS `endDateTime`."""
