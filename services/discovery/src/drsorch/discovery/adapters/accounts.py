"""Account access over the runtime's `AccountClients`: the hub directly, spokes by role.

Which spokes may be read, and through which role and ExternalId, is the deployment's
configuration (`DRSORCH_SPOKE_*`, read by the runtime's `AccountClients`); a spoke it
does not list is reported as an account problem. The runtime caches each spoke's
assumed-role credentials until shortly before they expire, and the clients made with
them, so a request reads every account with one AssumeRole at most.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from drsorch.contracts import Spoke
from drsorch.discovery.adapters.drs import DrsAdapter
from drsorch.discovery.adapters.ec2 import Ec2Adapter
from drsorch.discovery.errors import AccountUnreachable
from drsorch.discovery.settings import DiscoverySettings
from drsorch.runtime.accounts import AccountClients
from drsorch.runtime.accounts import AccountUnreachable as NoCredentials


class AwsAccountAccess:
    """`AccountAccess` on real (or local) AWS."""

    def __init__(self, clients: AccountClients, settings: DiscoverySettings) -> None:
        self.clients = clients
        self.settings = settings

    async def drs(
        self, account_id: str, spoke: Spoke | None, region: str, calls: Counter[str]
    ) -> DrsAdapter:
        return DrsAdapter(
            await self._client("drs", account_id, spoke, region), account_id, region, calls
        )

    async def ec2(self, account_id: str, spoke: Spoke | None, region: str) -> Ec2Adapter:
        return Ec2Adapter(await self._client("ec2", account_id, spoke, region), account_id, region)

    async def _client(self, service: str, account_id: str, spoke: Spoke | None, region: str) -> Any:
        # `spoke` says only that the request names the account as a spoke: how to reach
        # it (role, ExternalId) is the deployment's configuration, never the request's.
        hub = await self.clients.hub_account()
        if spoke is None and account_id != hub:
            raise AccountUnreachable(
                account_id, None, f"the request names it as the hub, but drsorch runs in {hub}"
            )
        try:
            return await self.clients.client(service, account_id, region)
        except NoCredentials as error:
            raise AccountUnreachable(account_id, None, error.reason) from error
