"""DRS through aiobotocore, in the account and region each call names."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from drsorch.configurator.adapters.errors import code_of, translate
from drsorch.configurator.domain import SourceServer, failback_server_of
from drsorch.configurator.errors import RecordInvalid, RecoveryInstanceBusy
from drsorch.contracts import LaunchConfiguration
from drsorch.contracts.types import Place

if TYPE_CHECKING:
    from types_aiobotocore_drs import DrsClient

ClientFor = Callable[[str, Place], Awaitable[Any]]
# Servers that no longer replicate cannot be the live FAILBACK server of an instance.
_GONE = frozenset({"DISCONNECTED"})


def parse_time(text: object) -> datetime | None:
    """A DRS timestamp (ISO-8601, ending in Z) or EC2's datetime, as an aware datetime."""
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=UTC)
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def source_server(item: dict[str, Any], place: Place) -> SourceServer:
    """A DescribeSourceServers item as the configurator reads it."""
    properties = item.get("sourceProperties") or {}
    hints = properties.get("identificationHints") or {}
    cloud = item.get("sourceCloudProperties") or {}
    os_name = str((properties.get("os") or {}).get("fullString") or "")
    platform = None if not os_name else "windows" if "windows" in os_name.lower() else "linux"
    return SourceServer(
        source_server_id=item["sourceServerID"],
        place=place,
        architecture=properties.get("architecture"),
        platform=platform,
        tags=dict(item.get("tags") or {}),
        direction=item.get("replicationDirection"),
        aws_instance_id=hints.get("awsInstanceID"),
        origin_account_id=cloud.get("originAccountID") or None,
        origin_region=cloud.get("originRegion") or None,
    )


def _live_failback(items: list[dict[str, Any]], place: Place) -> list[SourceServer]:
    """The FAILBACK-direction servers among `items` that still replicate."""
    return [
        source_server(item, place)
        for item in items
        if item.get("replicationDirection") == "FAILBACK"
        and (item.get("dataReplicationInfo") or {}).get("dataReplicationState") not in _GONE
    ]


PAGE = 200  # DescribeSourceServers / DescribeRecoveryInstances: at most 200 a page


class CountedDrs:
    """DRS calls in the account and region each names, counted by operation, errors
    translated to the configurator's own; the base of every configurator DRS adapter."""

    def __init__(self, client_for: ClientFor, calls: Counter[str]) -> None:
        self._client_for = client_for
        self.calls = calls

    async def _call(self, place: Place, operation: str, method: str, **kwargs: Any) -> Any:
        client: DrsClient = await self._client_for("drs", place)
        self.calls[operation] += 1
        try:
            return await getattr(client, method)(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, operation, place) from exc

    async def _pages(
        self, place: Place, operation: str, method: str, **kwargs: Any
    ) -> list[dict[str, Any]]:
        """Every item of a paged DRS list call, at the largest page it allows."""
        items: list[dict[str, Any]] = []
        kwargs["maxResults"] = PAGE
        while True:
            page = await self._call(place, operation, method, **kwargs)
            items.extend(page.get("items", []))
            token = page.get("nextToken")
            if not token:
                return items
            kwargs["nextToken"] = token


class DrsAdapter(CountedDrs):
    """`DrsGateway` over the real DRS API; counts every call by operation."""

    async def _describe(self, place: Place, filters: dict[str, Any]) -> list[dict[str, Any]]:
        return await self._pages(
            place, "DescribeSourceServers", "describe_source_servers", filters=filters
        )

    async def source_servers(self, place: Place, ids: Sequence[str]) -> dict[str, SourceServer]:
        items = await self._describe(place, {"sourceServerIDs": list(ids)})
        wanted = set(ids)
        servers = (source_server(item, place) for item in items)
        return {s.source_server_id: s for s in servers if s.source_server_id in wanted}

    async def failback_server(self, place: Place, ec2_instance_id: str) -> SourceServer | None:
        items = await self._describe(place, {"hardwareId": ec2_instance_id})
        return failback_server_of(_live_failback(items, place), ec2_instance_id)

    async def failback_servers(self, place: Place) -> list[SourceServer]:
        return _live_failback(await self._describe(place, {}), place)

    async def recovery_ec2_instance(self, place: Place, recovery_instance_id: str) -> str | None:
        page = await self._call(
            place,
            "DescribeRecoveryInstances",
            "describe_recovery_instances",
            filters={"recoveryInstanceIDs": [recovery_instance_id]},
        )
        for item in page.get("items", []):
            if item.get("recoveryInstanceID") == recovery_instance_id:
                found = item.get("ec2InstanceID")
                return str(found) if found else None
        return None

    async def reverse_replication(self, place: Place, recovery_instance_id: str) -> str:
        client: DrsClient = await self._client_for("drs", place)
        self.calls["ReverseReplication"] += 1
        try:
            response = await client.reverse_replication(recoveryInstanceID=recovery_instance_id)
        except ClientError as exc:
            if code_of(exc) == "ConflictException":
                raise RecoveryInstanceBusy(str(exc)) from exc
            raise translate(exc, "ReverseReplication", place) from exc
        except BotoCoreError as exc:
            raise translate(exc, "ReverseReplication", place) from exc
        return str(response.get("reversedDirectionSourceServerArn", ""))

    async def launch_configuration(self, place: Place, server_id: str) -> LaunchConfiguration:
        response = await self._call(
            place, "GetLaunchConfiguration", "get_launch_configuration", sourceServerID=server_id
        )
        return _configuration(server_id, response)

    async def update_launch_configuration(
        self, place: Place, server_id: str, configuration: LaunchConfiguration
    ) -> LaunchConfiguration:
        # DRS answers with the whole configuration after the update (the API reference's
        # response is GetLaunchConfiguration's fields): no read is needed to see it.
        response = await self._call(
            place,
            "UpdateLaunchConfiguration",
            "update_launch_configuration",
            sourceServerID=server_id,
            **configuration.to_drs(),
        )
        return _configuration(server_id, response)


def _configuration(server_id: str, response: dict[str, Any]) -> LaunchConfiguration:
    try:
        return LaunchConfiguration.from_drs(response)
    except ValidationError as exc:
        # One record DRS reports outside drsorch's contract rejects that server's pair,
        # named with the record's fault; the rest of the request goes on.
        raise RecordInvalid.of(server_id, "launch configuration", exc) from exc
