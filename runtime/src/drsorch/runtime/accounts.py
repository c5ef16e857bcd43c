"""AWS clients per account and region: the hub directly, spokes through STS AssumeRole.

Discovery, configurator and monitor all act in several accounts. Which spokes, and the
role and ExternalId for each, come from the deployment's configuration (`SpokeSettings`),
never from a message. Credentials of an assumed role are cached by (account, role,
ExternalId) until shortly before they expire, and clients are cached with them, so a
request over hundreds of servers assumes each role once. STS is called in the hub's own
region, and role ARNs carry the partition of that region.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from botocore.exceptions import ClientError
from botocore.session import get_session as get_botocore_session
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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


class SpokeSettings(BaseSettings):
    """Which spoke accounts drsorch may reach, and how: the deployment's word alone.

    Read by every service from `DRSORCH_SPOKE_ROLE_NAME`, `DRSORCH_SPOKE_EXTERNAL_ID` and
    `DRSORCH_SPOKE_ACCOUNTS`. A request names its spokes, never how to reach them: the
    role and ExternalId a request carries are ignored.
    """

    model_config = SettingsConfigDict(env_prefix="DRSORCH_SPOKE_", extra="ignore")

    role_name: str = Field(default="drsorch-spoke", min_length=1, max_length=64)
    """The role assumed in every spoke (the spoke template's role)."""
    external_id: str | None = Field(default=None, min_length=2, max_length=1224)
    """The ExternalId sent with it, as the spoke role's trust policy demands."""
    accounts: str = ""
    """The spokes drsorch may reach, comma-separated: `ACCOUNT`, or `ACCOUNT:ROLE` or
    `ACCOUNT:ROLE:EXTERNAL_ID` to override the role (or both) of one account.
    A request naming any other spoke is refused."""

    def directory(self) -> SpokeDirectory:
        spokes: dict[str, Spoke] = {}
        for entry in filter(None, (part.strip() for part in self.accounts.split(","))):
            account, _, rest = entry.partition(":")
            role, _, external_id = rest.partition(":")
            if not (account.isdigit() and len(account) == 12):
                raise ValueError(f"DRSORCH_SPOKE_ACCOUNTS: {account!r} is not an account ID")
            spokes[account] = Spoke(
                account, role or self.role_name, external_id or self.external_id
            )
        return SpokeDirectory(spokes)


@dataclass(frozen=True)
class SpokeDirectory:
    """The configured spokes by account ID."""

    spokes: Mapping[str, Spoke] = field(default_factory=dict)

    def get(self, account_id: str) -> Spoke | None:
        return self.spokes.get(account_id)

    def refusal(self, account_id: str) -> str:
        """Why a spoke the deployment does not list is refused."""
        return (
            f"account {account_id} is not a configured spoke: the deployment lists "
            f"{', '.join(sorted(self.spokes)) or 'none'} in DRSORCH_SPOKE_ACCOUNTS"
        )


@functools.cache
def partition_of(region: str) -> str:
    """The partition a region belongs to (`aws`, `aws-us-gov`, `aws-cn`), from botocore's
    own partition data."""
    return str(get_botocore_session().get_partition_for_region(region))


def role_arn(region: str, account_id: str, role_name: str) -> str:
    return f"arn:{partition_of(region)}:iam::{account_id}:role/{role_name}"


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
        region: str | None = None,
        spokes: SpokeDirectory | None = None,
    ) -> None:
        self.session = session
        self.spokes = spokes if spokes is not None else SpokeSettings().directory()
        """The spokes this deployment may reach (default: `DRSORCH_SPOKE_*`)."""
        self.stack = stack
        self.config = config
        self.session_name = session_name
        self._now = now or (lambda: datetime.now(UTC))
        self._hub: str | None = None
        self._credentials: dict[tuple[str, str, str | None], _Credentials] = {}
        self._clients: dict[tuple[str, ...], tuple[Any, datetime | None]] = {}
        region = region or session.get_config_variable("region")
        if not region:
            raise RuntimeFailure("no AWS region: set AWS_REGION or AWS_DEFAULT_REGION")
        self.region = str(region)
        """The hub's region: STS is called there, never in a region of its own choosing."""
        # STS at the regional endpoint of the hub's region, whatever a profile says: a
        # DR tool must not depend on us-east-1 being up.
        session.set_config_variable("sts_regional_endpoints", "regional")

    async def hub_account(self) -> str:
        """The account drsorch's own credentials belong to."""
        if self._hub is None:
            sts = await self._plain("sts", self.region)
            self._hub = str((await sts.get_caller_identity())["Account"])
        return self._hub

    async def refusal(self, account_id: str) -> str | None:
        """Why drsorch may not act in `account_id`; None for the hub and configured spokes."""
        if account_id == await self.hub_account() or self.spokes.get(account_id):
            return None
        return self.spokes.refusal(account_id)

    async def client(self, service: str, account_id: str, region: str) -> Any:
        """A client acting in `account_id`: directly for the hub, else through the role the
        deployment configures for that spoke; `AccountUnreachable` for any other account."""
        if account_id == await self.hub_account():
            return await self._plain(service, region)
        spoke = self.spokes.get(account_id)
        if spoke is None:
            raise AccountUnreachable(account_id, self.spokes.refusal(account_id))
        credentials = await self._assume(spoke)
        key = (service, account_id, region, spoke.role_name, spoke.external_id or "")
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
        # By account, role and ExternalId: one valid AssumeRole never lends its
        # credentials to a request that names the account any other way.
        key = (spoke.account_id, spoke.role_name, spoke.external_id)
        cached = self._credentials.get(key)
        if cached is not None and cached.expires - REFRESH_BEFORE > self._now():
            return cached
        sts = await self._plain("sts", self.region)
        arguments: dict[str, Any] = {
            "RoleArn": role_arn(self.region, spoke.account_id, spoke.role_name),
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
        self._credentials[key] = credentials
        return credentials
