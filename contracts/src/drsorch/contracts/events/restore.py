"""Putting back the launch settings drsorch changed for an earlier request.

A restore writes DRS launch configurations, the very settings a launch runs with, so it is
planned and approved like any apply: a plan-only restore answers with what it would put
back and the hash of exactly that; an apply runs only with signed approvals of that hash,
which the configurator verifies itself, and is refused before any write otherwise.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Self

from pydantic import Field, model_validator

from drsorch.contracts.envelope import Event, RequestId, Topic
from drsorch.contracts.events.approval import MAX_APPROVERS, SignedApproval
from drsorch.contracts.events.common import Chunk, Record
from drsorch.contracts.events.launch import LaunchConfiguration
from drsorch.contracts.types import (
    MAX_ITEMS_PER_CHUNK,
    UNIQUE_ITEMS,
    AccountId,
    ApiCalls,
    Note,
    PlanHash,
    Principal,
    Reason,
    Region,
    SourceServerId,
    Unique,
)

MAX_RESTORE_SERVERS = 1000


class RestoreRequested(Event):
    """An operator asks to put back the launch configurations an earlier request changed.

    The configurator kept each launching server's configuration from before it first
    changed it for `restore_request_id`; it sets those back.
    """

    event_type: ClassVar[str] = "RestoreRequested"
    event_version: ClassVar[int] = 2
    topic: ClassVar[Topic] = Topic.REQUESTS
    producers: ClassVar[tuple[str, ...]] = ("cli",)

    restore_request_id: RequestId
    """The request whose servers get their previous launch settings back."""
    source_server_ids: (
        Annotated[
            tuple[SourceServerId, ...],
            Field(min_length=1, max_length=MAX_RESTORE_SERVERS),
            Unique,
            UNIQUE_ITEMS,
        ]
        | None
    ) = None
    """Only these servers (paired or launching IDs); every server of that request when unset."""
    requested_by: Principal
    reason: Note | None = None
    plan_only: bool = True
    """Only say what would be put back, and its hash; write nothing. A v1 restore reads so."""
    approved_plan_hash: PlanHash | None = None
    """Apply only if what would be put back still hashes to this value."""
    approvals: Annotated[tuple[SignedApproval, ...], Field(max_length=MAX_APPROVERS)] = ()
    """Signed approvals of this apply; the configurator verifies each before any write."""

    @model_validator(mode="after")
    def _plan_or_approval(self) -> Self:
        if self.plan_only and (self.approved_plan_hash is not None or self.approvals):
            raise ValueError("a plan-only restore carries no approved hash and no approvals")
        if not self.plan_only and self.approved_plan_hash is None:
            raise ValueError("a restore apply names the plan hash it applies")
        return self


RestoreOutcome = Literal["restored", "unchanged", "failed", "planned"]


class RestoreResult(Record):
    """One launching server after a restore."""

    source_server_id: SourceServerId
    """The paired server, as in `PairsMatched`."""
    launching_server_id: SourceServerId
    """The server whose launch configuration was restored (FAILBACK server for a failback)."""
    account_id: AccountId
    region: Region
    outcome: RestoreOutcome
    """`planned`: a plan-only restore would put `restored` back."""
    reason: Reason | None = None
    """Why a restore failed."""
    restored: LaunchConfiguration | None = None
    """The configuration put back, or to be put back (the one kept before drsorch changed
    it)."""


class LaunchSettingsRestored(Event):
    """The configurator's answer to a RestoreRequested: what it put back, per server."""

    event_type: ClassVar[str] = "LaunchSettingsRestored"
    event_version: ClassVar[int] = 2
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("configurator",)

    restore_request_id: RequestId
    results: Annotated[tuple[RestoreResult, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    reason: Reason | None = None
    """Why nothing was restored (no settings kept for that request, or the apply was
    refused: no valid approval, or the plan drifted), when so."""
    plan_hash: PlanHash | None = None
    """The hash of what the restore puts back (the servers whose configuration changes,
    and to what): what `drsorch restore ... --approve` binds."""
    refused: bool = False
    """The apply was refused before any write; `reason` says why."""
    api_calls: ApiCalls = Field(default_factory=dict)
    """DRS API calls the restore made."""
    chunk: Chunk = Chunk()
