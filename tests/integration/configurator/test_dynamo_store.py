"""The configurator's DynamoDB store, on its table deployed from the template, passes the suite."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import pytest
from aiobotocore.session import get_session

from drsorch.configurator.adapters.dynamodb import DynamoStore
from drsorch.configurator.ports import Store
from drsorch.configurator.records import PairRecord, PreviousSettings, RequestRecord
from drsorch.contracts import LaunchConfiguration, Pair, ServerRef
from drsorch.local.server import LocalEndpoint
from support.aws import deploy
from support.configurator_scenario import HUB, PRIMARY, RECOVERY, spec
from support.configurator_store_contract import SUITE, T0

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def table(endpoint: LocalEndpoint) -> str:
    return deploy("x5store").configurator.table_name


@pytest.mark.parametrize("behaviour", SUITE, ids=lambda f: f.__name__)
async def test_dynamo_store(behaviour: Callable[[Store], Awaitable[None]], table: str) -> None:
    async with get_session().create_client("dynamodb") as dynamodb:
        await behaviour(DynamoStore(dynamodb, table))


async def test_previous_settings_and_their_request_carry_no_expiry(table: str) -> None:
    # Restoring needs both long after the request ran; only the pairs may expire.
    request_id = f"req-{uuid.uuid4().hex[:16]}"
    server = ServerRef(source_server_id="s-00000000000000001", account_id=HUB, region=RECOVERY)
    request = RequestRecord(
        spec=spec(), plan_hash="a" * 64, causation_id=str(uuid.uuid4()), deadline=T0
    )
    previous = PreviousSettings(
        source_server_id=server.source_server_id,
        launching_server_id=server.source_server_id,
        account_id=HUB,
        region=PRIMARY,
        configuration=LaunchConfiguration(copy_tags=True),
    )
    async with get_session().create_client("dynamodb") as dynamodb:
        store = DynamoStore(dynamodb, table)
        await store.start_request(request_id, request, [PairRecord(pair=Pair(server=server))])
        await store.keep_previous(request_id, [previous])
        page = await dynamodb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"request#{request_id}"}},
            ConsistentRead=True,
        )
    expiring = {item["sk"]["S"].split("#")[0]: "expires_at" in item for item in page["Items"]}
    assert expiring == {"request": False, "previous": False, "pair": True}
