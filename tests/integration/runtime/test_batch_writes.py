"""Any number of writes through BatchWriteItem, several calls at once, on a deployed table."""

from __future__ import annotations

import pytest
from aiobotocore.session import get_session

from drsorch.local.server import LocalEndpoint
from drsorch.runtime.batch_writes import BATCH, write_all
from support.aws import deploy

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def table(endpoint: LocalEndpoint) -> str:
    return deploy("rtbatches").matcher.table_name


def _item(n: int) -> dict[str, dict[str, str]]:
    return {"pk": {"S": "batch-test"}, "sk": {"S": f"{n:05d}"}, "body": {"S": "x" * 200}}


async def _stored(dynamodb: object, table: str) -> list[str]:
    kwargs = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": "batch-test"}},
        "ConsistentRead": True,
    }
    keys: list[str] = []
    while True:
        page = await dynamodb.query(**kwargs)  # type: ignore[attr-defined]
        keys += [item["sk"]["S"] for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return keys
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


async def test_every_write_lands_and_deletes_too(table: str) -> None:
    count = 11 * BATCH + 7  # not a whole number of calls
    async with get_session().create_client("dynamodb") as dynamodb:
        puts = [{"PutRequest": {"Item": _item(n)}} for n in range(count)]
        assert await write_all(dynamodb, table, puts, at_once=4) == 0
        assert await _stored(dynamodb, table) == [f"{n:05d}" for n in range(count)]

        deletes = [
            {"DeleteRequest": {"Key": {"pk": _item(n)["pk"], "sk": _item(n)["sk"]}}}
            for n in range(0, count, 2)
        ]
        assert await write_all(dynamodb, table, deletes) == 0
        assert await _stored(dynamodb, table) == [f"{n:05d}" for n in range(1, count, 2)]
        assert await write_all(dynamodb, table, []) == 0
