"""What an operator (or an alarm) asks drsorch to do: the request spec and the two requests."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from drsorch.contracts.envelope import Event, Topic
from drsorch.contracts.events.approval import MAX_APPROVERS, SignedApproval
from drsorch.contracts.events.common import Record
from drsorch.contracts.events.launch import LaunchSettings
from drsorch.contracts.types import (
    UNIQUE_ITEMS,
    AccountId,
    Ec2InstanceId,
    ExternalId,
    LaunchIntoMode,
    NameAffix,
    Note,
    Operation,
    PlanHash,
    Principal,
    Ratio,
    Region,
    RoleName,
    SourceServerId,
    TagMap,
    Unique,
)

# The spec rides in every chunk of the events that carry it forward, so an explicit
# server list stays small enough (about 23 KB) to leave room for the chunk's items.
MAX_EXPLICIT_SERVERS = 1000
MAX_SPOKES = 200
MAX_AFFIXES = 20


class Spoke(Record):
    """An account drsorch reaches by assuming a role from the hub account.

    The role and its ExternalId come from the deployment's configuration; the services
    never take them from a message, so `role_name` and `external_id` here are ignored.
    """

    account_id: AccountId
    role_name: RoleName | None = None
    """Ignored by the services (kept so v1 requests read unchanged)."""
    external_id: ExternalId | None = None
    """Ignored by the services (kept so v1 requests read unchanged)."""


class Accounts(Record):
    """The accounts in scope: the hub drsorch runs in, and the spokes it reaches from there."""

    hub: AccountId
    spokes: Annotated[tuple[Spoke, ...], Field(max_length=MAX_SPOKES)] = ()

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        ids = [self.hub, *(spoke.account_id for spoke in self.spokes)]
        if len(set(ids)) != len(ids):
            raise ValueError("accounts: the hub and the spokes must be distinct accounts")
        return self


class Scope(Record):
    """Which source servers a request covers: by tags, or by ID; exactly one of the two."""

    selector: TagMap | None = None
    """Servers carrying every one of these tags (KEY=VALUE, all must match)."""
    source_server_ids: (
        Annotated[
            tuple[SourceServerId, ...],
            Field(max_length=MAX_EXPLICIT_SERVERS),
            Unique,
            UNIQUE_ITEMS,
        ]
        | None
    ) = None

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Self:
        kinds = [kind for kind in (self.selector, self.source_server_ids) if kind]
        if len(kinds) != 1:
            raise ValueError(
                "scope: give exactly one of selector (tags) or source_server_ids, not empty"
            )
        return self


class RequestOptions(Record):
    """How drsorch paces and judges a request."""

    batch_size: Annotated[int, Field(ge=1, le=100)] = 100
    """Source servers per `StartRecovery` job (DRS allows 100)."""
    max_replication_lag_seconds: Annotated[int, Field(ge=0, le=86_400)] = 60
    """A launching server is ready when CONTINUOUS with at most this lag."""
    readiness_deadline_seconds: Annotated[int, Field(ge=60, le=604_800)] = 14_400
    """How long to wait for servers to become ready before reporting them not ready."""
    job_timeout_seconds: Annotated[int, Field(ge=60, le=86_400)] = 7200
    """How long a DRS job may run before drsorch reports it timed out."""
    wave_success_ratio: Ratio | None = None
    """Share of a wave's servers that must land before the next wave starts; unset means all."""
    name_prefixes: Annotated[tuple[NameAffix, ...], Field(max_length=MAX_AFFIXES)] = ()
    """Prefixes the matcher strips from Name tags before comparing (e.g. `dr-`)."""
    name_suffixes: Annotated[tuple[NameAffix, ...], Field(max_length=MAX_AFFIXES)] = ()
    """Suffixes the matcher strips from Name tags before comparing (e.g. `-recovery`)."""
    tag_lineage_targets: bool = False
    """May drsorch tag a lineage-matched target `AWSDRS=AllowLaunchingIntoThisInstance`?"""
    failback_slots: Annotated[int, Field(ge=1, le=100_000)] | None = None
    """A failback's FAILBACK servers replicating at once per account and region, when
    fewer than DRS's quota allows (room left for other teams); unset: the quota."""
    assumed_sync_seconds: Annotated[int, Field(ge=0, le=604_800)] = 3600
    """The plan's assumed time from reverse replication to a launched server, per slot round."""


