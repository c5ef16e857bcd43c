"""The matcher's table in DynamoDB (string keys `pk`, `sk`; TTL on `expires_at`).

| pk                                   | sk                  | what                         |
|--------------------------------------|---------------------|------------------------------|
| `plan#<request>`                     | `summary`           | plan hash, mode, flags       |
| `plan#<request>`                     | `server#<id>`       | one per server: the decision |
| `failover#server#<account>#<server>` | `latest`            | a pair a failover applied    |
| `failover#target#<instance>`         | `latest`            | the same pair, by target     |

Plans expire after `plan_ttl`; failover pairs are kept until a later failover of
the same server or into the same instance replaces them, since a failback may come
months later. Writes are batched (25 items), reads too (100 keys), and whatever
DynamoDB leaves unprocessed is retried a few times before `StoreError`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from drsorch.matcher.errors import StoreError
from drsorch.matcher.ports import PlanSummary, SavedPlan
from drsorch.matcher.records import FailoverPair, Plan
from drsorch.runtime.batch_writes import write_all

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

READ_BATCH = 100
ATTEMPTS = 5
Item = dict[str, Any]


def _s(value: str | None) -> dict[str, str] | dict[str, bool]:
    return {"S": value} if value is not None else {"NULL": True}


class DynamoPlanRepository:
    """`PlanRepository` over one DynamoDB table."""

    def __init__(
        self, client: DynamoDBClient, table: str, *, plan_ttl: timedelta = timedelta(days=90)
    ) -> None:
        self.client = client
        self.table = table
        self.plan_ttl = plan_ttl

    async def save_plan(self, summary: PlanSummary, plan: Plan) -> None:
        expires = {"N": str(int(time.time() + self.plan_ttl.total_seconds()))}
        head, *rows = _plan_items(summary, plan, expires)
        # The summary last: a plan is there only once every row of it is.
        await self._write(rows)
        await self._write([head])

    async def plan(self, request_id: str, servers: Sequence[str] | None = None) -> SavedPlan | None:
        items = (
            await self._plan_items(request_id)
            if servers is None
            else await self._plan_rows(request_id, ["summary", *(f"server#{s}" for s in servers)])
        )
        return _saved_plan(request_id, items)

    async def _plan_rows(self, request_id: str, sort_keys: Sequence[str]) -> list[Item]:
        """Chosen rows of one plan, by key, in batches: a job's hundred servers are read,
        not the whole plan of a request of thousands."""
        pk = f"plan#{request_id}"
        rows = sorted(set(sort_keys))
        items: list[Item] = []
        for start in range(0, len(rows), READ_BATCH):
            keys = [{"pk": pk, "sk": sk} for sk in rows[start : start + READ_BATCH]]
            items.extend(await self._read_keys(keys))
        return items

    async def _plan_items(self, request_id: str) -> list[Item]:
        items: list[Item] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"plan#{request_id}"}},
            "ConsistentRead": True,
        }
        while True:
            page = await self.client.query(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return items

    async def save_failover_pairs(self, pairs: Sequence[FailoverPair]) -> None:
        items: list[Item] = []
        for pair in pairs:
            body = {
                "sk": {"S": "latest"},
                "source_server_id": {"S": pair.source_server_id},
                "account_id": {"S": pair.account_id},
                "target_instance_id": {"S": pair.target_instance_id},
                "origin_instance_id": _s(pair.origin_instance_id),
                "request_id": {"S": pair.request_id},
            }
            items.append({"pk": {"S": _server_key(pair.account_id, pair.source_server_id)}, **body})
            items.append({"pk": {"S": _target_key(pair.target_instance_id)}, **body})
        await self._write(items)

    async def failover_pairs(
        self, servers: Sequence[tuple[str, str]], instance_ids: Sequence[str]
    ) -> list[FailoverPair]:
        keys = [_server_key(a, s) for a, s in servers] + [_target_key(i) for i in instance_ids]
        found: dict[tuple[str, str], FailoverPair] = {}
        for start in range(0, len(keys), READ_BATCH):
            batch = sorted(set(keys[start : start + READ_BATCH]))
            for item in await self._read_keys([{"pk": k, "sk": "latest"} for k in batch]):
                pair = _pair(item)
                found[(pair.account_id, pair.source_server_id + pair.target_instance_id)] = pair
        return list(found.values())

    async def _write(self, items: list[Item]) -> None:
        # One batch may not hold two writes of one key: the last of each key wins.
        unique = {(i["pk"]["S"], i["sk"]["S"]): i for i in items}
        left = await write_all(
            self.client, self.table, [{"PutRequest": {"Item": i}} for i in unique.values()]
        )
        if left:
            raise StoreError(f"{self.table}: {left} writes left unprocessed")

    async def _read_keys(self, keys: list[dict[str, str]]) -> list[Item]:
        """The items of at most 100 (pk, sk) keys that exist, read consistently."""
        wanted: dict[str, Any] = {
            self.table: {
                "Keys": [{"pk": {"S": k["pk"]}, "sk": {"S": k["sk"]}} for k in keys],
                "ConsistentRead": True,
            }
        }
        items: list[Item] = []
        for attempt in range(ATTEMPTS):
            if not keys:
                return items
            answer = await self.client.batch_get_item(RequestItems=wanted)
            items.extend(answer.get("Responses", {}).get(self.table, []))
            wanted = dict(answer.get("UnprocessedKeys", {}))
            if not wanted:
                return items
            await asyncio.sleep(0.05 * 2**attempt)
        raise StoreError(f"{self.table}: reads left unprocessed")


def _saved_plan(request_id: str, items: list[Item]) -> SavedPlan | None:
    head = next((i for i in items if i["sk"]["S"] == "summary"), None)
    if head is None:
        return None
    decisions = {
        i["sk"]["S"].removeprefix("server#"): (
            i["decision"]["S"],
            i.get("target_instance_id", {}).get("S"),
        )
        for i in items
        if i["sk"]["S"].startswith("server#")
    }
    origins = {
        i["sk"]["S"].removeprefix("server#"): (
            i["account_id"]["S"],
            i.get("origin_instance_id", {}).get("S"),
        )
        for i in items
        if i["sk"]["S"].startswith("server#") and i["decision"]["S"] == "pair"
    }
    return SavedPlan(_summary(request_id, head), decisions, origins)


def _server_key(account_id: str, source_server_id: str) -> str:
    return f"failover#server#{account_id}#{source_server_id}"


def _target_key(instance_id: str) -> str:
    return f"failover#target#{instance_id}"


def _pair(item: Item) -> FailoverPair:
    origin = item.get("origin_instance_id", {}).get("S")
    return FailoverPair(
        source_server_id=item["source_server_id"]["S"],
        account_id=item["account_id"]["S"],
        target_instance_id=item["target_instance_id"]["S"],
        origin_instance_id=origin,
        request_id=item["request_id"]["S"],
    )


def _plan_items(summary: PlanSummary, plan: Plan, expires: Item) -> list[Item]:
    pk = {"S": f"plan#{summary.request_id}"}
    head: Item = {
        "pk": pk,
        "sk": {"S": "summary"},
        "plan_hash": {"S": summary.plan_hash},
        "approved_plan_hash": _s(summary.approved_plan_hash),
        "operation": {"S": summary.operation},
        "launch_into": {"S": summary.launch_into},
        "plan_only": {"BOOL": summary.plan_only},
        "drill": {"BOOL": summary.drill},
        "counts": {"M": {k: {"N": str(v)} for k, v in _counts(plan).items()}},
        "expires_at": expires,
    }
    rows: list[Item] = [
        {
            "decision": {"S": "pair"},
            "server": p.server,
            "target_instance_id": _s(p.target.instance_id if p.target else None),
            "origin_instance_id": _s(p.server.origin_instance_id),
            "method": _s(p.method),
            "evidence": {"L": [{"S": e} for e in p.evidence]},
        }
        for p in plan.pairs
    ]
    rows.extend(
        {"decision": {"S": "unmatched"}, "server": u.server, "reason": {"S": u.reason}}
        for u in plan.unmatched
    )
    rows.extend(
        {"decision": {"S": "ambiguous"}, "server": a.server, "reason": {"S": a.reason}}
        for a in plan.ambiguous
    )
    return [head, *(_server_row(pk, row, expires) for row in rows)]


def _server_row(pk: Item, row: Item, expires: Item) -> Item:
    server = row.pop("server")
    return {
        "pk": pk,
        "sk": {"S": f"server#{server.source_server_id}"},
        "account_id": {"S": server.account_id},
        "expires_at": expires,
        **row,
    }


def _summary(request_id: str, item: Item) -> PlanSummary:
    return PlanSummary(
        request_id=request_id,
        operation=item["operation"]["S"],
        plan_hash=item["plan_hash"]["S"],
        approved_plan_hash=item.get("approved_plan_hash", {}).get("S"),
        launch_into=item["launch_into"]["S"],
        plan_only=item["plan_only"]["BOOL"],
        drill=item["drill"]["BOOL"],
    )


def _counts(plan: Plan) -> dict[str, int]:
    return {
        "pairs": len(plan.pairs),
        "unmatched": len(plan.unmatched),
        "ambiguous": len(plan.ambiguous),
        "suggestions": len(plan.suggestions),
    }
