"""Version 2, frozen as published (see `drsorch.contracts.events.v2`).

What the configurator did to each pair's DRS launch configuration."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Self

from pydantic import Field, model_validator

from drsorch.contracts.envelope import Event, Topic
from drsorch.contracts.events.common import Chunk, Record
from drsorch.contracts.events.launch import LaunchConfiguration
from drsorch.contracts.types import (
    MAX_ITEMS_PER_CHUNK,
    AccountId,
    ApiCalls,
    Ec2InstanceId,
    PlanHash,
    Reason,
    Region,
    SourceServerId,
)

ConfigurationOutcome = Literal["configured", "unchanged", "rejected", "planned"]


class ConfigurationResult(Record):
    """One pair after configuration.

    `configured`: the launch configuration was changed to `desired`; `unchanged`: it
    already was; `planned`: a plan-only request, nothing changed; `rejected`: the
    target failed validation (or reverse replication could not start), `reason`
    says why, and the server is not launched.
    """

    source_server_id: SourceServerId
    """The paired server, as in `PairsMatched`."""
    launching_server_id: SourceServerId | None = None
    """The server `StartRecovery` is called on: for a failback the FAILBACK-direction
    server (created when reverse replication started), for a failover the paired server
    itself. Unset when rejected before one existed."""
    account_id: AccountId
    launch_region: Region
    target_instance_id: Ec2InstanceId | None = None
    """Unset for a standard launch."""
    outcome: ConfigurationOutcome
    reason: Reason | None = None
    reverse_replication_started: bool = False
    """Did the configurator start reverse replication for this server in this step?"""
    previous: LaunchConfiguration | None = None
    """The launching server's launch configuration before drsorch changed it."""
    desired: LaunchConfiguration | None = None
    changes: Annotated[tuple[str, ...], Field(max_length=20)] = ()
    """The launch configuration fields the apply changes (or, planned, would change)."""

    @model_validator(mode="after")
    def _reason_for_rejection(self) -> Self:
        if self.outcome == "rejected" and self.reason is None:
            raise ValueError("a rejected configuration needs a reason")
        if self.outcome in ("configured", "unchanged") and self.launching_server_id is None:
            raise ValueError(f"an outcome of {self.outcome} needs launching_server_id")
        return self


class TargetConfigured(Event):
    """Configuration results for pairs of one request, published as they settle.

    The configurator first plans every pair without changing anything and hashes what
    an apply would launch (`plan_hash`: the hash an operator approves). A plan-only
    request, or an apply whose approved hash differs, ends there: every result in one
    go. An approved apply then publishes results pair by pair as each settles, every
    one under the same `plan_hash`; a slow pair never holds back the others.
    """

    event_type: ClassVar[str] = "TargetConfigured"
    event_version: ClassVar[int] = 2
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("configurator",)

    plan_hash: PlanHash | None = None
    """SHA-256 of what the apply launches: each launching server, its target or a new
    instance, the launch settings changed, the wave, the operation and the mode. Unset
    only on results of a v1 configurator, which can never match an approval."""
    results: Annotated[tuple[ConfigurationResult, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    api_calls: ApiCalls = Field(default_factory=dict)
    """DRS API calls the configurator made for this request so far, in chunk 0 of each
    publication: counts only grow, so a reader keeps the largest of each."""
    chunk: Chunk = Chunk()
