"""What discovery needs from the world, as Protocols: DRS, EC2, account access, its table.

Adapters in `drsorch.discovery.adapters` implement them over aiobotocore; the unit
tests implement them with hand-written fakes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from drsorch.contracts import CandidateTarget, Spoke
from drsorch.discovery.domain import ActiveJob, RecoveryInstanceRecord, SourceServerRecord

ServerKey = tuple[str, str, str]
"""A source server's identity across accounts and regions: (account, region, server ID)."""


class DrsGateway(Protocol):
    """DRS in one account and region; every list is read in full, page by page.

    Raises `AccountUnreachable` when DRS denies access and `DrsNotInitialized` when
    the service is not initialised there; anything else is left to retry.
    """

    async def source_servers(self, ids: Sequence[str] | None = None) -> list[SourceServerRecord]:
        """Every source server held in this region, or those with these IDs (any count)."""
        ...

    async def recovery_instances(self) -> list[RecoveryInstanceRecord]:
        """Every recovery instance held in this region, newest first."""
        ...

    async def active_jobs(self) -> list[ActiveJob]:
        """Jobs still PENDING or STARTED."""
        ...


class Ec2Gateway(Protocol):
    """EC2 in one account and region, read with filters, never instance by instance.

    An instance EC2 reports outside drsorch's contract is left out of what it returns
    and noted in `refused` (instance ID, why).
    """

    refused: list[tuple[str, str]]

    async def instances(self) -> list[CandidateTarget]:
        """Every instance that is not terminated."""
        ...

    async def instances_by_id(self, ids: Sequence[str]) -> list[CandidateTarget]:
        """The instances with these IDs that exist (any count; batched by the adapter)."""
        ...


class AccountAccess(Protocol):
    """Gateways acting in an account: the hub directly, a spoke through its role.

    `spoke` is None for the hub. Raises `AccountUnreachable` when the account cannot
    be reached. `calls` counts the DRS API calls made through the gateway, by
    operation, for the request's report.
    """

    async def drs(
        self, account_id: str, spoke: Spoke | None, region: str, calls: Counter[str]
    ) -> DrsGateway: ...

    async def ec2(self, account_id: str, spoke: Spoke | None, region: str) -> Ec2Gateway: ...


class DiscoveryRepository(Protocol):
    """Discovery's own table: the snapshot of each request, and which request holds a server."""

    async def load_snapshot(self, request_id: str, cause_id: str) -> list[str] | None:
        """The ServersDiscovered chunks (JSON, in order) saved for this request event, if any."""
        ...

    async def save_snapshot(
        self, request_id: str, cause_id: str, chunks: Sequence[str], *, expires_at: int
    ) -> None:
        """Keep the chunks of what was found; a later load returns them whole or not at all."""
        ...

    async def claim(
        self, request_id: str, servers: Sequence[ServerKey], *, now: int, expires_at: int
    ) -> dict[ServerKey, str]:
        """Hold the servers for this request; the ones another active request holds, by holder.

        A claim of this same request is renewed; one past its `expires_at` is taken over.
        """
        ...

    async def holders(self, servers: Sequence[ServerKey], *, now: int) -> dict[ServerKey, str]:
        """Which active requests hold any of these servers (nothing is written)."""
        ...

    async def release(self, request_id: str) -> int:
        """Let go of every server the request holds; how many it held."""
        ...


class Clock(Protocol):
    """The current time (injected so tests decide it)."""

    def __call__(self) -> datetime: ...
