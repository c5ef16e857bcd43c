"""The idempotent inbox: a conditional write keyed on event_id in the service's own table.

A record is IN_PROGRESS while a consumer holds its lease and COMPLETED once the
handler's outbox was sent. A redelivered event finds COMPLETED and is dropped; a
consumer that died mid-way leaves a lease that expires, and the event runs again
(`RECLAIMED`: the processor then knows a consumer died holding it)
(its outgoing event IDs are deterministic, so downstream inboxes absorb the repeat).

The same table keeps which request event took each request ID (`claim_request`): a
second request under a taken ID is parked, never run as if it were the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from drsorch.runtime.ports import InboxState

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"
SORT_KEY = "inbox"


def _key(event_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"inbox#{event_id}"}, "sk": {"S": SORT_KEY}}


def _request_key(request_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"request#{request_id}"}, "sk": {"S": SORT_KEY}}


class DynamoInbox:
    """The inbox in a DynamoDB table with string keys `pk`, `sk` and TTL on `expires_at`."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        *,
        lease: timedelta = timedelta(minutes=5),
        retention: timedelta = timedelta(days=14),
    ) -> None:
        self.client = client
        self.table = table
        self.lease = lease
        self.retention = retention

    async def begin(self, event_id: str, now: datetime) -> InboxState:
        stamp = int(now.timestamp())
        try:
            answer = await self.client.put_item(
                TableName=self.table,
                Item={
                    **_key(event_id),
                    "status": {"S": IN_PROGRESS},
                    "lease_until": {"N": str(stamp + int(self.lease.total_seconds()))},
                    "expires_at": {"N": str(stamp + int(self.retention.total_seconds()))},
                },
                ConditionExpression=(
                    "attribute_not_exists(pk) OR (#status = :in_progress AND lease_until < :now)"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":in_progress": {"S": IN_PROGRESS},
                    ":now": {"N": str(stamp)},
                },
                ReturnValues="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return await self._existing(event_id)
        return InboxState.RECLAIMED if answer.get("Attributes") else InboxState.NEW

    async def _existing(self, event_id: str) -> InboxState:
        item = await self.client.get_item(
            TableName=self.table, Key=_key(event_id), ConsistentRead=True
        )
        status = item.get("Item", {}).get("status", {}).get("S")
        return InboxState.DONE if status == COMPLETED else InboxState.BUSY

    async def complete(self, event_id: str, now: datetime) -> None:
        await self.client.update_item(
            TableName=self.table,
            Key=_key(event_id),
            UpdateExpression="SET #status = :completed, completed_at = :now",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":completed": {"S": COMPLETED},
                ":now": {"S": now.isoformat()},
            },
        )

    async def claim_request(self, request_id: str, event_id: str, now: datetime) -> str:
        stamp = int(now.timestamp())
        try:
            await self.client.put_item(
                TableName=self.table,
                Item={
                    **_request_key(request_id),
                    "event_id": {"S": event_id},
                    "expires_at": {"N": str(stamp + int(self.retention.total_seconds()))},
                },
                ConditionExpression="attribute_not_exists(pk) OR event_id = :event",
                ExpressionAttributeValues={":event": {"S": event_id}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            item = await self.client.get_item(
                TableName=self.table, Key=_request_key(request_id), ConsistentRead=True
            )
            return str(item.get("Item", {}).get("event_id", {}).get("S", ""))
        return event_id

    async def release(self, event_id: str) -> None:
        try:
            await self.client.delete_item(
                TableName=self.table,
                Key=_key(event_id),
                ConditionExpression="#status = :in_progress",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":in_progress": {"S": IN_PROGRESS}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise


@dataclass
class MemoryInbox:
    """The same rules in a dict: for unit tests and single-process tools."""

    lease: timedelta = timedelta(minutes=5)
    records: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    requests: dict[str, str] = field(default_factory=dict)

    async def claim_request(self, request_id: str, event_id: str, now: datetime) -> str:
        return self.requests.setdefault(request_id, event_id)

    async def begin(self, event_id: str, now: datetime) -> InboxState:
        record = self.records.get(event_id)
        if record is not None:
            status, lease_until = record
            if status == COMPLETED:
                return InboxState.DONE
            if lease_until >= now:
                return InboxState.BUSY
        self.records[event_id] = (IN_PROGRESS, now + self.lease)
        return InboxState.NEW if record is None else InboxState.RECLAIMED

    async def complete(self, event_id: str, now: datetime) -> None:
        self.records[event_id] = (COMPLETED, now)

    async def release(self, event_id: str) -> None:
        if self.records.get(event_id, (COMPLETED,))[0] == IN_PROGRESS:
            del self.records[event_id]