class TargetOverride(Record):
    """An operator's explicit choice of the instance one server launches into.

    The one way to launch a server into an instance its lineage does not name. The plan
    shows it beside the evidence it contradicts, and the approval covers it; it never
    names an instance another server's lineage claims.
    """

    source_server_id: SourceServerId
    """The server in scope (its FAILOVER-direction ID)."""
    instance_id: Ec2InstanceId
    """The instance it launches into, in the server's account and the launch region."""


class RequestSpec(Record):
    """Everything a request asks for. Carried forward unchanged by the events that follow it."""

    operation: Operation
    scope: Scope
    accounts: Accounts
    primary_region: Region
    """Where the protected workloads normally run (and fail back to)."""
    recovery_region: Region
    """Where DRS replicates to and fails over to."""
    drill: bool = False
    launch_into: LaunchIntoMode | None = None
    """Launch into existing instances? Unset means the operation's default."""
    launch_settings: LaunchSettings = LaunchSettings()
    plan_only: bool = False
    """Stop after matching and configuration planning; the result carries a plan hash."""
    approved_plan_hash: PlanHash | None = None
    """Apply only if the plan still hashes to this value (no drift since it was approved)."""
    approvals: Annotated[tuple[SignedApproval, ...], Field(max_length=MAX_APPROVERS)] = ()
    """Signed approvals of this apply; the services verify each before any write."""
    options: RequestOptions = RequestOptions()
    target_overrides: Annotated[
        tuple[TargetOverride, ...], Field(max_length=MAX_EXPLICIT_SERVERS)
    ] = ()
    """Per-server targets chosen by the operator (`--target SERVER=INSTANCE`)."""
    requested_by: Principal
    requested_at: AwareDatetime | None = None
    reason: Note | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.primary_region == self.recovery_region:
            raise ValueError("recovery_region must differ from primary_region")
        if self.plan_only and self.approved_plan_hash is not None:
            raise ValueError("plan_only and approved_plan_hash are mutually exclusive")
        if self.plan_only and self.approvals:
            raise ValueError("a plan-only request carries no approvals")
        if self.drill and self.launch_into in ("required", "preferred"):
            # Safety rule: a drill never launches into a production instance.
            raise ValueError("a drill uses standard launches: launch_into must be never or unset")
        if self.drill and self.target_overrides:
            raise ValueError("a drill uses standard launches: it takes no target overrides")
        servers = [o.source_server_id for o in self.target_overrides]
        if len(set(servers)) != len(servers):
            raise ValueError("target_overrides: a server is given more than one target")
        return self

    def override_for(self, source_server_id: str) -> str | None:
        """The instance the operator chose for this server, if any."""
        for override in self.target_overrides:
            if override.source_server_id == source_server_id:
                return override.instance_id
        return None

    def effective_launch_into(self) -> LaunchIntoMode:
        """The launch-into mode in force: the explicit one, else the operation's default.

        Failback lands workloads back in their original instances (required);
        failover uses pre-provisioned instances where they exist (preferred); a
        drill never touches production instances (never).
        """
        if self.launch_into is not None:
            return self.launch_into
        if self.drill:
            return "never"
        return "required" if self.operation == "failback" else "preferred"

    @property
    def launch_region(self) -> str:
        """The region recovery instances are launched in for this operation."""
        return self.primary_region if self.operation == "failback" else self.recovery_region


class _Requested(Event):
    """Shared shape of the two requests: the spec, whose operation must match the event."""

    topic: ClassVar[Topic] = Topic.REQUESTS
    producers: ClassVar[tuple[str, ...]] = ("cli", "alarm-rule")
    operation: ClassVar[Operation]

    spec: RequestSpec

    @model_validator(mode="after")
    def _operation_matches(self) -> Self:
        if self.spec.operation != self.operation:
            raise ValueError(
                f"{self.event_type} needs spec.operation {self.operation!r}, "
                f"not {self.spec.operation!r}"
            )
        return self


class FailbackRequested(_Requested):
    """An operator or an alarm asks to fail the servers in scope back to the primary region."""

    event_type: ClassVar[str] = "FailbackRequested"
    event_version: ClassVar[int] = 4
    operation: ClassVar[Literal["failback"]] = "failback"


class FailoverRequested(_Requested):
    """An operator or an alarm asks to fail the servers in scope over to the recovery region."""

    event_type: ClassVar[str] = "FailoverRequested"
    event_version: ClassVar[int] = 4
    operation: ClassVar[Literal["failover"]] = "failover"
