"""RetireRequested, RetirePlanned and Retired v1, frozen as published: before the retire
could remove the launch-into tag (`remove_launch_tag`) and restore launch settings."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Self

from pydantic import Field, model_validator

from drsorch.contracts.envelope import Event, RequestId, Topic
from drsorch.contracts.events.common import Chunk, Record
from drsorch.contracts.types import (
    MAX_ITEMS_PER_CHUNK,
    AccountId,
    ApiCalls,
    Ec2InstanceId,
    Fact,
    Note,
    PlanHash,
    Principal,
    Reason,
    Region,
    SourceServerId,
)

RetireKind = Literal[
    "stop_replication",
    "stop_failback",
    "terminate_recovery_instance",
    "delete_recovery_instance",
    "disconnect_source_server",
    "delete_source_server",
    "restore_launch_settings",
    "leave",
]
RetireOutcome = Literal["done", "already", "failed", "held"]
MAX_EVIDENCE = 10
ResourceId = Annotated[str, Field(pattern=r"^(s|i)-[0-9a-zA-Z]{8,17}$")]


class RetireRequested(Event):
    """Plan, or apply an approved plan of, the clean-up after a failback request."""

    event_type: ClassVar[str] = "RetireRequested"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.REQUESTS
    producers: ClassVar[tuple[str, ...]] = ("cli",)

    of_request_id: RequestId
    """The failback request whose round trip to retire."""
    plan_only: bool = False
    approved_plan_hash: PlanHash | None = None
    """Apply only if the retire plan still hashes to this (nothing appeared or went)."""
    max_replication_lag_seconds: Annotated[int, Field(ge=0, le=86_400)] = 60
    """A recovery-region instance is terminated only once its server replicates from the
    original again: CONTINUOUS with at most this lag."""
    requested_by: Principal
    reason: Note | None = None

    @model_validator(mode="after")
    def _plan_or_approval(self) -> Self:
        if self.plan_only == (self.approved_plan_hash is not None):
            raise ValueError("a retire is either plan_only or carries approved_plan_hash")
        return self


class RetireAction(Record):
    """One call the retire makes, on one resource, with what ties it to the request."""

    kind: RetireKind
    source_server_id: SourceServerId
    """The paired server of the failback request this action belongs to."""
    account_id: AccountId
    region: Region
    resource_id: ResourceId
    """The source server or recovery instance the call names."""
    ec2_instance_id: Ec2InstanceId | None = None
    """For a recovery instance: its EC2 instance (terminated with it, or kept)."""
    evidence: Annotated[tuple[Fact, ...], Field(max_length=MAX_EVIDENCE)] = ()
    held: Reason | None = None
    """Why this action is not taken (its server is not proven re-protected), when so.
    A `leave` action is never taken: it names what is tied to the server but not to
    this round trip, so that its appearing or going changes the plan."""


class RetirePlanned(Event):
    """What a retire would do (plan-only), or why an apply was refused (drift)."""

    event_type: ClassVar[str] = "RetirePlanned"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("configurator",)

    of_request_id: RequestId
    plan_hash: PlanHash | None = None
    """SHA-256 of every action (kind, resource, instance, held or not): what --approve binds."""
    actions: Annotated[tuple[RetireAction, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    refused: Reason | None = None
    """Set when an apply was refused: the approved hash no longer matches, or no request."""
    api_calls: ApiCalls = Field(default_factory=dict)
    chunk: Chunk = Chunk()


class RetireResult(Record):
    """One action of an applied retire."""

    action: RetireAction
    outcome: RetireOutcome
    reason: Reason | None = None


class Retired(Event):
    """The configurator's account of an applied retire: every action and its outcome."""

    event_type: ClassVar[str] = "Retired"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("configurator",)

    of_request_id: RequestId
    plan_hash: PlanHash
    results: Annotated[tuple[RetireResult, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    api_calls: ApiCalls = Field(default_factory=dict)
    chunk: Chunk = Chunk()
