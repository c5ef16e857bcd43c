"""Results too large for one message: split by a stable key, reassembled by the reader.

SNS and SQS carry at most 256 KB a message. A producer sorts its items by a stable
key and `split`s them into the fewest events under a byte budget, each marked with
its `Chunk(index, count)`. A consumer hands each chunk to a `ChunkAssembler`, which
keeps the parts in the service's own table and returns the whole result exactly
once, to the handler of whichever chunk completed it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel

from drsorch.contracts import Chunk, Envelope, Event, EventRegistry

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

DEFAULT_BUDGET = 200_000  # bytes of event JSON; leaves room for envelope, attributes, SNS wrapper
E = TypeVar("E", bound=Event)


def split(
    build: Callable[[Sequence[Any], Chunk], E],
    items: Sequence[BaseModel],
    *,
    budget: int = DEFAULT_BUDGET,
    max_items: int = 1000,
) -> list[E]:
    """The fewest events, each built from a run of `items`, whose JSON stays under `budget`.

    `build(items, chunk)` makes one event; it is called once empty to learn the fixed
    cost, then once a chunk. Items keep their order, so sorting them by a stable key
    first makes the split the same on every run.
    """
    fixed = len(build([], Chunk()).model_dump_json())
    runs: list[list[BaseModel]] = [[]]
    used = fixed
    for item in items:
        size = len(item.model_dump_json()) + 1
        if fixed + size > budget:
            raise ValueError(f"one item is larger than the {budget}-byte budget: {size} bytes")
        if runs[-1] and (used + size > budget or len(runs[-1]) >= max_items):
            runs.append([])
            used = fixed
        runs[-1].append(item)
        used += size
    return [build(run, Chunk(index=i, count=len(runs))) for i, run in enumerate(runs)]


class ChunkStore(Protocol):
    """Where a consumer keeps the parts of a result until it holds them all."""

    async def put(self, group: str, index: int, body: str) -> None: ...

    async def collect(self, group: str, count: int) -> list[str] | None:
        """The bodies in index order once all `count` are held, else None."""
        ...

    async def claim(self, group: str, claimer: str) -> bool:
        """True for the first claimer of a complete group, and for it alone, ever after."""
        ...


class ChunkAssembler:
    """Turns chunk envelopes into whole results, once each."""

    def __init__(self, store: ChunkStore, registry: EventRegistry) -> None:
        self.store = store
        self.registry = registry

    async def add(self, envelope: Envelope[Event], chunk: Chunk) -> list[Envelope[Event]] | None:
        """Every chunk of the result, in index order, if this one completed it; else None."""
        if chunk.count == 1:
            return [envelope]
        group = f"{envelope.type}#{envelope.request_id}#{envelope.causation_id or '-'}"
        await self.store.put(group, chunk.index, envelope.to_json())
        bodies = await self.store.collect(group, chunk.count)
        if bodies is None or not await self.store.claim(group, envelope.event_id):
            return None
        return [self.registry.parse(body) for body in bodies]


@dataclass
class MemoryChunkStore:
    parts: dict[str, dict[int, str]] = field(default_factory=dict)
    claims: dict[str, str] = field(default_factory=dict)

    async def put(self, group: str, index: int, body: str) -> None:
        self.parts.setdefault(group, {})[index] = body

    async def collect(self, group: str, count: int) -> list[str] | None:
        held = self.parts.get(group, {})
        return [held[i] for i in range(count)] if all(i in held for i in range(count)) else None

    async def claim(self, group: str, claimer: str) -> bool:
        return self.claims.setdefault(group, claimer) == claimer


class DynamoChunkStore:
    """Parts as items `pk=chunk#<group>`, `sk=part#<index>`; the claim as `sk=claim`."""

    def __init__(
        self, client: DynamoDBClient, table: str, *, ttl_seconds: int = 14 * 86400
    ) -> None:
        self.client = client
        self.table = table
        self.ttl_seconds = ttl_seconds

    async def put(self, group: str, index: int, body: str) -> None:
        await self.client.put_item(
            TableName=self.table,
            Item={
                "pk": {"S": f"chunk#{group}"},
                "sk": {"S": f"part#{index:05d}"},
                "body": {"S": body},
                "expires_at": {"N": str(int(time.time()) + self.ttl_seconds)},
            },
        )

    async def collect(self, group: str, count: int) -> list[str] | None:
        bodies: dict[int, str] = {}
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :part)",
            "ExpressionAttributeValues": {":pk": {"S": f"chunk#{group}"}, ":part": {"S": "part#"}},
            "ConsistentRead": True,
        }
        while True:
            page = await self.client.query(**kwargs)
            for item in page.get("Items", []):
                bodies[int(item["sk"]["S"].removeprefix("part#"))] = item["body"]["S"]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        if not all(i in bodies for i in range(count)):
            return None
        return [bodies[i] for i in range(count)]

    async def claim(self, group: str, claimer: str) -> bool:
        try:
            await self.client.put_item(
                TableName=self.table,
                Item={
                    "pk": {"S": f"chunk#{group}"},
                    "sk": {"S": "claim"},
                    "claimed_by": {"S": claimer},
                },
                ConditionExpression="attribute_not_exists(pk) OR claimed_by = :me",
                ExpressionAttributeValues={":me": {"S": claimer}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True
