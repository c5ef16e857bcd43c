"""Awaitables at once: results in order; the first failure raised as itself, the rest
cancelled."""

from __future__ import annotations

import asyncio
import types
from collections.abc import Generator

import pytest

from drsorch.runtime.together import at_once


@types.coroutine
def _other_tasks_run() -> Generator[None, None, None]:
    """Give the event loop one turn (no clock involved)."""
    yield


async def test_results_come_in_the_order_given() -> None:
    order: list[int] = []

    async def one(n: int) -> int:
        for _ in range(5 - n):
            await _other_tasks_run()
        order.append(n)
        return n * 10

    assert await at_once(one(n) for n in range(5)) == [0, 10, 20, 30, 40]
    assert order == [4, 3, 2, 1, 0], "they did not run at once"
    assert await at_once([]) == []


async def test_the_first_failure_is_raised_as_itself_and_the_others_are_cancelled() -> None:
    never = asyncio.Event()
    cancelled: list[int] = []

    async def waits(n: int) -> int:
        try:
            await never.wait()
        except asyncio.CancelledError:
            cancelled.append(n)
            raise
        return n

    async def fails() -> int:
        await _other_tasks_run()
        raise KeyError("gone")

    with pytest.raises(KeyError, match="gone"):
        await at_once([waits(1), fails(), waits(2)])
    assert sorted(cancelled) == [1, 2]


class _Stop(BaseException):
    """Not an `Exception`: as a process's end would be."""


async def test_a_base_exception_is_raised_as_itself_too() -> None:
    async def stops() -> int:
        raise _Stop

    async def fine() -> int:
        return 1

    with pytest.raises(_Stop):
        await at_once([fine(), stops()])
