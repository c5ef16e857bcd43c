"""The slot ledger on the configurator's table deployed from the template: a write lands only
at the version it read, so of two requests that read the same ledger only one takes slots."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiobotocore.session import get_session

from drsorch.configurator.adapters.slot_ledger import DynamoSlotLedger
from drsorch.configurator.pipeline.ports import Ledger, Reservation
from drsorch.contracts.types import Place
from drsorch.local.server import LocalEndpoint
from support.aws import deploy

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def table(endpoint: LocalEndpoint) -> str:
    return deploy("x14ledger").configurator.table_name


def _reservation(request_id: str, n: int) -> Reservation:
    return Reservation(request_id, f"s-{n:017x}", f"i-{n:017x}", T0 + timedelta(seconds=1200))


async def test_only_the_first_of_two_writes_at_one_version_lands(table: str) -> None:
    place = Place(f"{uuid.uuid4().int % 10**12:012d}", "us-east-1")
    async with get_session().create_client("dynamodb") as dynamodb:
        ledger = DynamoSlotLedger(dynamodb, table)
        empty = await ledger.read(place)
        assert empty == Ledger()
        assert await ledger.write(place, empty, [_reservation("req-a", 1)])
        assert not await ledger.write(place, empty, [_reservation("req-b", 2)])
        first = await ledger.read(place)
        assert first == Ledger(1, (_reservation("req-a", 1),))
        both = [*first.entries, _reservation("req-b", 2)]
        assert await ledger.write(place, first, both)
        assert not await ledger.write(place, first, [])
        assert await ledger.read(place) == Ledger(2, tuple(both))
        # Another place is a ledger of its own.
        assert await ledger.read(Place(place.account_id, "us-west-2")) == Ledger()
