"""AWS as one request sees it: DRS and EC2 per account and region, calls counted.

Clients come from the runtime's `AccountClients` (the hub directly, spokes by
AssumeRole). StartRecovery goes through a second set of clients with no retries: a
retry after a lost answer could create a second job, so an unknown outcome is left
to the intent's reconciliation instead.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Protocol

from aiobotocore.config import AioConfig
from botocore.exceptions import BotoCoreError, ClientError

from drsorch.contracts import Accounts
from drsorch.contracts.types import Place
from drsorch.monitor.adapters.drs import DrsAdapter
from drsorch.monitor.adapters.ec2 import Ec2Adapter
from drsorch.monitor.adapters.errors import translate
from drsorch.monitor.errors import Unreachable
from drsorch.runtime.accounts import AccountUnreachable

NO_RETRIES = AioConfig(retries={"mode": "standard", "total_max_attempts": 1})


class ClientSource(Protocol):
    """Clients by service, account and region: the runtime's `AccountClients`, which alone
    knows how to reach a spoke (the deployment's configuration, never the request's)."""

    async def client(self, service: str, account_id: str, region: str) -> Any: ...

    async def refusal(self, account_id: str) -> str | None: ...


class AwsCloud:
    """The `Cloud` port over aiobotocore, for the accounts of one request."""

    def __init__(
        self,
        clients: ClientSource,
        once: ClientSource,
        accounts: Accounts,
    ) -> None:
        self.clients = clients
        self.once = once
        self.accounts = accounts
        self._calls: Counter[str] = Counter()

    @property
    def calls(self) -> Counter[str]:
        return self._calls

    async def refusal(self, account_id: str) -> str | None:
        """Why the request may not act in `account_id` (a spoke the deployment does not
        configure); None where it may."""
        try:
            return await self.clients.refusal(account_id)
        except (ClientError, BotoCoreError) as exc:
            raise Unreachable(f"the hub's own account could not be read: {exc}") from exc

    def drs(self, place: Place) -> DrsAdapter:
        return DrsAdapter(self, place)

    def ec2(self, place: Place) -> Ec2Adapter:
        return Ec2Adapter(self, place)

    async def call(
        self,
        service: str,
        place: Place,
        operation: str,
        method: str,
        *,
        once: bool = False,
        **kwargs: Any,
    ) -> Any:
        """One AWS call in `place`; DRS calls are counted for the report."""
        pool = self.once if once else self.clients
        try:
            client = await pool.client(service, place.account_id, place.region)
        except AccountUnreachable as exc:
            raise Unreachable(str(exc)) from exc
        if service == "drs":
            self._calls[operation] += 1
        try:
            return await getattr(client, method)(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, operation, place) from exc
