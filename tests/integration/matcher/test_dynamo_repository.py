"""The DynamoDB plan repository, on the matcher's table deployed from the template."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiobotocore.session import get_session

from drsorch.local.server import LocalEndpoint
from drsorch.matcher.adapters.dynamo import DynamoPlanRepository
from drsorch.matcher.ports import PlanRepository
from support.aws import deploy
from support.matcher_repository_contract import SUITE

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def table(endpoint: LocalEndpoint) -> str:
    return deploy("x4mrepo").matcher.table_name


@pytest.mark.parametrize("behaviour", SUITE, ids=lambda f: f.__name__)
async def test_dynamo_plan_repository(
    behaviour: Callable[[PlanRepository], Awaitable[None]], table: str
) -> None:
    async with get_session().create_client("dynamodb") as dynamodb:
        await behaviour(DynamoPlanRepository(dynamodb, table))
