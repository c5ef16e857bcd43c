"""The round trip's DRS calls through aiobotocore, and its items in the configurator's table."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from drsorch.configurator.adapters.drs import PAGE, CountedDrs, parse_time
from drsorch.configurator.adapters.errors import code_of, translate
from drsorch.configurator.roundtrip.ports import (
    JobView,
    RecoveryView,
    ReverseBusy,
    ServerView,
    duration_seconds,
)
from drsorch.contracts.types import Place

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


def server_view(item: dict[str, Any]) -> ServerView:
    """A DescribeSourceServers item as the round trip reads it."""
    info = item.get("dataReplicationInfo") or {}
    disks = info.get("replicatedDisks") or []
    hints = (item.get("sourceProperties") or {}).get("identificationHints") or {}
    error = info.get("dataReplicationError") or {}
    text = " ".join(str(part) for part in (error.get("error"), error.get("rawError")) if part)
    return ServerView(
        source_server_id=item["sourceServerID"],
        arn=str(item.get("arn", "")),
        direction=item.get("replicationDirection"),
        aws_instance_id=hints.get("awsInstanceID"),
        state=info.get("dataReplicationState"),
        lag_seconds=duration_seconds(info.get("lagDuration")),
        rescanned_bytes=sum(int(d.get("rescannedStorageBytes") or 0) for d in disks),
        total_bytes=sum(int(d.get("totalStorageBytes") or 0) for d in disks),
        all_rescanned=bool(disks)
        and all(
            int(d.get("rescannedStorageBytes") or 0) >= int(d.get("totalStorageBytes") or 0)
            for d in disks
        ),
        error=text or None,
        reversed_arn=item.get("reversedDirectionSourceServerArn"),
        replicating_since=parse_time(
            (info.get("dataReplicationInitiation") or {}).get("startDateTime")
        ),
    )


def recovery_view(item: dict[str, Any]) -> RecoveryView:
    info = item.get("dataReplicationInfo") or {}
    return RecoveryView(
        recovery_instance_id=item["recoveryInstanceID"],
        source_server_id=str(item.get("sourceServerID", "")),
        ec2_instance_id=str(item.get("ec2InstanceID", "")),
        ec2_state=str(item.get("ec2InstanceState", "")),
        is_drill=bool(item.get("isDrill")),
        replication_state=info.get("dataReplicationState"),
        failback_state=(item.get("failback") or {}).get("state"),
        job_id=item.get("jobID"),
    )


class RoundTripDrsAdapter(CountedDrs):
    """`RoundTripDrs` over the real DRS API; counts every call by operation."""

    async def servers(self, place: Place, ids: Sequence[str]) -> dict[str, ServerView]:
        found: dict[str, ServerView] = {}
        wanted = list(dict.fromkeys(ids))
        for start in range(0, len(wanted), PAGE):  # the filter takes at most 200 IDs
            part = wanted[start : start + PAGE]
            items = await self._pages(
                place,
                "DescribeSourceServers",
                "describe_source_servers",
                filters={"sourceServerIDs": part},
            )
            found |= {v.source_server_id: v for v in map(server_view, items)}
        return {k: v for k, v in found.items() if k in set(wanted)}

    async def recovery_instances(
        self, place: Place, source_server_ids: Sequence[str]
    ) -> list[RecoveryView]:
        found: list[RecoveryView] = []
        wanted = list(dict.fromkeys(source_server_ids))
        for start in range(0, len(wanted), PAGE):
            items = await self._pages(
                place,
                "DescribeRecoveryInstances",
                "describe_recovery_instances",
                filters={"sourceServerIDs": wanted[start : start + PAGE]},
            )
            found.extend(map(recovery_view, items))
        return found

    async def reverse_replication(self, place: Place, recovery_instance_id: str) -> str:
        client = await self._client_for("drs", place)
        self.calls["ReverseReplication"] += 1
        try:
            response = await client.reverse_replication(recoveryInstanceID=recovery_instance_id)
        except ClientError as exc:
            if code_of(exc) == "ConflictException":
                raise ReverseBusy(str(exc)) from exc
            raise translate(exc, "ReverseReplication", place) from exc
        except BotoCoreError as exc:
            raise translate(exc, "ReverseReplication", place) from exc
        return str(response.get("reversedDirectionSourceServerArn", ""))

    async def stop_replication(self, place: Place, server_id: str) -> None:
        await self._call(place, "StopReplication", "stop_replication", sourceServerID=server_id)

    async def stop_failback(self, place: Place, recovery_instance_id: str) -> None:
        await self._call(
            place, "StopFailback", "stop_failback", recoveryInstanceID=recovery_instance_id
        )

    async def terminate_recovery_instances(self, place: Place, ids: Sequence[str]) -> str:
        response = await self._call(
            place,
            "TerminateRecoveryInstances",
            "terminate_recovery_instances",
            recoveryInstanceIDs=list(ids),
        )
        return str(response["job"]["jobID"])

    async def jobs_since(self, place: Place, since: datetime) -> list[JobView]:
        items = await self._pages(
            place,
            "DescribeJobs",
            "describe_jobs",
            filters={"fromDate": since.strftime("%Y-%m-%dT%H:%M:%SZ")},
        )
        return [
            JobView(
                job_id=item["jobID"],
                job_type=str(item.get("type", "")),
                status=str(item.get("status", "")),
                created=parse_time(item.get("creationDateTime")),
                recovery_instance_ids=frozenset(
                    str(s.get("recoveryInstanceID"))
                    for s in item.get("participatingServers") or []
                    if s.get("recoveryInstanceID")
                ),
            )
            for item in items
        ]

    async def delete_recovery_instance(self, place: Place, recovery_instance_id: str) -> None:
        await self._call(
            place,
            "DeleteRecoveryInstance",
            "delete_recovery_instance",
            recoveryInstanceID=recovery_instance_id,
        )

    async def disconnect_source_server(self, place: Place, server_id: str) -> None:
        await self._call(
            place, "DisconnectSourceServer", "disconnect_source_server", sourceServerID=server_id
        )

    async def delete_source_server(self, place: Place, server_id: str) -> None:
        await self._call(
            place, "DeleteSourceServer", "delete_source_server", sourceServerID=server_id
        )


PART_CHARS = 90_000
"""Characters of a stored body per item: at most 4 bytes each in UTF-8, well inside the
400 KB DynamoDB allows an item. A 3,000-server drill's evidence or clean-up is several."""


