"""The monitor's table (see the package docstring for its layout), over aiobotocore."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from drsorch.contracts import ConfigurationResult, RecoveryPoint, RequestCompleted
from drsorch.monitor.adapters.items import Layout, parse_state
from drsorch.monitor.cache import fresh_version
from drsorch.monitor.domain.records import BatchRecord, RequestState, ServerRecord, Summary
from drsorch.monitor.errors import AwsFailure
from drsorch.monitor.ports import Armed, Emission, Head
from drsorch.runtime.batch_writes import write_all

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

Item = dict[str, Any]
_UNPROCESSED_ROUNDS = 8
ARMED_PK = "armed"
"""The partition of every running request's next tick (`sk` = request ID), for the sweep."""


def _conflict(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class DynamoStore:
    """Requests, servers, batches, results, leases and owed events in one table."""

    def __init__(self, client: DynamoDBClient, table: str, *, retention_days: int = 400) -> None:
        self.client = client
        self.table = table
        self.retention_seconds = retention_days * 86_400

    def _layout(self, request_id: str) -> Layout:
        return Layout(request_id, int(time.time()) + self.retention_seconds)

    async def acquire(self, request_id: str, holder: str, now: datetime, until: datetime) -> bool:
        item = self._layout(request_id).lease(holder, until)
        try:
            await self.client.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression=(
                    "attribute_not_exists(pk) OR lease_until < :now OR holder = :me"
                ),
                ExpressionAttributeValues={
                    ":now": {"N": str(now.timestamp())},
                    ":me": {"S": holder},
                },
            )
        except ClientError as exc:
            if _conflict(exc):
                return False
            raise
        return True

    async def release(self, request_id: str, holder: str) -> None:
        try:
            await self.client.delete_item(
                TableName=self.table,
                Key=self._layout(request_id).key("lease"),
                ConditionExpression="holder = :me",
                ExpressionAttributeValues={":me": {"S": holder}},
            )
        except ClientError as exc:
            if not _conflict(exc):
                raise

    async def summary(self, request_id: str) -> Summary | None:
        head = await self.head(request_id)
        return head.summary if head else None

    async def head(self, request_id: str) -> Head | None:
        found = await self.client.get_item(
            TableName=self.table,
            Key=self._layout(request_id).key("summary"),
            ConsistentRead=True,
        )
        item = found.get("Item")
        if not item:
            return None
        version = item.get("version", {}).get("S")
        return Head(Summary.model_validate_json(item["body"]["S"]), version)

    async def claim(self, request_id: str, seen: str | None, version: str) -> bool:
        condition = "attribute_exists(pk) AND " + (
            "version = :seen" if seen is not None else "attribute_not_exists(version)"
        )
        values = {":v": {"S": version}, **({":seen": {"S": seen}} if seen is not None else {})}
        try:
            await self.client.update_item(
                TableName=self.table,
                Key=self._layout(request_id).key("summary"),
                UpdateExpression="SET version = :v",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if _conflict(exc):
                return False
            raise
        return True

    async def _move_version(self, request_id: str) -> None:
        """Records changed outside the lease: no worker's kept state is current any more."""
        try:
            await self.client.update_item(
                TableName=self.table,
                Key=self._layout(request_id).key("summary"),
                UpdateExpression="SET version = :v",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":v": {"S": fresh_version()}},
            )
        except ClientError as exc:
            if not _conflict(exc):  # no summary yet: no worker keeps anything of it
                raise

    async def load(self, request_id: str) -> RequestState | None:
        return parse_state(await self._query(request_id, ""))

    async def create(self, state: RequestState) -> None:
        layout = self._layout(state.summary.request_id)
        servers, batches = state.take_dirty()
        items = [layout.server(s) for s in servers] + [layout.extras(e) for e in state.extras]
        await self._put_all(items + [layout.batch(b) for b in batches])

    async def save(
        self,
        request_id: str,
        servers: Sequence[ServerRecord],
        batches: Sequence[BatchRecord],
        summary: Summary | None = None,
        version: str | None = None,
    ) -> bool:
        layout = self._layout(request_id)
        await self._put_all(
            [layout.server(s) for s in servers] + [layout.batch(b) for b in batches]
        )
        if summary is None:
            return False
        kept = version is not None and await self._put_at(layout, summary, version)
        if not kept:
            await self.client.put_item(
                TableName=self.table, Item=layout.summary(summary, fresh_version())
            )
        await self.client.put_item(TableName=self.table, Item=layout.history(summary))
        return kept

    async def _put_at(self, layout: Layout, summary: Summary, version: str) -> bool:
        """Write the summary at `version` if the stored version is still `version`."""
        try:
            await self.client.put_item(
                TableName=self.table,
                Item=layout.summary(summary, version),
                ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": {"S": version}},
            )
        except ClientError as exc:
            if _conflict(exc):
                return False
            raise
        return True

    async def record_intent(self, request_id: str, batch: BatchRecord) -> bool:
        try:
            await self.client.put_item(
                TableName=self.table,
                Item=self._layout(request_id).batch(batch),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if _conflict(exc):
                return False
            raise
        return True

    async def add_results(
        self,
        request_id: str,
        event_id: str,
        results: Sequence[ConfigurationResult],
        api_calls: Mapping[str, int],
        plan_hash: str | None = None,
        *,
        seen: str | None = None,
    ) -> str | None:
        layout = self._layout(request_id)
        # The plan hash first: a run that sees these results checks their approval.
        await self._put_all([layout.calls(event_id, api_calls, plan_hash)])
        await self._put_all([layout.result(result) for result in results])
        version = fresh_version()
        if seen is not None and await self.claim(request_id, seen, version):
            return version
        await self._move_version(request_id)
        return None

    async def add_emission(self, request_id: str, emission: Emission) -> None:
        try:
            await self.client.put_item(
                TableName=self.table,
                Item=self._layout(request_id).emission(emission, time.time_ns()),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if not _conflict(exc):
                raise

    async def emissions(self, request_id: str) -> list[Emission]:
        items = await self._query(request_id, "emit#")
        items.sort(key=lambda item: int(item["order"]["N"]))
        return [
            Emission(
                item["sk"]["S"].removeprefix("emit#"), int(item["seq"]["N"]), item["body"]["S"]
            )
            for item in items
        ]

    async def clear_emissions(self, request_id: str, keys: Sequence[str]) -> None:
        layout = self._layout(request_id)
        requests = [{"DeleteRequest": {"Key": layout.key(f"emit#{key}")}} for key in keys]
        await self._write_all(requests)

    async def keep_drill(self, request_id: str, point: RecoveryPoint) -> None:
        await self._put_all([self._layout(request_id).drill(point)])
        await self._move_version(request_id)

    async def keep_report(self, request_id: str, chunks: Sequence[RequestCompleted]) -> None:
        layout = self._layout(request_id)
        await self._put_all([layout.report(chunk) for chunk in chunks])

    async def mark_cancel(self, request_id: str, who: str, at: datetime) -> None:
        try:
            await self.client.put_item(
                TableName=self.table,
                Item=self._layout(request_id).cancel(who, at),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if not _conflict(exc):
                raise

    async def cancel_mark(self, request_id: str) -> tuple[str, datetime] | None:
        found = await self.client.get_item(
            TableName=self.table, Key=self._layout(request_id).key("cancel"), ConsistentRead=True
        )
        item = found.get("Item")
        if not item:
            return None
        return item["cancelled_by"]["S"], datetime.fromisoformat(item["cancelled_at"]["S"])

    async def arm(self, request_id: str, seq: int, due_at: datetime) -> None:
        await self.client.put_item(
            TableName=self.table,
            Item={
                "pk": {"S": ARMED_PK},
                "sk": {"S": request_id},
                "seq": {"N": str(seq)},
                "due_at": {"N": str(due_at.timestamp())},
                "expires_at": {"N": str(int(time.time()) + self.retention_seconds)},
            },
        )

    async def disarm(self, request_id: str) -> None:
        await self.client.delete_item(
            TableName=self.table, Key={"pk": {"S": ARMED_PK}, "sk": {"S": request_id}}
        )

    async def overdue(self, before: datetime) -> list[Armed]:
        # One partition holds every running request's note: a Query, never a table scan.
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "FilterExpression": "due_at < :before",
            "ExpressionAttributeValues": {
                ":pk": {"S": ARMED_PK},
                ":before": {"N": str(before.timestamp())},
            },
            "ConsistentRead": True,
        }
        found: list[Armed] = []
        while True:
            page = await self.client.query(**kwargs)
            found.extend(
                Armed(
                    item["sk"]["S"],
                    int(item["seq"]["N"]),
                    datetime.fromtimestamp(float(item["due_at"]["N"]), UTC),
                )
                for item in page.get("Items", [])
            )
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    async def _query(self, request_id: str, prefix: str) -> list[Item]:
        layout = self._layout(request_id)
        values = {":pk": {"S": layout.pk}}
        condition = "pk = :pk"
        if prefix:  # DynamoDB refuses an empty key value, even in begins_with
            values[":prefix"] = {"S": prefix}
            condition += " AND begins_with(sk, :prefix)"
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ConsistentRead": True,
        }
        items: list[Item] = []
        while True:
            page = await self.client.query(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    async def _put_all(self, items: Sequence[Item]) -> None:
        await self._write_all([{"PutRequest": {"Item": item}} for item in items])

    async def _write_all(self, requests: Sequence[Item]) -> None:
        left = await write_all(self.client, self.table, requests, rounds=_UNPROCESSED_ROUNDS)
        if left:
            raise AwsFailure(f"DynamoDB left {left} writes to {self.table} unprocessed")
