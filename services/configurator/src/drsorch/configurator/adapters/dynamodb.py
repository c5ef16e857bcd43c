"""The configurator's table: one partition per request.

    pk=request#<id>  sk=request                        RequestRecord, calls_<Op> counters
    pk=request#<id>  sk=pair#<server id>               a PairRecord
    pk=request#<id>  sk=previous#<acct>#<region>#<id>  PreviousSettings, written once
    pk=request#<id>  sk=tagged#<acct>#<region>#<id>    an instance the request tags AWSDRS=...
    pk=baseline      sk=<acct>#<region>#<server id>    PreviousSettings before a round trip
                                                       first changed it; the retire restores
                                                       it, then deletes it

Pairs expire after `ttl_days`; the request item (which names the accounts) and the
previous settings never do, so a request can be restored long after it ran. Previous
settings and baselines are written for a whole step at once, in transactions of
conditional puts (`_put_absent`): a few calls for hundreds of servers.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from drsorch.configurator.adapters.errors import code_of
from drsorch.configurator.records import PairRecord, PreviousSettings, RequestRecord
from drsorch.contracts.types import Place
from drsorch.runtime.batch_writes import write_all
from drsorch.runtime.transactions import ITEMS, write_unless_refused

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

CALLS_PREFIX = "calls_"
TRANSACTION = ITEMS
TRANSACTION_ATTEMPTS = 5


def _key(request_id: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": f"request#{request_id}"}, "sk": {"S": sk}}


def _key_of(item: dict[str, Any]) -> tuple[str, str]:
    return str(item["pk"]["S"]), str(item["sk"]["S"])


def _previous_sk(previous: PreviousSettings) -> str:
    return f"previous#{previous.account_id}#{previous.region}#{previous.launching_server_id}"


def _baseline_key(place: Place, server_id: str) -> dict[str, Any]:
    return {"pk": {"S": "baseline"}, "sk": {"S": f"{place.account_id}#{place.region}#{server_id}"}}


class DynamoStore:
    """`Store` over DynamoDB."""

    def __init__(self, client: DynamoDBClient, table: str, *, ttl_days: int = 90) -> None:
        self.client = client
        self.table = table
        self.ttl_seconds = ttl_days * 86_400

    def _item(self, request_id: str, sk: str, body: str, *, expires: bool = True) -> dict[str, Any]:
        item = {**_key(request_id, sk), "body": {"S": body}}
        if expires:
            item["expires_at"] = {"N": str(int(time.time()) + self.ttl_seconds)}
        return item

    async def request(self, request_id: str) -> RequestRecord | None:
        response = await self.client.get_item(
            TableName=self.table, Key=_key(request_id, "request"), ConsistentRead=True
        )
        item = response.get("Item")
        if item is None:
            return None
        calls = {
            name.removeprefix(CALLS_PREFIX): int(value["N"])
            for name, value in item.items()
            if name.startswith(CALLS_PREFIX)
        }
        record = RequestRecord.model_validate_json(item["body"]["S"])
        return record.model_copy(update={"calls": calls})

    async def start_request(
        self, request_id: str, request: RequestRecord, pairs: Sequence[PairRecord]
    ) -> None:
        # Pairs first: no pair makes progress before the request item exists, so a
        # crash in between leaves nothing that a second start would overwrite.
        await self.save_pairs(request_id, pairs)
        try:
            await self.client.put_item(
                TableName=self.table,
                Item=self._item(request_id, "request", request.model_dump_json(), expires=False),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if code_of(exc) != "ConditionalCheckFailedException":
                raise

    async def pairs(self, request_id: str) -> list[PairRecord]:
        return [PairRecord.model_validate_json(b) for b in await self._bodies(request_id, "pair#")]

    async def save_pairs(self, request_id: str, pairs: Sequence[PairRecord]) -> None:
        items = [
            self._item(request_id, f"pair#{record.server_id}", record.model_dump_json())
            for record in pairs
        ]
        await self._write([{"PutRequest": {"Item": item}} for item in items])

    async def _write(self, requests: Sequence[dict[str, Any]]) -> None:
        left = await write_all(self.client, self.table, requests)
        if left:
            raise RuntimeError(f"DynamoDB left {left} items unwritten")

    async def add_calls(self, request_id: str, calls: Counter[str]) -> None:
        counted = {op: n for op, n in calls.items() if n > 0}
        if not counted:
            return
        names = {f"#c{i}": f"{CALLS_PREFIX}{op}" for i, op in enumerate(counted)}
        values = {f":n{i}": {"N": str(n)} for i, n in enumerate(counted.values())}
        expression = "ADD " + ", ".join(f"#c{i} :n{i}" for i in range(len(counted)))
        await self.client.update_item(
            TableName=self.table,
            Key=_key(request_id, "request"),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    async def keep_previous(
        self, request_id: str, previous: Sequence[PreviousSettings]
    ) -> list[PreviousSettings]:
        items = [
            self._item(request_id, _previous_sk(each), each.model_dump_json(), expires=False)
            for each in previous
        ]
        found = await self._put_absent(items)
        return [
            each if stored is None else PreviousSettings.model_validate_json(stored["body"]["S"])
            for each, stored in zip(previous, found, strict=True)
        ]

    async def previous(self, request_id: str) -> list[PreviousSettings]:
        bodies = await self._bodies(request_id, "previous#")
        return [PreviousSettings.model_validate_json(body) for body in bodies]

    async def keep_baselines(self, previous: Sequence[PreviousSettings]) -> None:
        await self._put_absent(
            [
                {
                    **_baseline_key(each.place, each.launching_server_id),
                    "body": {"S": each.model_dump_json()},
                }
                for each in previous
            ]
        )

    async def baseline(self, place: Place, server_id: str) -> PreviousSettings | None:
        response = await self.client.get_item(
            TableName=self.table, Key=_baseline_key(place, server_id), ConsistentRead=True
        )
        item = response.get("Item")
        return PreviousSettings.model_validate_json(item["body"]["S"]) if item else None

    async def forget_baseline(self, place: Place, server_id: str) -> None:
        await self.client.delete_item(TableName=self.table, Key=_baseline_key(place, server_id))

    async def keep_tagged(self, request_id: str, instances: Sequence[tuple[Place, str]]) -> None:
        items = {
            f"tagged#{place.account_id}#{place.region}#{instance_id}": json.dumps(
                {"account_id": place.account_id, "region": place.region, "id": instance_id}
            )
            for place, instance_id in instances
        }
        requests = [
            {"PutRequest": {"Item": self._item(request_id, sk, text, expires=False)}}
            for sk, text in items.items()
        ]
        await self._write(requests)

    async def _put_absent(self, items: Sequence[dict[str, Any]]) -> list[dict[str, Any] | None]:
        """Write each item whose key the table does not hold yet; for each, the item found
        stored instead (None: written). A key given twice is written once, the first wins."""
        keys = [_key_of(item) for item in items]
        first: dict[tuple[str, str], int] = {}
        for n, key in enumerate(keys):
            first.setdefault(key, n)
        unique = [items[n] for n in first.values()]
        stored: dict[tuple[str, str], dict[str, Any] | None] = {}
        for start in range(0, len(unique), TRANSACTION):
            stored.update(await self._put_absent_at_once(unique[start : start + TRANSACTION]))
        # A second of a key finds what the first left: the first's own item when written.
        return [
            stored[key] if n == first[key] else stored[key] or items[first[key]]
            for n, key in enumerate(keys)
        ]

    async def _put_absent_at_once(
        self, items: Sequence[dict[str, Any]]
    ) -> dict[tuple[str, str], dict[str, Any] | None]:
        """One transaction of conditional puts; the ones whose key exists are taken out
        (their stored item kept) and the rest written, all or none each time."""
        stored: dict[tuple[str, str], dict[str, Any] | None] = {}
        pending = list(items)
        for _ in range(TRANSACTION_ATTEMPTS):
            puts = [
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(pk)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
                for item in pending
            ]
            again = []
            for item, refused in zip(
                pending, await write_unless_refused(self.client, puts), strict=True
            ):
                if refused is None:
                    stored[_key_of(item)] = None
                    continue
                found = dict(refused.get("Item") or {}) or await self._stored(item)
                if found:
                    stored[_key_of(item)] = found
                else:
                    again.append(item)  # forgotten since (a baseline): written again
            if not again:
                return stored
            pending = again
        raise RuntimeError(f"DynamoDB cancelled a write of {len(pending)} items every time")

    async def _stored(self, item: dict[str, Any]) -> dict[str, Any]:
        """The stored item of the key `item` has (asked when a cancellation did not say)."""
        key = {"pk": item["pk"], "sk": item["sk"]}
        response = await self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        return dict(response.get("Item") or {})

    async def tagged(self, request_id: str) -> list[tuple[Place, str]]:
        found = []
        for body in await self._bodies(request_id, "tagged#"):
            data = json.loads(body)
            found.append((Place(data["account_id"], data["region"]), str(data["id"])))
        return found

    async def _bodies(self, request_id: str, prefix: str) -> list[str]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": f"request#{request_id}"},
                ":prefix": {"S": prefix},
            },
            "ConsistentRead": True,
        }
        bodies: list[str] = []
        while True:
            page = await self.client.query(**kwargs)
            bodies.extend(item["body"]["S"] for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return bodies
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
