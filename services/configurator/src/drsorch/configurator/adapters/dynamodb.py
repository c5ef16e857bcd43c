"""The configurator's table: one partition per request.

    pk=request#<id>  sk=request                        RequestRecord, calls_<Op> counters
    pk=request#<id>  sk=pair#<server id>               a PairRecord
    pk=request#<id>  sk=previous#<acct>#<region>#<id>  PreviousSettings, written once
    pk=request#<id>  sk=tagged#<acct>#<region>#<id>    an instance the request tags AWSDRS=...
    pk=baseline      sk=<acct>#<region>#<server id>    PreviousSettings before a round trip
                                                       first changed it; the retire restores
                                                       it, then deletes it

Pairs expire after `ttl_days`; the request item (which names the accounts) and the
previous settings never do, so a request can be restored long after it ran.
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

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

CALLS_PREFIX = "calls_"
BATCH = 25  # BatchWriteItem's limit


def _key(request_id: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": f"request#{request_id}"}, "sk": {"S": sk}}


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
        for start in range(0, len(items), BATCH):
            await self._write(
                [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH]]
            )

    async def _write(self, requests: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self.table: requests}
        for _ in range(10):
            response = await self.client.batch_write_item(RequestItems=pending)
            pending = dict(response.get("UnprocessedItems") or {})
            if not pending:
                return
        raise RuntimeError(f"DynamoDB left {len(pending[self.table])} items unwritten")

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

    async def keep_previous(self, request_id: str, previous: PreviousSettings) -> PreviousSettings:
        sk = f"previous#{previous.account_id}#{previous.region}#{previous.launching_server_id}"
        try:
            await self.client.put_item(
                TableName=self.table,
                Item=self._item(request_id, sk, previous.model_dump_json(), expires=False),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if code_of(exc) != "ConditionalCheckFailedException":
                raise
            response = await self.client.get_item(
                TableName=self.table, Key=_key(request_id, sk), ConsistentRead=True
            )
            return PreviousSettings.model_validate_json(response["Item"]["body"]["S"])
        return previous

    async def previous(self, request_id: str) -> list[PreviousSettings]:
        bodies = await self._bodies(request_id, "previous#")
        return [PreviousSettings.model_validate_json(body) for body in bodies]

    async def keep_baseline(self, previous: PreviousSettings) -> None:
        item = {**_baseline_key(previous.place, previous.launching_server_id)}
        item["body"] = {"S": previous.model_dump_json()}
        try:
            await self.client.put_item(
                TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if code_of(exc) != "ConditionalCheckFailedException":
                raise

    async def baseline(self, place: Place, server_id: str) -> PreviousSettings | None:
        response = await self.client.get_item(
            TableName=self.table, Key=_baseline_key(place, server_id), ConsistentRead=True
        )
        item = response.get("Item")
        return PreviousSettings.model_validate_json(item["body"]["S"]) if item else None

    async def forget_baseline(self, place: Place, server_id: str) -> None:
        await self.client.delete_item(TableName=self.table, Key=_baseline_key(place, server_id))

    async def keep_tagged(self, request_id: str, place: Place, instance_id: str) -> None:
        sk = f"tagged#{place.account_id}#{place.region}#{instance_id}"
        text = json.dumps(
            {"account_id": place.account_id, "region": place.region, "id": instance_id}
        )
        await self.client.put_item(
            TableName=self.table, Item=self._item(request_id, sk, text, expires=False)
        )

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