class RoundTripDynamo:
    """`RoundTripStore` in the configurator's table: pk=roundtrip#<request>, sk=<name>."""

    def __init__(self, client: DynamoDBClient, table: str, *, ttl_days: int = 90) -> None:
        self.client = client
        self.table = table
        self.ttl_seconds = ttl_days * 86_400

    def _key(self, request_id: str, name: str) -> dict[str, Any]:
        return {"pk": {"S": f"roundtrip#{request_id}"}, "sk": {"S": name}}

    def _item(self, request_id: str, name: str, **fields: Any) -> dict[str, Any]:
        expires = {"N": str(int(time.time()) + self.ttl_seconds)}
        return {**self._key(request_id, name), **fields, "expires_at": expires}

    async def _head(self, request_id: str, name: str, body: str) -> dict[str, Any]:
        """The item that names `body`: the body itself, or, past what one item holds, the
        parts it was written in (written first, under a token of this write, so a reader
        of the item always finds them and a concurrent write never mixes its parts in)."""
        if len(body) <= PART_CHARS:
            return self._item(request_id, name, body={"S": body})
        token = uuid.uuid4().hex[:12]
        parts = [body[i : i + PART_CHARS] for i in range(0, len(body), PART_CHARS)]
        for index, text in enumerate(parts):
            part = self._item(request_id, _part(name, token, index), body={"S": text})
            await self.client.put_item(TableName=self.table, Item=part)
        return self._item(request_id, name, token={"S": token}, parts={"N": str(len(parts))})

    async def load(self, request_id: str, name: str) -> str | None:
        item = await self._get(request_id, name)
        if item is None:
            return None
        if "body" in item:
            return str(item["body"]["S"])
        token, count = item["token"]["S"], int(item["parts"]["N"])
        texts = []
        for index in range(count):
            part = await self._get(request_id, _part(name, token, index))
            if part is None:
                raise RuntimeError(f"{name} of {request_id}: part {index} of {count} is missing")
            texts.append(str(part["body"]["S"]))
        return "".join(texts)

    async def _get(self, request_id: str, name: str) -> dict[str, Any] | None:
        response = await self.client.get_item(
            TableName=self.table, Key=self._key(request_id, name), ConsistentRead=True
        )
        return response.get("Item")

    async def save(self, request_id: str, name: str, body: str) -> None:
        item = await self._head(request_id, name, body)
        await self.client.put_item(TableName=self.table, Item=item)

    async def claim(self, request_id: str, name: str, body: str) -> bool:
        item = await self._head(request_id, name, body)
        try:
            await self.client.put_item(
                TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if code_of(exc) != "ConditionalCheckFailedException":
                raise
            return False
        return True


def _part(name: str, token: str, index: int) -> str:
    return f"{name}#part#{token}#{index:04d}"
