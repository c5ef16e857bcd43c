"""AWS for one request: DRS and EC2 clients per account and region, spokes by AssumeRole."""

from __future__ import annotations

from collections import Counter
from typing import Any

from drsorch.configurator.adapters.drs import DrsAdapter
from drsorch.configurator.adapters.ec2 import Ec2Adapter
from drsorch.contracts import Accounts
from drsorch.contracts.types import Place
from drsorch.runtime.accounts import AccountClients


class AwsCloud:
    """`Cloud` over the runtime's AccountClients (clients and credentials are cached there)."""

    def __init__(self, clients: AccountClients, accounts: Accounts) -> None:
        # The request's accounts say where it acts; how to reach a spoke is the
        # deployment's configuration, held by `clients` (a spoke it lacks is refused).
        self._clients = clients
        self._accounts = accounts
        self._calls: Counter[str] = Counter()
        self._drs = DrsAdapter(self._client, self._calls)
        self._ec2 = Ec2Adapter(self._client)

    async def client(self, service: str, place: Place) -> Any:
        """A client of `service` in `place` (a spoke through its role)."""
        return await self._clients.client(service, place.account_id, place.region)

    async def _client(self, service: str, place: Place) -> Any:
        return await self._clients.client(service, place.account_id, place.region)

    @property
    def drs(self) -> DrsAdapter:
        return self._drs

    @property
    def ec2(self) -> Ec2Adapter:
        return self._ec2

    @property
    def calls(self) -> Counter[str]:
        return self._calls
