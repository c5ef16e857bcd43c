"""The DynamoDB repository keeps the repository contract, on the local endpoint over HTTP.

Then what only the adapter has: claims and releases in transactions of up to 100
items, where a refused transaction is tried again without the servers another request
holds, and held# records freed with their claims, so releases side by side and again
do no harm.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from itertools import count

import pytest
from aiobotocore.session import get_session

from drsorch.discovery.adapters.dynamo import DynamoDiscoveryRepository
from drsorch.local.server import LocalEndpoint
from support.aws import client
from support.discovery_repository_contract import RepositoryContract

pytestmark = pytest.mark.integration
_tables = count()


def _table() -> str:
    name = f"x4disc-repository-{next(_tables)}"
    client("dynamodb").create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


@pytest.fixture
async def repository(endpoint: LocalEndpoint) -> AsyncIterator[DynamoDiscoveryRepository]:
    async with get_session().create_client("dynamodb") as dynamodb:
        yield DynamoDiscoveryRepository(dynamodb, _table(), held_per_item=100)


class TestDynamoRepository(RepositoryContract):
    pass


NOW, LATER = 1_000, 2_000
KEYS = [("111111111111", "us-west-2", f"s-{n:017d}") for n in range(250)]


@pytest.fixture
async def wide(endpoint: LocalEndpoint) -> AsyncIterator[DynamoDiscoveryRepository]:
    """The repository as deployed: held# records of their default size."""
    async with get_session().create_client("dynamodb") as dynamodb:
        yield DynamoDiscoveryRepository(dynamodb, _table())


async def _records(repository: DynamoDiscoveryRepository, request_id: str) -> int:
    page = await repository.client.query(
        TableName=repository.table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :held)",
        ExpressionAttributeValues={":pk": {"S": f"request#{request_id}"}, ":held": {"S": "held#"}},
        ConsistentRead=True,
    )
    return len(page["Items"])


async def test_servers_held_by_another_request_are_reported_and_the_rest_taken(
    wide: DynamoDiscoveryRepository,
) -> None:
    """Held servers in every transaction: each refused one is tried again without them."""
    others = KEYS[::7]
    assert await wide.claim("req-other-01", others, now=NOW, expires_at=LATER) == {}
    held = await wide.claim("req-mine-001", KEYS, now=NOW, expires_at=LATER)
    assert held == dict.fromkeys(others, "req-other-01")
    holders = await wide.holders(KEYS, now=NOW)
    assert holders == {k: "req-other-01" if k in held else "req-mine-001" for k in KEYS}
    assert await _records(wide, "req-mine-001") == 3  # 250 servers, 99 a record


async def test_expired_claims_are_taken_over_and_live_ones_reported(
    wide: DynamoDiscoveryRepository,
) -> None:
    await wide.claim("req-old-0001", KEYS[:120], now=NOW, expires_at=NOW + 10)
    await wide.claim("req-live-001", KEYS[120:200], now=NOW, expires_at=LATER)
    held = await wide.claim("req-new-0001", KEYS, now=NOW + 11, expires_at=LATER)
    assert held == dict.fromkeys(KEYS[120:200], "req-live-001")
    holders = await wide.holders(KEYS, now=NOW + 11)
    assert holders == {k: "req-live-001" if k in held else "req-new-0001" for k in KEYS}


async def test_release_leaves_the_servers_another_request_took_since(
    wide: DynamoDiscoveryRepository,
) -> None:
    await wide.claim("req-first-01", KEYS[:200], now=NOW, expires_at=NOW + 10)
    taken = KEYS[:200:4]
    await wide.claim("req-second-1", taken, now=NOW + 11, expires_at=LATER)
    assert await wide.release("req-first-01") == 200
    assert await wide.holders(KEYS, now=NOW) == dict.fromkeys(taken, "req-second-1")
    assert await _records(wide, "req-first-01") == 0
    assert await _records(wide, "req-second-1") == 1


async def test_releases_side_by_side_and_again_are_harmless(
    wide: DynamoDiscoveryRepository,
) -> None:
    """RequestCompleted arrives in chunks, together, to one process or several, and may be
    redelivered."""
    assert await wide.claim("req-done-001", KEYS, now=NOW, expires_at=LATER) == {}
    await wide.claim("req-keep-001", KEYS[:3], now=NOW, expires_at=LATER)  # refused: held
    async with get_session().create_client("dynamodb") as dynamodb:
        elsewhere = DynamoDiscoveryRepository(dynamodb, wide.table)  # another process
        counts = await asyncio.gather(
            *(repository.release("req-done-001") for repository in (wide, wide, elsewhere))
        )
    assert counts[0] == counts[1] == 250  # the second joined the first
    assert 0 <= counts[2] <= 250
    assert await wide.holders(KEYS, now=NOW) == {}
    assert await _records(wide, "req-done-001") == 0
    assert await wide.release("req-done-001") == 0
    assert await wide.claim("req-next-001", KEYS, now=NOW, expires_at=LATER) == {}


async def test_a_release_cut_short_is_finished_by_the_next(
    wide: DynamoDiscoveryRepository,
) -> None:
    """A crash after some claims were freed leaves their records: a redelivery frees the rest."""
    await wide.claim("req-crash-01", KEYS[:150], now=NOW, expires_at=LATER)
    for key in KEYS[:150:2]:  # freed before the crash; their records remain
        await wide.client.delete_item(
            TableName=wide.table,
            Key={"pk": {"S": "server#" + "#".join(key)}, "sk": {"S": "claim"}},
        )
    assert await wide.release("req-crash-01") == 150
    assert await wide.holders(KEYS, now=NOW) == {}
    assert await _records(wide, "req-crash-01") == 0
