"""DynamoDB BatchWriteItem over any number of writes: 25 a call, a few calls at once.

The services each wrote a request's records in calls of 25 one after another (a
thousand servers' records were 40 calls in a row), each call tried again for what
DynamoDB left unprocessed. `write_all` makes those calls `AT_ONCE` at a time, and
pauses a little longer before each new try of what is left, as DynamoDB asks.

The writes are in no order, across calls as within one: a caller whose readers must
see some writes only after others calls `write_all` once for each group, in order.
If a call fails, the others are cancelled and its error is raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from drsorch.runtime import together

BATCH = 25  # BatchWriteItem's limit
AT_ONCE = 8
ROUNDS = 8
PAUSE_SECONDS = 0.05  # before the second try; doubled for each one after, up to a second

Pause = Callable[[float], Awaitable[None]]


async def write_all(
    client: Any,
    table: str,
    requests: Sequence[Mapping[str, Any]],
    *,
    at_once: int = AT_ONCE,
    rounds: int = ROUNDS,
    pause: Pause = asyncio.sleep,
) -> int:
    """Write every request (`PutRequest` or `DeleteRequest`) to `table`; how many of them
    DynamoDB still left unprocessed after `rounds` tries (0: every one written)."""
    gate = asyncio.Semaphore(at_once)

    async def batch(pending: list[Mapping[str, Any]]) -> int:
        for attempt in range(rounds):
            if attempt:
                await pause(min(1.0, PAUSE_SECONDS * 2 ** (attempt - 1)))
            async with gate:
                answer = await client.batch_write_item(RequestItems={table: pending})
            pending = list((answer.get("UnprocessedItems") or {}).get(table, []))
            if not pending:
                return 0
        return len(pending)

    left = await together.at_once(
        batch(list(requests[start : start + BATCH])) for start in range(0, len(requests), BATCH)
    )
    return sum(left)
