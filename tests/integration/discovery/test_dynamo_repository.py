"""The DynamoDB repository keeps the repository contract, on the local endpoint over HTTP."""

from __future__ import annotations

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
