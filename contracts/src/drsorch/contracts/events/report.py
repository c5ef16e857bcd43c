"""The end of a request: its status and the whole report (design §7)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from drsorch.contracts.envelope import Event, Topic
from drsorch.contracts.events.common import Chunk, Problem, Record, ServerRef, TargetRef
from drsorch.contracts.events.jobs import BatchIndex, JobServers
from drsorch.contracts.events.launch import LaunchConfiguration
from drsorch.contracts.events.matching import Ambiguous, Evidence, Unmatched
from drsorch.contracts.types import (
    MAX_ITEMS_PER_CHUNK,
    AccountId,
    ApiCalls,
    Ec2InstanceId,
    Fact,
    IPv4,
    JobId,
    Operation,
    PairMethod,
    PlanHash,
    Reason,
    RecoveryInstanceId,
    Region,
    SourceServerId,
    TraceId,
    Wave,
)

RequestStatus = Literal["SUCCEEDED", "PARTIAL", "FAILED", "PLANNED", "REJECTED"]
ServerOutcome = Literal[
    "recovered",
    "recovered_elsewhere",
    "failed",
    "rejected",
    "not_ready",
    "timed_out",
    "planned",
    "skipped",
]


class ServerReport(Record):
    """One server's line in the report.

    `recovered`: launched, and into the expected instance when there was one;
    `recovered_elsewhere`: launched, but not into the expected instance;
    `failed`: DRS reported the launch FAILED; `rejected`: the configurator refused
    the target; `not_ready`: replication was not ready by the readiness deadline;
    `timed_out`: the job outlived the job timeout; `planned`: a plan-only request;
    `skipped`: left out by a blocking problem.
    """

    server: ServerRef
    target: TargetRef | None = None
    method: PairMethod | None = None
    evidence: Evidence = ()
    lineage_instance_id: Ec2InstanceId | None = None
    """The instance the server's lineage names, when it has lineage."""
    outcome: ServerOutcome
    reason: Reason | None = None
    launching_server_id: SourceServerId | None = None
    job_id: JobId | None = None
    recovery_instance_id: RecoveryInstanceId | None = None
    ec2_instance_id: Ec2InstanceId | None = None
    launched_into_expected: bool | None = None
    """Unset for a standard launch, which has no expected instance."""
    private_ip_before: IPv4 | None = None
    private_ip_after: IPv4 | None = None
    previous_launch_configuration: LaunchConfiguration | None = None
    """What to restore the launching server's launch configuration to."""
    proof: Annotated[tuple[Fact, ...], Field(max_length=10)] = ()
    """The DRS and EC2 facts its landing was judged on."""


class JobRecord(Record):
    """One DRS job of the request, for the report's timeline."""

    job_id: JobId
    account_id: AccountId
    region: Region
    wave: Wave
    batch_index: BatchIndex
    source_server_ids: JobServers
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    """Unset when the job had not completed by the job timeout."""


class RequestCompleted(Event):
    """A request is over: its final status and the report.

    SUCCEEDED only when every server in scope landed where expected; PARTIAL when
    some did; FAILED when none did, or when any server landed somewhere else than the
    instance proven to be its own (`recovered_elsewhere`); PLANNED for a plan-only
    request; REJECTED when the request was refused as a whole (e.g. its approved plan hash no longer
    matches). Servers, unmatched, ambiguous, problems and jobs are split across
    chunks and `api_calls` is summed over them; the other fields repeat in every
    chunk.
    """

    event_type: ClassVar[str] = "RequestCompleted"
    event_version: ClassVar[int] = 2
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("monitor",)

    status: RequestStatus
    operation: Operation
    drill: bool
    plan_hash: PlanHash | None = None
    """The configurator's hash of what the request launches (the one approved)."""
    reason: Reason | None = None
    servers: Annotated[tuple[ServerReport, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    unmatched: Annotated[tuple[Unmatched, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    ambiguous: Annotated[tuple[Ambiguous, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    problems: Annotated[tuple[Problem, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    jobs: Annotated[tuple[JobRecord, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    api_calls: ApiCalls = Field(default_factory=dict)
    """DRS API calls the request made, by operation, summed over every service."""
    started_at: AwareDatetime
    ended_at: AwareDatetime
    trace_id: TraceId | None = None
    """The request's trace: the spans of every service that worked on it share this ID."""
    chunk: Chunk = Chunk()

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ended_at < self.started_at:
            raise ValueError("ended_at must not be before started_at")
        return self
