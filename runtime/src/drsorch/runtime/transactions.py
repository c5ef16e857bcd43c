"""A DynamoDB transaction of conditional writes whose refused items are set aside.

DynamoDB cancels a whole transaction when one item's condition fails, and says why for
each item (`CancellationReasons`, in order). `write_unless_refused` writes every item
whose condition holds and returns, for each one refused, its reason (with the item
stored there, when the entry asked for `ReturnValuesOnConditionCheckFailure=ALL_OLD`):
discovery's claims (held by another request) and the configurator's keeps (kept
already) are answers, not errors. A cancellation for conflicting writes or throttling
alone is tried again shortly, a few times; any other reason is raised.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

ITEMS = 100  # TransactWriteItems' limit
ATTEMPTS = 5
PAUSE_SECONDS = 0.05
REFUSED = "ConditionalCheckFailed"
TRIED_AGAIN = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}


async def write_unless_refused(
    client: Any, items: Sequence[dict[str, Any]]
) -> list[dict[str, Any] | None]:
    """Write `items` (TransactWriteItems entries, at most `ITEMS`) all at once, but for
    those whose condition fails; for each item, None when written, else its reason."""
    refused: dict[int, dict[str, Any]] = {}
    pending = list(range(len(items)))
    pauses = 0
    while pending:
        try:
            await client.transact_write_items(TransactItems=[items[n] for n in pending])
        except ClientError as exc:
            reasons = [dict(r) for r in exc.response.get("CancellationReasons") or []]
            code = exc.response.get("Error", {}).get("Code")
            if code != "TransactionCanceledException" or len(reasons) != len(pending):
                raise
            if {str(r.get("Code")) for r in reasons} - {"None", REFUSED, *TRIED_AGAIN}:
                raise
            failed = {
                n: r for n, r in zip(pending, reasons, strict=True) if r.get("Code") == REFUSED
            }
            if not failed:  # conflicting writes or throttling alone: again, shortly
                pauses += 1
                if pauses >= ATTEMPTS:
                    raise
                await asyncio.sleep(PAUSE_SECONDS * 2**pauses * random.uniform(0.5, 1.0))
            refused.update(failed)
            pending = [n for n in pending if n not in failed]
            continue
        break
    return [refused.get(n) for n in range(len(items))]
