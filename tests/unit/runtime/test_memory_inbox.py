"""The memory inbox (the fake) passes the inbox behaviour suite."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from drsorch.runtime.inbox import MemoryInbox
from drsorch.runtime.ports import Inbox
from support.inbox_contract import LEASE, SUITE


@pytest.mark.parametrize("behaviour", SUITE, ids=lambda f: f.__name__)
async def test_memory_inbox(behaviour: Callable[[Inbox], Awaitable[None]]) -> None:
    await behaviour(MemoryInbox(lease=LEASE))
