"""The DynamoDB chunk store, on a table deployed from the template, passes the same suite."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiobotocore.session import get_session

from drsorch.local.server import LocalEndpoint
from drsorch.runtime.chunks import ChunkStore, DynamoChunkStore
from support.aws import deploy
from support.chunk_contract import SUITE

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def table(endpoint: LocalEndpoint) -> str:
    return deploy("rtchunks").matcher.table_name


@pytest.mark.parametrize("behaviour", SUITE, ids=lambda f: f.__name__)
async def test_dynamo_chunk_store(
    behaviour: Callable[[ChunkStore], Awaitable[None]], table: str
) -> None:
    async with get_session().create_client("dynamodb") as dynamodb:
        await behaviour(DynamoChunkStore(dynamodb, table))
