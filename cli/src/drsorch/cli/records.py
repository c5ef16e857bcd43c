"""The record of requests: the monitor's table, read (never written) by `status` and `report`.

Layout (the monitor's package docstring is the reference): every item of a request
under `pk = request#<request_id>`; `summary` (top-level `phase`, `status`, `reason`,
`operation`, `drill`, `plan_hash`, `wave`; the spec, `trace_id` and `cancelled_by` in
`body`), `server#<id>` (`phase`, `wave`, `outcome`), `batch#<wave>-<index>` (`status`,
`job_id`, the batch in `body`), and `report#<chunk>` (a `RequestCompleted` payload) once
the request ended. Only these fields are read, so the monitor may add others freely.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from drsorch.contracts import RequestCompleted, RequestSpec

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

Item = dict[str, Any]


@dataclass(frozen=True)
class BatchView:
    """One batch of a request, as `status` shows it."""

    key: str
    wave: int
    status: str
    job_id: str | None
    servers: int
    account_id: str


@dataclass
class RequestRecord:
    """What the monitor's table says about one request."""

    request_id: str
    phase: str
    operation: str
    drill: bool
    status: str | None = None
    reason: str | None = None
    plan_hash: str | None = None
    wave: int | None = None
    spec: RequestSpec | None = None
    trace_id: str | None = None
    """The request's one trace (a cancel continues it)."""
    cancelled_by: str | None = None
    cancelled_at: str | None = None
    servers_by_phase: Counter[str] = field(default_factory=Counter)
    servers_by_outcome: Counter[str] = field(default_factory=Counter)
    batches: list[BatchView] = field(default_factory=list)
    report: list[RequestCompleted] = field(default_factory=list)

    @property
    def done(self) -> bool:
        """Ended, with its report kept."""
        return bool(self.report) and len(self.report) == self.report[0].chunk.count


def _text(item: Item, name: str) -> str | None:
    value = item.get(name, {})
    return str(value["S"]) if "S" in value else None


def _body(item: Item) -> dict[str, Any]:
    try:
        body = json.loads(item.get("body", {}).get("S", "{}"))
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _spec(body: dict[str, Any]) -> RequestSpec | None:
    try:
        return RequestSpec.model_validate_json(json.dumps(body["spec"]))
    except (KeyError, ValidationError):
        return None


def _optional(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    return str(value) if isinstance(value, str) else None


def _batch(item: Item) -> BatchView:
    body = _body(item)
    return BatchView(
        key=item["sk"]["S"].removeprefix("batch#"),
        wave=int(body.get("wave", 0)),
        status=_text(item, "status") or "?",
        job_id=_text(item, "job_id"),
        servers=len(body.get("members", [])),
        account_id=str(body.get("account_id", "?")),
    )


def parse_record(request_id: str, items: list[Item]) -> RequestRecord | None:
    """The request's record from its items; None when the monitor has no summary of it."""
    summary = next((i for i in items if i["sk"]["S"] == "summary"), None)
    if summary is None:
        return None
    record = RequestRecord(
        request_id=request_id,
        phase=_text(summary, "phase") or "?",
        operation=_text(summary, "operation") or "?",
        drill=bool(summary.get("drill", {}).get("BOOL", False)),
        status=_text(summary, "status"),
        reason=_text(summary, "reason"),
        plan_hash=_text(summary, "plan_hash"),
        wave=int(summary["wave"]["N"]) if "wave" in summary else None,
        spec=_spec(_body(summary)),
        trace_id=_optional(_body(summary), "trace_id"),
        cancelled_by=_optional(_body(summary), "cancelled_by"),
        cancelled_at=_optional(_body(summary), "cancelled_at"),
    )
    for item in sorted(items, key=lambda i: str(i["sk"]["S"])):
        kind = item["sk"]["S"].split("#", 1)[0]
        if kind == "server":
            record.servers_by_phase[_text(item, "phase") or "?"] += 1
            if outcome := _text(item, "outcome"):
                record.servers_by_outcome[outcome] += 1
        elif kind == "batch":
            record.batches.append(_batch(item))
        elif kind == "report":
            record.report.append(RequestCompleted.model_validate_json(item["body"]["S"]))
    return record


class MonitorRecords:
    """Reads one request's items from the monitor's table (Query, all pages)."""

    def __init__(self, dynamodb: DynamoDBClient, table_name: str) -> None:
        self.dynamodb = dynamodb
        self.table_name = table_name

    async def request(self, request_id: str) -> RequestRecord | None:
        items: list[Item] = []
        start: dict[str, Any] | None = None
        while True:
            extra: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
            page = await self.dynamodb.query(
                TableName=self.table_name,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"request#{request_id}"}},
                ConsistentRead=True,
                **extra,
            )
            items.extend(dict(i) for i in page.get("Items", []))
            start = page.get("LastEvaluatedKey")
            if not start:
                return parse_record(request_id, items)

    async def trace_id(self, request_id: str) -> str | None:
        """The request's trace ID, from its summary alone (one small Query)."""
        if not request_id:
            return None
        page = await self.dynamodb.query(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk AND sk = :sk",
            ExpressionAttributeValues={
                ":pk": {"S": f"request#{request_id}"},
                ":sk": {"S": "summary"},
            },
        )
        items = page.get("Items", [])
        return _optional(_body(dict(items[0])), "trace_id") if items else None
