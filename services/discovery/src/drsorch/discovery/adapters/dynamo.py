"""Discovery's table (`pk`/`sk` strings, TTL `expires_at`): snapshots and server claims.

- `pk=request#<request>`, `sk=snapshot#<event>#<index>`: one ServersDiscovered chunk
  (each well under DynamoDB's 400 KB item limit); `sk=snapshot#<event>#meta` is
  written last and says how many there are, so a snapshot is whole or absent.
- `pk=server#<account>#<region>#<server>`, `sk=claim`: the request holding a server,
  until `expires_at`. Taken with a conditional put (in transactions of up to 100), so
  two requests never both hold it.
- `pk=request#<request>`, `sk=held#<n>`: the servers the request holds (up to 99 a
  record), written before they are taken, to release them; a record is deleted in
  the same transaction as its claims.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from drsorch.discovery.ports import ServerKey
from drsorch.runtime.transactions import ITEMS, write_unless_refused

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

T = TypeVar("T")
WRITES_AT_ONCE = 16
TRANSACT_ITEMS = ITEMS
# A held# record and its claims are freed in one transaction (see `release`).
KEYS_PER_HELD_ITEM = TRANSACT_ITEMS - 1
KEYS_PER_BATCH_GET = 100
CLAIM_CONDITION = "attribute_not_exists(pk) OR request_id = :me OR expires_at < :now"


def _server_pk(key: ServerKey) -> str:
    return "server#" + "#".join(key)


def _claim_item(key: ServerKey, request_id: str, expires_at: int) -> dict[str, Any]:
    return {
        "pk": {"S": _server_pk(key)},
        "sk": {"S": "claim"},
        "request_id": {"S": request_id},
        "expires_at": {"N": str(expires_at)},
    }


class DynamoDiscoveryRepository:
    """`DiscoveryRepository` over one DynamoDB table."""

    def __init__(
        self, client: DynamoDBClient, table: str, *, held_per_item: int = KEYS_PER_HELD_ITEM
    ) -> None:
        self.client = client
        self.table = table
        self.held_per_item = held_per_item
        self._releasing: dict[str, asyncio.Future[int]] = {}

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
        # Transactions of conditional puts, a few in flight: a refused one writes nothing
        # and says which items were held (and by whom), so the rest is tried again.
        servers = list(dict.fromkeys(servers))
        await self._remember(request_id, servers, expires_at)
        runs = [servers[i : i + TRANSACT_ITEMS] for i in range(0, len(servers), TRANSACT_ITEMS)]
        found = await _bounded(
            [partial(self._claim_run, request_id, run, now, expires_at) for run in runs]
        )
        held = {key: holder for part in found for key, holder in part.items()}
        return {key: held[key] for key in servers if key in held}

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
        # RequestCompleted comes in several chunks, together: a release of the same
        # request already running in this process is joined, not done again. Across
        # processes, each held# record goes in the same transaction as its last claims,
        # so a release beside this one finds the records already freed gone, and a
        # crash leaves a record to the redelivery.
        running = self._releasing.get(request_id)
        if running is None:
            running = asyncio.ensure_future(self._release(request_id))
            self._releasing[request_id] = running
            running.add_done_callback(lambda _: self._releasing.pop(request_id, None))
        return await asyncio.shield(running)

    async def _release(self, request_id: str) -> int:
        held = await self._query(f"request#{request_id}", "held#")
        counts = await _bounded([partial(self._release_record, request_id, i) for i in held])
        return sum(counts)

    async def _remember(
        self, request_id: str, servers: Sequence[ServerKey], expires_at: int
    ) -> None:
        """Record what the request holds before taking it, so a release finds every claim."""
        size = self.held_per_item
        await _bounded(
            [
                partial(
                    self._put,
                    {
                        "pk": {"S": f"request#{request_id}"},
                        "sk": {"S": f"held#{start // size:05d}"},
                        "servers": {
                            "S": json.dumps([list(k) for k in servers[start : start + size]])
                        },
                        "expires_at": {"N": str(expires_at)},
                    },
                )
                for start in range(0, len(servers), size)
            ]
        )

    async def _claim_run(
        self, request_id: str, keys: Sequence[ServerKey], now: int, expires_at: int
    ) -> dict[ServerKey, str]:
        """Take up to a transaction's worth of servers; those held by another request, by holder."""
        values = {":me": {"S": request_id}, ":now": {"N": str(now)}}
        puts = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": _claim_item(key, request_id, expires_at),
                    "ConditionExpression": CLAIM_CONDITION,
                    "ExpressionAttributeValues": values,
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
            for key in keys
        ]
        refused = await write_unless_refused(self.client, puts)
        # The holder comes with the refusal (ALL_OLD); without it, report the server held
        # all the same: the operator retries, drsorch never races another request.
        return {
            key: str(reason.get("Item", {}).get("request_id", {}).get("S") or "another request")
            for key, reason in zip(keys, refused, strict=True)
            if reason is not None
        }

    async def _release_record(self, request_id: str, record: dict[str, Any]) -> int:
        """Free the claims one held# record lists (those still this request's), then drop it."""
        keys: list[ServerKey] = [(a, r, sid) for a, r, sid in json.loads(record["servers"]["S"])]
        size = TRANSACT_ITEMS - 1  # room for the record's own delete
        runs = [keys[i : i + size] for i in range(0, len(keys), size)] or [[]]
        await _bounded([partial(self._unclaim_run, request_id, run, None) for run in runs[:-1]])
        await self._unclaim_run(request_id, runs[-1], record["sk"]["S"])
        return len(keys)

    async def _unclaim_run(
        self, request_id: str, keys: Sequence[ServerKey], record_sk: str | None
    ) -> None:
        """Delete the claims still this request's (another may hold one now, or it expired
        away: it is left alone); with `record_sk`, that record too, at once (a release
        beside this one may have dropped it already, with its claims)."""
        deletes = [
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": {"pk": {"S": _server_pk(key)}, "sk": {"S": "claim"}},
                    "ConditionExpression": "request_id = :me",
                    "ExpressionAttributeValues": {":me": {"S": request_id}},
                }
            }
            for key in keys
        ]
        record = [
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": {"pk": {"S": f"request#{request_id}"}, "sk": {"S": sk}},
                    "ConditionExpression": "attribute_exists(pk)",
                }
            }
            for sk in ([record_sk] if record_sk else [])
        ]
        await write_unless_refused(self.client, deletes + record)

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
