"""AWS clients per account and region: the hub directly, spokes through STS AssumeRole.

Discovery, configurator and monitor all act in several accounts. Credentials of an
assumed role are cached until shortly before they expire, and clients are cached
with them, so a request over hundreds of servers assumes each role once.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from botocore.exceptions import ClientError

from drsorch.contracts import Accounts
from drsorch.runtime.errors import RuntimeFailure

REFRESH_BEFORE = timedelta(minutes=5)


class AccountUnreachable(RuntimeFailure):
    """drsorch could not assume the role into an account (access denied, no such role)."""

    def __init__(self, account_id: str, reason: str) -> None:
        super().__init__(f"account {account_id} is unreachable: {reason}")
        self.account_id = account_id
        self.reason = reason


@dataclass(frozen=True)
class Spoke:
    """How to reach one spoke account from the hub."""

    account_id: str
    role_name: str
    external_id: str | None = None


def spokes_of(accounts: Accounts, default_role: str) -> dict[str, Spoke]:
    """A request's spokes by account ID, each with its own role or else `default_role`."""
    return {
        spoke.account_id: Spoke(
            spoke.account_id, spoke.role_name or default_role, spoke.external_id
        )
        for spoke in accounts.spokes
    }


@dataclass
class _Credentials:
    access_key: str
    secret_key: str
    token: str
    expires: datetime


class AccountClients:
    """aiobotocore clients by (service, account, region); spokes by assumed role."""

    def __init__(
        self,
        session: AioSession,
        stack: contextlib.AsyncExitStack,
        config: AioConfig,
        *,
        session_name: str = "drsorch",
        now: Any = None,
    ) -> None:
        self.session = session
        self.stack = stack
        self.config = config
        self.session_name = session_name
        self._now = now or (lambda: datetime.now(UTC))
        self._hub: str | None = None
        self._credentials: dict[str, _Credentials] = {}
        self._clients: dict[tuple[str, str, str], tuple[Any, datetime | None]] = {}

    async def hub_account(self) -> str:
        """The account drsorch's own credentials belong to."""
        if self._hub is None:
            sts = await self._plain("sts", "us-east-1")
            self._hub = str((await sts.get_caller_identity())["Account"])
        return self._hub

    async def client(
        self, service: str, account_id: str, region: str, spoke: Spoke | None = None
    ) -> Any:
        """A client acting in `account_id`: directly for the hub, else through `spoke`'s role."""
        if account_id == await self.hub_account():
            return await self._plain(service, region)
        if spoke is None or spoke.account_id != account_id:
            raise AccountUnreachable(account_id, "no role is configured to reach it")
        credentials = await self._assume(spoke)
        key = (service, account_id, region)
        cached = self._clients.get(key)
        if cached is not None and cached[1] == credentials.expires:
            return cached[0]
        client = await self.stack.enter_async_context(
            self.session.create_client(  # type: ignore[call-overload]
                service,
                region_name=region,
                aws_access_key_id=credentials.access_key,
                aws_secret_access_key=credentials.secret_key,
                aws_session_token=credentials.token,
                config=self.config,
            )
        )
        self._clients[key] = (client, credentials.expires)
        return client

    async def _plain(self, service: str, region: str) -> Any:
        key = (service, "hub", region)
        if key not in self._clients:
            client = await self.stack.enter_async_context(
                self.session.create_client(service, region_name=region, config=self.config)  # type: ignore[call-overload]
            )
            self._clients[key] = (client, None)
        return self._clients[key][0]

    async def _assume(self, spoke: Spoke) -> _Credentials:
        cached = self._credentials.get(spoke.account_id)
        if cached is not None and cached.expires - REFRESH_BEFORE > self._now():
            return cached
        sts = await self._plain("sts", "us-east-1")
        arguments: dict[str, Any] = {
            "RoleArn": f"arn:aws:iam::{spoke.account_id}:role/{spoke.role_name}",
            "RoleSessionName": self.session_name,
        }
        if spoke.external_id:
            arguments["ExternalId"] = spoke.external_id
        try:
            response = await sts.assume_role(**arguments)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise AccountUnreachable(
                spoke.account_id, f"{error.get('Code', 'error')}: {error.get('Message', exc)}"
            ) from exc
        raw = response["Credentials"]
        expires = raw["Expiration"]
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        credentials = _Credentials(
            raw["AccessKeyId"], raw["SecretAccessKey"], raw["SessionToken"], expires
        )
        self._credentials[spoke.account_id] = credentials
        return credentials
