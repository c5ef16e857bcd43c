"""The DynamoDB inbox, on a table deployed from the template, passes the same suite."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiobotocore.session import get_session

from drsorch.local.server import LocalEndpoint
from drsorch.runtime.inbox import DynamoInbox
from drsorch.runtime.ports import Inbox
from support.aws import deploy
from support.inbox_contract import LEASE, SUITE

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def table(endpoint: LocalEndpoint) -> str:
    return deploy("rtinbox").discovery.table_name


@pytest.mark.parametrize("behaviour", SUITE, ids=lambda f: f.__name__)
async def test_dynamo_inbox(behaviour: Callable[[Inbox], Awaitable[None]], table: str) -> None:
    async with get_session().create_client("dynamodb") as dynamodb:
        await behaviour(DynamoInbox(dynamodb, table, lease=LEASE))
