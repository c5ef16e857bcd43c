"""What the round trip reads from DRS and keeps in the configurator's table.

The views are DRS's own facts, as the adapter reads them; every decision about
re-protection and clean-up is made from them, never from what drsorch planned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from drsorch.contracts.types import Place

_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def duration_seconds(text: str | None) -> int | None:
    """An ISO-8601 duration as DRS writes lags (`PT12S`, `PT1H2M`), in seconds."""
    if not text:
        return None
    match = _DURATION.match(text)
    if match is None:
        return None
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


@dataclass(frozen=True)
class ServerView:
    """A source server as DescribeSourceServers reports it."""

    source_server_id: str
    arn: str
    direction: str | None
    aws_instance_id: str | None
    state: str | None
    lag_seconds: int | None
    rescanned_bytes: int
    total_bytes: int
    all_rescanned: bool
    error: str | None
    """`dataReplicationError.error` and its raw error, as DRS wrote them."""
    reversed_arn: str | None
    replicating_since: datetime | None = None
    """`dataReplicationInitiation.startDateTime`: when its current replication began."""


@dataclass(frozen=True)
class RecoveryView:
    """A recovery instance as DescribeRecoveryInstances reports it."""

    recovery_instance_id: str
    source_server_id: str
    ec2_instance_id: str
    ec2_state: str
    is_drill: bool
    replication_state: str | None
    """Its own dataReplicationInfo: NOT_STARTED until reverse replication starts on it."""
    failback_state: str | None
    job_id: str | None = None
    """The job that launched it."""


@dataclass(frozen=True)
class JobView:
    """A DRS job: its type, status and the recovery instances it names."""

    job_id: str
    job_type: str
    status: str
    created: datetime | None
    """DRS `creationDateTime`."""
    recovery_instance_ids: frozenset[str]


class ReverseBusy(Exception):
    """ReverseReplication answered ConflictException (initializing, or already started)."""


class RoundTripDrs(Protocol):
    """DRS calls of the round trip. Raises `Transient` or `Refused` like the configurator's."""

    async def servers(self, place: Place, ids: Sequence[str]) -> dict[str, ServerView]: ...

    async def recovery_instances(
        self, place: Place, source_server_ids: Sequence[str]
    ) -> list[RecoveryView]: ...

    async def reverse_replication(self, place: Place, recovery_instance_id: str) -> str:
        """The reversed server's ARN; `ReverseBusy` on ConflictException."""
        ...

    async def stop_replication(self, place: Place, server_id: str) -> None: ...

    async def stop_failback(self, place: Place, recovery_instance_id: str) -> None: ...

    async def terminate_recovery_instances(self, place: Place, ids: Sequence[str]) -> str:
        """The TERMINATE job's ID."""
        ...

    async def jobs_since(self, place: Place, since: datetime) -> list[JobView]: ...

    async def delete_recovery_instance(self, place: Place, recovery_instance_id: str) -> None: ...

    async def disconnect_source_server(self, place: Place, server_id: str) -> None: ...

    async def delete_source_server(self, place: Place, server_id: str) -> None: ...


class RoundTripStore(Protocol):
    """The round trip's items in the configurator's table, one partition per step request."""

    async def load(self, request_id: str, name: str) -> str | None: ...

    async def save(self, request_id: str, name: str, body: str) -> None: ...

    async def claim(self, request_id: str, name: str, body: str) -> bool:
        """Write `body` unless the item exists; False when it did (an intent already made)."""
        ...
