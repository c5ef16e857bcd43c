"""The memory store the unit tests use passes the Store suite the DynamoDB store passes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from drsorch.configurator.ports import Store
from support.configurator_fakes import MemoryStore
from support.configurator_store_contract import SUITE


@pytest.mark.parametrize("behaviour", SUITE, ids=lambda f: f.__name__)
async def test_memory_store(behaviour: Callable[[Store], Awaitable[None]]) -> None:
    await behaviour(MemoryStore())
