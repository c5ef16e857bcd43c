"""The monitor's table on DynamoDB (moto, over HTTP) passes the same suite as the fake."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
from aiobotocore.session import get_session

from drsorch.local.deploy import StackOutputs
from drsorch.local.server import LocalEndpoint
from drsorch.monitor.adapters.dynamo import DynamoStore
from drsorch.monitor.ports import Store
from support.aws import deploy
from support.monitor_store_contract import StoreContract

pytestmark = pytest.mark.integration

STACK = "x5monstore"
_ids = itertools.count()


@pytest.fixture(scope="module")
def topology(endpoint: LocalEndpoint) -> StackOutputs:
    return deploy(STACK)


@pytest.fixture
def request_id() -> str:
    return f"req-dynamo-{next(_ids):04d}"


class TestDynamoStore(StoreContract):
    @pytest.fixture(autouse=True)
    async def _client(self, topology: StackOutputs) -> AsyncIterator[None]:
        async with get_session().create_client("dynamodb") as client:
            self.client = client
            self.table = topology.monitor.table_name
            yield

    async def make(self) -> Store:
        return DynamoStore(self.client, self.table)
