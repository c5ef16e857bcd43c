"""The version 1 restore events, frozen as they were published (before a restore was
planned and approved like any apply)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from drsorch.contracts.envelope import Event, RequestId, Topic
from drsorch.contracts.events.common import Chunk, Record
from drsorch.contracts.events.launch import LaunchConfiguration
from drsorch.contracts.events.restore import MAX_RESTORE_SERVERS
from drsorch.contracts.types import (
    MAX_ITEMS_PER_CHUNK,
    UNIQUE_ITEMS,
    AccountId,
    ApiCalls,
    Note,
    Principal,
    Reason,
    Region,
    SourceServerId,
    Unique,
)


class RestoreRequested(Event):
    """An operator asks to put back the launch configurations an earlier request changed.

    The configurator kept each launching server's configuration from before it first
    changed it for `restore_request_id`; it sets those back.
    """

    event_type: ClassVar[str] = "RestoreRequested"
    event_version: ClassVar[int] = 1
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


RestoreOutcomeV1 = Literal["restored", "unchanged", "failed"]


class RestoreResult(Record):
    """One launching server after a restore."""

    source_server_id: SourceServerId
    """The paired server, as in `PairsMatched`."""
    launching_server_id: SourceServerId
    """The server whose launch configuration was restored (FAILBACK server for a failback)."""
    account_id: AccountId
    region: Region
    outcome: RestoreOutcomeV1
    reason: Reason | None = None
    """Why a restore failed."""
    restored: LaunchConfiguration | None = None
    """The configuration put back (the one kept before drsorch changed it)."""


class LaunchSettingsRestored(Event):
    """The configurator's answer to a RestoreRequested: what it put back, per server."""

    event_type: ClassVar[str] = "LaunchSettingsRestored"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("configurator",)

    restore_request_id: RequestId
    results: Annotated[tuple[RestoreResult, ...], Field(max_length=MAX_ITEMS_PER_CHUNK)] = ()
    reason: Reason | None = None
    """Why nothing was restored (no settings kept for that request), when so."""
    api_calls: ApiCalls = Field(default_factory=dict)
    """DRS API calls the restore made."""
    chunk: Chunk = Chunk()
