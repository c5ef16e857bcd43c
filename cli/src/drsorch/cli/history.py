"""The history of requests: the monitor's `history#<YYYY-MM>` lines, read with Query.

The monitor writes one line per request (each time its summary changes) in the
partition of the month it received the request, sorted by that time. Reading it needs
`dynamodb:Query` on the monitor's table, the one read the operator already holds for
`status`: no Scan, no index, no other service's table. A request still in discovery or
matching has no line yet (the monitor has not seen its plan).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

RETENTION_MONTHS = 14
"""How far back to look: the monitor keeps a request's items for 400 days."""
STATUSES = ("RUNNING", "CANCELLING", "SUCCEEDED", "PARTIAL", "FAILED", "PLANNED", "REJECTED")


@dataclass(frozen=True)
class HistoryLine:
    """One request as `drsorch history` lists it."""

    request_id: str
    operation: str
    drill: bool
    plan_only: bool
    started: str
    ended: str | None
    status: str
    reason: str | None
    servers: int
    requested_by: str
    approved_by: tuple[str, ...]
    cancelled_by: str | None

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "approved_by": list(self.approved_by)}


def parse_line(body: str) -> HistoryLine | None:
    """A line from the item's body; None for one the monitor wrote in a shape unknown here."""
    try:
        data = json.loads(body)
        running = data["phase"] == "running"
        status = ("CANCELLING" if data.get("cancelled_by") else "RUNNING") if running else None
        return HistoryLine(
            request_id=str(data["request_id"]),
            operation=str(data["operation"]),
            drill=bool(data.get("drill")),
            plan_only=bool(data.get("plan_only")),
            started=str(data["received_at"]),
            ended=data.get("ended_at"),
            status=status or str(data.get("status") or "DONE"),
            reason=data.get("reason"),
            servers=int(data.get("servers", 0)),
            requested_by=str(data.get("requested_by", "?")),
            approved_by=tuple(str(a) for a in data.get("approved_by", ())),
            cancelled_by=data.get("cancelled_by"),
        )
    except (ValueError, KeyError, TypeError):
        return None


def months_back(now: datetime, count: int = RETENTION_MONTHS) -> list[str]:
    """The history partitions, newest first: `history#2026-12`, `history#2026-11`, ..."""
    year, month = now.astimezone(UTC).year, now.astimezone(UTC).month
    found = []
    for _ in range(count):
        found.append(f"history#{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found


class RequestHistory:
    """Reads the history newest first, one month's partition after another."""

    def __init__(self, dynamodb: DynamoDBClient, table_name: str) -> None:
        self.dynamodb = dynamodb
        self.table_name = table_name

    async def lines(self, now: datetime) -> AsyncIterator[HistoryLine]:
        for pk in months_back(now):
            start: dict[str, Any] | None = None
            while True:
                extra: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
                page = await self.dynamodb.query(
                    TableName=self.table_name,
                    KeyConditionExpression="pk = :pk",
                    ExpressionAttributeValues={":pk": {"S": pk}},
                    ScanIndexForward=False,
                    Limit=100,
                    **extra,
                )
                for item in page.get("Items", []):
                    line = parse_line(str(item.get("body", {}).get("S", "")))
                    if line is not None:
                        yield line
                start = page.get("LastEvaluatedKey")
                if not start:
                    break


async def recent(
    history: RequestHistory, now: datetime, *, limit: int, statuses: frozenset[str]
) -> list[HistoryLine]:
    """The newest `limit` requests, only those with one of `statuses` when given."""
    found: list[HistoryLine] = []
    async for line in history.lines(now):
        if statuses and line.status not in statuses:
            continue
        found.append(line)
        if len(found) >= limit:
            break
    return found
