"""Discovery's table (`pk`/`sk` strings, TTL `expires_at`): snapshots and server claims.

- `pk=request#<request>`, `sk=snapshot#<event>#<index>`: one ServersDiscovered chunk
  (each well under DynamoDB's 400 KB item limit); `sk=snapshot#<event>#meta` is
  written last and says how many there are, so a snapshot is whole or absent.
- `pk=server#<account>#<region>#<server>`, `sk=claim`: the request holding a server,
  until `expires_at`. Taken with a conditional put, so two requests never both hold it.
- `pk=request#<request>`, `sk=held#<n>`: the servers the request holds, to release them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from drsorch.discovery.ports import ServerKey

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

T = TypeVar("T")
WRITES_AT_ONCE = 16
KEYS_PER_HELD_ITEM = 500
KEYS_PER_BATCH_GET = 100


def _server_pk(key: ServerKey) -> str:
    return "server#" + "#".join(key)


def _is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class DynamoDiscoveryRepository:
    """`DiscoveryRepository` over one DynamoDB table."""

    def __init__(
        self, client: DynamoDBClient, table: str, *, held_per_item: int = KEYS_PER_HELD_ITEM
    ) -> None:
        self.client = client
        self.table = table
        self.held_per_item = held_per_item

    async def load_snapshot(self, request_id: str, cause_id: str) -> list[str] | None:
        prefix = f"snapshot#{cause_id}#"
        items = await self._query(f"request#{request_id}", prefix)
        meta = next((i for i in items if i["sk"]["S"] == prefix + "meta"), None)
        if meta is None:
            return None
        parts = {i["sk"]["S"]: i["body"]["S"] for i in items if "body" in i}
        count = int(meta["count"]["N"])
        return [parts[f"{prefix}{index:05d}"] for index in range(count)]

    async def save_snapshot(
        self, request_id: str, cause_id: str, chunks: Sequence[str], *, expires_at: int
    ) -> None:
        prefix = f"snapshot#{cause_id}#"

        def item(sk: str, **extra: dict[str, str]) -> dict[str, Any]:
            return {
                "pk": {"S": f"request#{request_id}"},
                "sk": {"S": sk},
                "expires_at": {"N": str(expires_at)},
                **extra,
            }

        await _bounded(
            [
                partial(self._put, item(f"{prefix}{i:05d}", body={"S": body}))
                for i, body in enumerate(chunks)
            ]
        )
        await self._put(item(prefix + "meta", count={"N": str(len(chunks))}))

    async def claim(
        self, request_id: str, servers: Sequence[ServerKey], *, now: int, expires_at: int
    ) -> dict[ServerKey, str]:
        # One conditional put per server, a few in flight: a transaction (100 items)
        # fails whole on one held server, and moto copies the table per transaction.
        servers = list(dict.fromkeys(servers))
        await self._remember(request_id, servers, expires_at)
        holders = await _bounded(
            [partial(self._claim, request_id, key, now, expires_at) for key in servers]
        )
        return {key: holder for key, holder in zip(servers, holders, strict=True) if holder}

    async def holders(self, servers: Sequence[ServerKey], *, now: int) -> dict[ServerKey, str]:
        by_pk = {_server_pk(key): key for key in servers}
        held: dict[ServerKey, str] = {}
        pks = list(by_pk)
        for start in range(0, len(pks), KEYS_PER_BATCH_GET):
            keys = [{"pk": {"S": pk}, "sk": {"S": "claim"}} for pk in pks[start : start + 100]]
            request: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
            while request:
                page = await self.client.batch_get_item(RequestItems=request)
                for item in page.get("Responses", {}).get(self.table, []):
                    if int(item["expires_at"]["N"]) >= now:
                        held[by_pk[item["pk"]["S"]]] = item["request_id"]["S"]
                request = page.get("UnprocessedKeys") or {}
        return held

    async def release(self, request_id: str) -> int:
        held = await self._query(f"request#{request_id}", "held#")
        keys: list[ServerKey] = [
            (a, r, sid) for item in held for a, r, sid in json.loads(item["servers"]["S"])
        ]
        await _bounded([partial(self._unclaim, request_id, key) for key in keys])
        await _bounded([partial(self._delete, f"request#{request_id}", i["sk"]["S"]) for i in held])
        return len(keys)

    async def _remember(
        self, request_id: str, servers: Sequence[ServerKey], expires_at: int
    ) -> None:
        """Record what the request holds before taking it, so a release finds every claim."""
        size = self.held_per_item
        for start in range(0, len(servers), size):
            run = [list(key) for key in servers[start : start + size]]
            await self._put(
                {
                    "pk": {"S": f"request#{request_id}"},
                    "sk": {"S": f"held#{start // size:05d}"},
                    "servers": {"S": json.dumps(run)},
                    "expires_at": {"N": str(expires_at)},
                }
            )

    async def _claim(
        self, request_id: str, key: ServerKey, now: int, expires_at: int
    ) -> str | None:
        """None when taken; else the request holding it."""
        try:
            await self.client.put_item(
                TableName=self.table,
                Item={
                    "pk": {"S": _server_pk(key)},
                    "sk": {"S": "claim"},
                    "request_id": {"S": request_id},
                    "expires_at": {"N": str(expires_at)},
                },
                ConditionExpression=(
                    "attribute_not_exists(pk) OR request_id = :me OR expires_at < :now"
                ),
                ExpressionAttributeValues={":me": {"S": request_id}, ":now": {"N": str(now)}},
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            current = await self.client.get_item(
                TableName=self.table,
                Key={"pk": {"S": _server_pk(key)}, "sk": {"S": "claim"}},
                ConsistentRead=True,
            )
            # Released between the put and the read: report it held all the same; the
            # operator retries, rather than drsorch racing another request.
            return str(current.get("Item", {}).get("request_id", {}).get("S", "another request"))
        return None

    async def _unclaim(self, request_id: str, key: ServerKey) -> None:
        try:
            await self.client.delete_item(
                TableName=self.table,
                Key={"pk": {"S": _server_pk(key)}, "sk": {"S": "claim"}},
                ConditionExpression="request_id = :me",
                ExpressionAttributeValues={":me": {"S": request_id}},
            )
        except ClientError as error:
            if not _is_condition_failure(error):  # another request holds it now: leave it
                raise

    async def _delete(self, pk: str, sk: str) -> None:
        await self.client.delete_item(TableName=self.table, Key={"pk": {"S": pk}, "sk": {"S": sk}})

    async def _put(self, item: dict[str, Any]) -> None:
        await self.client.put_item(TableName=self.table, Item=item)

    async def _query(self, pk: str, prefix: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": prefix}},
            "ConsistentRead": True,
        }
        while True:
            page = await self.client.query(**params)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return items
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


async def _bounded(work: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run the calls with at most WRITES_AT_ONCE in flight; results in order."""
    gate = asyncio.Semaphore(WRITES_AT_ONCE)

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await call()

    return await asyncio.gather(*(one(call) for call in work))
