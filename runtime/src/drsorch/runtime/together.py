"""Several awaitables at once, failing as one of them alone would.

`asyncio.gather` raises the first failure but leaves the others running unobserved;
a `TaskGroup` cancels them, but raises an `ExceptionGroup` that callers written for
one call's errors (a `ClientError`, a service's own error) would not catch. `at_once`
cancels the others and raises the first failure itself, an `Exception` or not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import TypeVar

T = TypeVar("T")


async def at_once(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """The results in the order given; the first failure raised, the others cancelled."""

    async def run(awaitable: Awaitable[T]) -> T:
        return await awaitable

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(run(a)) for a in awaitables]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]
