"""The slot ledger in the configurator's table: one item per account and region.

    pk=slots  sk=<acct>#<region>   version (N), body: the reservations as JSON

Every write is conditional on the version it read (or on the item not existing yet), so
two requests that counted the same free slot cannot both take it: the second write
fails and that request counts again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from drsorch.configurator.adapters.errors import code_of
from drsorch.configurator.errors import Transient
from drsorch.configurator.pipeline.ports import Ledger, Reservation
from drsorch.contracts.types import Place

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


def _key(place: Place) -> dict[str, Any]:
    return {"pk": {"S": "slots"}, "sk": {"S": f"{place.account_id}#{place.region}"}}


def _entry(reservation: Reservation) -> dict[str, Any]:
    return {
        "request_id": reservation.request_id,
        "server_id": reservation.server_id,
        "instance_id": reservation.instance_id,
        "expires_at": reservation.expires_at.isoformat(),
    }


def _reservation(entry: dict[str, Any]) -> Reservation:
    return Reservation(
        request_id=entry["request_id"],
        server_id=entry["server_id"],
        instance_id=entry.get("instance_id"),
        expires_at=datetime.fromisoformat(entry["expires_at"]),
    )


class DynamoSlotLedger:
    """`SlotLedger` over the configurator's DynamoDB table."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self.client = client
        self.table = table

    async def read(self, place: Place) -> Ledger:
        try:
            response = await self.client.get_item(
                TableName=self.table, Key=_key(place), ConsistentRead=True
            )
        except ClientError as exc:
            raise Transient(f"the slot ledger of {place} cannot be read: {code_of(exc)}") from exc
        item = response.get("Item")
        if item is None:
            return Ledger()
        entries = json.loads(item["body"]["S"])
        return Ledger(int(item["version"]["N"]), tuple(_reservation(e) for e in entries))

    async def write(self, place: Place, seen: Ledger, entries: Sequence[Reservation]) -> bool:
        body = json.dumps([_entry(r) for r in entries], separators=(",", ":"))
        item = {**_key(place), "version": {"N": str(seen.version + 1)}, "body": {"S": body}}
        try:
            await self.client.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_not_exists(pk) OR version = :seen",
                ExpressionAttributeValues={":seen": {"N": str(seen.version)}},
            )
        except ClientError as exc:
            code = code_of(exc)
            if code == "ConditionalCheckFailedException":
                return False
            raise Transient(f"the slot ledger of {place} cannot be written: {code}") from exc
        return True
