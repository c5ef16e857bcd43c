"""What the configurator needs from the outside world, as Protocols.

Adapters over aiobotocore implement them (`adapters/`); unit tests use hand-written
fakes (`tests/support/configurator_fakes.py`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from drsorch.configurator.domain import SourceServer, TargetInstance
from drsorch.configurator.records import PairRecord, PreviousSettings, RequestRecord
from drsorch.contracts import Accounts, LaunchConfiguration, RequestSpec, SignedApproval
from drsorch.contracts.types import Place


class DrsGateway(Protocol):
    """DRS in the accounts of one request. Raises `Transient`, `Refused` or AccountUnreachable."""

    async def source_servers(self, place: Place, ids: Sequence[str]) -> dict[str, SourceServer]:
        """The servers among `ids` that exist in `place`, by ID."""
        ...

    async def failback_server(self, place: Place, ec2_instance_id: str) -> SourceServer | None:
        """The FAILBACK-direction server whose awsInstanceID is `ec2_instance_id`, if any."""
        ...

    async def failback_servers(self, place: Place) -> Sequence[SourceServer]:
        """Every live FAILBACK-direction server in `place`, in one paginated listing."""
        ...

    async def recovery_ec2_instance(self, place: Place, recovery_instance_id: str) -> str | None:
        """The EC2 instance ID of a recovery instance, None when DRS does not know it."""
        ...

    async def reverse_replication(self, place: Place, recovery_instance_id: str) -> str:
        """Start reverse replication; the reversed server's ARN. `RecoveryInstanceBusy` on 409."""
        ...

    async def launch_configuration(self, place: Place, server_id: str) -> LaunchConfiguration: ...

    async def update_launch_configuration(
        self, place: Place, server_id: str, configuration: LaunchConfiguration
    ) -> LaunchConfiguration:
        """Set the fields `configuration` names; the whole configuration DRS reports after."""
        ...


class Ec2Gateway(Protocol):
    """EC2 in the accounts of one request."""

    async def instances(self, place: Place, ids: Sequence[str]) -> dict[str, TargetInstance]:
        """The instances among `ids` that exist in `place`, by ID."""
        ...

    async def tag_launch_into(self, place: Place, instance_id: str) -> None:
        """Tag the instance AWSDRS=AllowLaunchingIntoThisInstance."""
        ...

    async def untag_launch_into(self, place: Place, instance_id: str) -> None:
        """Remove the instance's AWSDRS=AllowLaunchingIntoThisInstance tag (that value only)."""
        ...


class Cloud(Protocol):
    """AWS as one request sees it: its accounts, and a count of the DRS calls made."""

    @property
    def drs(self) -> DrsGateway: ...

    @property
    def ec2(self) -> Ec2Gateway: ...

    @property
    def calls(self) -> Counter[str]:
        """DRS API calls made through this object, by operation."""
        ...


class CloudFactory(Protocol):
    def __call__(self, accounts: Accounts) -> Cloud: ...


class Store(Protocol):
    """The configurator's table: requests in progress, their pairs, and previous settings."""

    async def request(self, request_id: str) -> RequestRecord | None: ...

    async def start_request(
        self, request_id: str, request: RequestRecord, pairs: Sequence[PairRecord]
    ) -> None:
        """Record a new request and its pairs; the request item is written last."""
        ...

    async def pairs(self, request_id: str) -> list[PairRecord]: ...

    async def save_pairs(self, request_id: str, pairs: Sequence[PairRecord]) -> None: ...

    async def add_calls(self, request_id: str, calls: Counter[str]) -> None: ...

    async def keep_previous(
        self, request_id: str, previous: Sequence[PreviousSettings]
    ) -> list[PreviousSettings]:
        """Store each of `previous` unless settings are already kept for its server; the
        kept ones, in order. The first kept for a server wins, also within one call."""
        ...

    async def previous(self, request_id: str) -> list[PreviousSettings]: ...

    async def keep_baselines(self, previous: Sequence[PreviousSettings]) -> None:
        """Keep each server's configuration from before drsorch first changed it in a round
        trip, unless one is kept already (the retire restores it, then forgets it)."""
        ...

    async def baseline(self, place: Place, server_id: str) -> PreviousSettings | None: ...

    async def forget_baseline(self, place: Place, server_id: str) -> None: ...

    async def keep_tagged(self, request_id: str, instances: Sequence[tuple[Place, str]]) -> None:
        """Record, before the calls, that the request tags these instances AWSDRS=..."""
        ...

    async def tagged(self, request_id: str) -> list[tuple[Place, str]]:
        """The instances the request tagged (or was about to)."""
        ...


class Approvals(Protocol):
    """Why an apply may not write anything: its signed approvals, verified (`ApprovalCheck`)."""

    async def refusal(
        self, spec: RequestSpec, request_id: str, plan_hashes: Iterable[str], started_at: datetime
    ) -> str | None: ...

    async def apply_refusal(
        self,
        approvals: tuple[SignedApproval, ...],
        request_id: str,
        plan_hashes: Iterable[str],
        started_at: datetime,
    ) -> str | None:
        """The same rules for an apply that is no request spec (a restore)."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...
