"""The round trip after a launch: reverse replication (prepare a failback, re-protect) and retire.

An operator asks for each step about an earlier request (`of_request_id`): the
configurator, which kept that request's pairs and launch settings, reads DRS for
the recovery instances and source servers that request's lineage ties to, and acts.

- `ReverseReplicationRequested` with purpose `prepare_failback` (after a failover)
  starts reverse replication on each recovered server's recovery-region instance,
  so each gets its FAILBACK-direction server; with purpose `reprotect` (after a
  failback) on each primary-side recovery instance, so the same FAILOVER-direction
  server protects the original again. `ReverseReplicationReported` says per server
  how far it got, while it waits and when it is done.
- `RetireRequested` plans (or, approved, applies) the clean-up of what a failback
  left behind, in the order DRS requires, then (v2) restores the launch settings drsorch
  changed during the round trip and removes the launch-into tag from the originals
  (unless asked to keep it). `RetirePlanned` lists every action with the
  evidence tying it to the request; `Retired` says what was done.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Self

from pydantic import Field, model_validator

from drsorch.contracts.envelope import Event, RequestId, Topic
from drsorch.contracts.events.approval import MAX_APPROVERS, SignedApproval
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
    RecoveryInstanceId,
    Region,
    SourceServerId,
)

ReversePurpose = Literal["prepare_failback", "reprotect"]
ReverseOutcome = Literal["protected", "waiting", "failed"]
RetireKind = Literal[
    "stop_replication",
    "stop_failback",
    "terminate_recovery_instance",
    "delete_recovery_instance",
    "disconnect_source_server",
    "delete_source_server",
    "restore_launch_settings",
    "remove_launch_tag",
    "leave",
]
LaunchTagChoice = Literal["as_found", "remove", "keep"]
RetireOutcome = Literal["done", "already", "failed", "held", "pending"]
"""`pending` (v2): not taken yet, in a progress report of an apply still under way."""
MAX_EVIDENCE = 10
ResourceId = Annotated[str, Field(pattern=r"^(s|i)-[0-9a-zA-Z]{8,17}$")]


class ReverseReplicationRequested(Event):
    """Start reverse replication for every landed server of an earlier request, and watch it."""

    event_type: ClassVar[str] = "ReverseReplicationRequested"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.REQUESTS
    producers: ClassVar[tuple[str, ...]] = ("cli",)

    of_request_id: RequestId
    """The failover (prepare_failback) or failback (reprotect) whose servers to reverse."""
    purpose: ReversePurpose
    max_replication_lag_seconds: Annotated[int, Field(ge=0, le=86_400)] = 60
    """Healthy means CONTINUOUS with at most this lag (and, re-protecting, every disk
    rescanned)."""
    deadline_seconds: Annotated[int, Field(ge=60, le=604_800)] = 14_400
    """Each server that is not healthy this long after the request is reported failed,
    with DRS's own error."""
    requested_by: Principal
    reason: Note | None = None


class ReversedServer(Record):
    """One server of the earlier request, as DRS reports its reversed replication."""

    source_server_id: SourceServerId
    """The paired server of the earlier request (FAILOVER direction)."""
    account_id: AccountId
    region: Region
    """Where the reversed server lives (the region replication now goes to)."""
    recovery_instance_id: RecoveryInstanceId | None = None
    """The recovery instance ReverseReplication was called on."""
    ec2_instance_id: Ec2InstanceId | None = None
    """That recovery instance's EC2 instance (the original, re-protecting)."""
    reversed_server_id: SourceServerId | None = None
    """The server replicating it: the FAILBACK one, or the same FAILOVER one re-protecting."""
    replication_state: Annotated[str, Field(max_length=64)] | None = None
    lag_seconds: int | None = None
    rescanned_bytes: int = 0
    total_bytes: int = 0
    outcome: ReverseOutcome
    reason: Reason | None = None
    """Why it waits, or why it failed (DRS's own error when it has one)."""


class ReverseReplicationReported(Event):
    """The configurator's report on a ReverseReplicationRequested: every server, each step."""

    event_type: ClassVar[str] = "ReverseReplicationReported"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("configurator",)

    of_request_id: RequestId
    purpose: ReversePurpose
    step: Annotated[int, Field(ge=1)] = 1
    """Which look at DRS this is; the last one has `final`."""
    final: bool = False
    """Every server is protected or failed: nothing more will be reported."""
    servers: Annotated[tuple[ReversedServer, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    reason: Reason | None = None
    """Why nothing was done (no such request kept), when so."""
    api_calls: ApiCalls = Field(default_factory=dict)
    chunk: Chunk = Chunk()


class RetireRequested(Event):
    """Plan, or apply an approved plan of, the clean-up after a failback request."""

    event_type: ClassVar[str] = "RetireRequested"
    event_version: ClassVar[int] = 2
    topic: ClassVar[Topic] = Topic.REQUESTS
    producers: ClassVar[tuple[str, ...]] = ("cli",)

    of_request_id: RequestId
    """The failback request whose round trip to retire."""
    plan_only: bool = False
    approved_plan_hash: PlanHash | None = None
    """Apply only if the retire plan still hashes to this (nothing appeared or went)."""
    approvals: Annotated[tuple[SignedApproval, ...], Field(max_length=MAX_APPROVERS)] = ()
    """Signed approvals of this apply (a retire terminates instances): the configurator
    verifies each, as for a launch, before any call."""
    max_replication_lag_seconds: Annotated[int, Field(ge=0, le=86_400)] = 60
    """A recovery-region instance is terminated only once its server replicates from the
    original again: CONTINUOUS with at most this lag."""
    launch_tag: LaunchTagChoice = "as_found"
    """The `AWSDRS=AllowLaunchingIntoThisInstance` tag on each original the failback
    launched into. `as_found`: removed only where that failback tagged it itself, so the
    originals are left tagged as they were found; `remove`: taken off every original, so
    that no launch-into overwrites one by mistake while it serves production again;
    `keep`: left on every one, ready for the next failback."""
    requested_by: Principal
    reason: Note | None = None

    @model_validator(mode="after")
    def _plan_or_approval(self) -> Self:
        if self.plan_only == (self.approved_plan_hash is not None):
            raise ValueError("a retire is either plan_only or carries approved_plan_hash")
        if self.plan_only and self.approvals:
            raise ValueError("a plan-only retire carries no approvals")
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
    event_version: ClassVar[int] = 2
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
    """The configurator's account of an applied retire: every action and its outcome.

    v2: while the apply goes on (TERMINATE jobs running), a progress report after each
    look at DRS (`final` false, actions not taken yet `pending`); the last one is `final`.
    """

    event_type: ClassVar[str] = "Retired"
    event_version: ClassVar[int] = 2
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("configurator",)

    of_request_id: RequestId
    plan_hash: PlanHash
    step: Annotated[int, Field(ge=1)] = 1
    """Which look at DRS this is."""
    final: bool = True
    """Every action has its outcome: nothing more will be reported."""
    results: Annotated[tuple[RetireResult, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    api_calls: ApiCalls = Field(default_factory=dict)
    chunk: Chunk = Chunk()
