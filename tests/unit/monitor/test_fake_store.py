"""The fake table passes the store suite the real one passes (tests/integration/monitor)."""

from __future__ import annotations

import itertools

import pytest

from drsorch.monitor.ports import Store
from support.monitor_fakes import FakeStore
from support.monitor_store_contract import StoreContract

_ids = itertools.count()


@pytest.fixture
def request_id() -> str:
    return f"req-fake-{next(_ids):04d}"


class TestFakeStore(StoreContract):
    async def make(self) -> Store:
        return FakeStore()
