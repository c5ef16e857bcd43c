"""Account access over the runtime's `AccountClients`: the hub directly, spokes by role.

The runtime caches each spoke's assumed-role credentials until shortly before they
expire, and the clients made with them, so a request reads every account with one
AssumeRole at most.
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
from drsorch.runtime.accounts import Spoke as SpokeRole


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
        hub = await self.clients.hub_account()
        if spoke is None and account_id != hub:
            raise AccountUnreachable(
                account_id, None, f"the request names it as the hub, but drsorch runs in {hub}"
            )
        try:
            return await self.clients.client(service, account_id, region, self._role(spoke))
        except NoCredentials as error:
            raise AccountUnreachable(account_id, None, error.reason) from error

    def _role(self, spoke: Spoke | None) -> SpokeRole | None:
        if spoke is None:
            return None
        role_name = spoke.role_name or self.settings.spoke_role_name
        if not role_name:
            raise AccountUnreachable(
                spoke.account_id,
                None,
                "no role to assume: the request names none and DRSORCH_SPOKE_ROLE_NAME is unset",
            )
        external_id = spoke.external_id or self.settings.spoke_external_id
        return SpokeRole(spoke.account_id, role_name, external_id)
