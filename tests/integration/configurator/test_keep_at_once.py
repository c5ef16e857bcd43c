"""Previous settings kept for a whole step at once, on the real endpoint: a few
transactions for hundreds of servers, the first kept for a server winning across
concurrent keeps, and a failed write raised to the caller."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import pytest
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from drsorch.configurator.adapters.dynamodb import DynamoStore
from drsorch.configurator.records import PreviousSettings
from drsorch.contracts import LaunchConfiguration
from drsorch.local.server import LocalEndpoint
from support.aws import deploy
from support.configurator_scenario import HUB, PRIMARY

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def table(endpoint: LocalEndpoint) -> str:
    return deploy("x15keep").configurator.table_name


def _previous(n: int, mark: str) -> PreviousSettings:
    server = f"s-{n:017d}"
    return PreviousSettings(
        source_server_id=server,
        launching_server_id=server,
        account_id=HUB,
        region=PRIMARY,
        configuration=LaunchConfiguration(name=f"{mark}-{n}"),
    )


def _counted(client: Any) -> Counter[str]:
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    client.meta.events.register("before-call.dynamodb", count)
    return calls


async def test_hundreds_of_keeps_cost_a_few_transactions_and_return_what_was_kept_before(
    table: str,
) -> None:
    request_id = f"req-{uuid.uuid4().hex[:16]}"
    async with get_session().create_client("dynamodb") as dynamodb:
        store = DynamoStore(dynamodb, table)
        earlier = [_previous(n, "a") for n in range(0, 300, 9)]
        await store.keep_previous(request_id, earlier)
        calls = _counted(dynamodb)
        wanted = [_previous(n, "b") for n in range(300)]
        kept = await store.keep_previous(request_id, wanted)
        made = Counter(calls)
        stored = await store.previous(request_id)
    before = {p.launching_server_id: p for p in earlier}
    assert kept == [before.get(p.launching_server_id, p) for p in wanted]
    assert sorted(stored, key=lambda p: p.launching_server_id) == kept
    # Three transactions of 100, each cancelled once by the servers kept before and then
    # written without them; the kept ones came back with the cancellation, unread.
    assert made == Counter({"TransactWriteItems": 6})


async def test_concurrent_keeps_of_the_same_servers_agree_on_the_first_kept(table: str) -> None:
    request_id = f"req-{uuid.uuid4().hex[:16]}"
    async with get_session().create_client("dynamodb") as dynamodb:
        store = DynamoStore(dynamodb, table)
        keeps = [
            [_previous(n, mark) for n in range(start, start + 150)]
            for mark, start in (("a", 0), ("b", 50), ("c", 100))
        ]
        answers = await asyncio.gather(*(store.keep_previous(request_id, each) for each in keeps))
        stored = {p.launching_server_id: p for p in await store.previous(request_id)}
    assert len(stored) == 250
    for answer in answers:
        assert answer == [stored[p.launching_server_id] for p in answer]
    # Every server ended with the settings one of the keeps named for it.
    named = {(p.launching_server_id, p) for keep in keeps for p in keep}
    assert set(stored.items()) <= named


async def test_a_failed_write_reaches_the_caller_and_keeps_nothing(table: str) -> None:
    request_id = f"req-{uuid.uuid4().hex[:16]}"
    # Past DynamoDB's item size: built unchecked, as no contract would let it through.
    big = LaunchConfiguration.model_construct(name="n" * 420_000)
    too_large = _previous(7, "c").model_copy(update={"configuration": big})
    async with get_session().create_client("dynamodb") as dynamodb:
        store = DynamoStore(dynamodb, table)
        with pytest.raises(ClientError):
            await store.keep_previous(request_id, [_previous(1, "a"), too_large])
        with pytest.raises(ClientError):
            await DynamoStore(dynamodb, f"{table}-missing").keep_previous(
                request_id, [_previous(1, "a")]
            )
        assert await store.previous(request_id) == []
