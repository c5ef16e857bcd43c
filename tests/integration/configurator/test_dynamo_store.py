"""The configurator's DynamoDB store, on its table deployed from the template, passes the suite."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiobotocore.session import get_session

from drsorch.configurator.adapters.dynamodb import DynamoStore
from drsorch.configurator.ports import Store
from drsorch.local.server import LocalEndpoint
from support.aws import deploy
from support.configurator_store_contract import SUITE

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def table(endpoint: LocalEndpoint) -> str:
    return deploy("x5store").configurator.table_name


@pytest.mark.parametrize("behaviour", SUITE, ids=lambda f: f.__name__)
async def test_dynamo_store(behaviour: Callable[[Store], Awaitable[None]], table: str) -> None:
    async with get_session().create_client("dynamodb") as dynamodb:
        await behaviour(DynamoStore(dynamodb, table))
