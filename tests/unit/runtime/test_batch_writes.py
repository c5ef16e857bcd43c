"""What DynamoDB leaves unprocessed is tried again, with growing pauses, and then counted;
a failing call cancels the others and is raised."""

from __future__ import annotations

import types
from collections.abc import Generator, Mapping, Sequence
from typing import Any

import pytest

from drsorch.runtime.batch_writes import BATCH, write_all

TABLE = "t"


@types.coroutine
def _other_tasks_run() -> Generator[None, None, None]:
    """Give the event loop one turn (no clock involved)."""
    yield


class Dynamo:
    """A BatchWriteItem that leaves the last `refuse` writes of a call unprocessed, for
    the first `stingy` calls; `broken` makes a call holding that key fail."""

    def __init__(self, *, refuse: int = 0, stingy: int = 0, broken: str | None = None) -> None:
        self.refuse, self.stingy, self.broken = refuse, stingy, broken
        self.calls: list[list[str]] = []
        self.written: list[str] = []
        self.in_flight = self.most_in_flight = 0

    async def batch_write_item(self, RequestItems: Mapping[str, Sequence[Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        requests = list(RequestItems[TABLE])
        keys = [r["PutRequest"]["Item"]["sk"] for r in requests]
        assert len(requests) <= BATCH
        self.calls.append(keys)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await _other_tasks_run()  # another call may start meanwhile
        self.in_flight -= 1
        if self.broken in keys:
            raise RuntimeError("the table is gone")
        left: list[Any] = []
        if len(self.calls) <= self.stingy and self.refuse:
            requests, left = requests[: -self.refuse], requests[-self.refuse :]
        self.written += [r["PutRequest"]["Item"]["sk"] for r in requests]
        return {"UnprocessedItems": {TABLE: left} if left else {}}


def _puts(count: int) -> list[dict[str, Any]]:
    return [{"PutRequest": {"Item": {"sk": f"{n:04d}"}}} for n in range(count)]


async def test_every_write_goes_in_calls_of_25_a_few_at_once() -> None:
    dynamo = Dynamo()
    assert await write_all(dynamo, TABLE, _puts(260), at_once=3) == 0
    assert sorted(dynamo.written) == [f"{n:04d}" for n in range(260)]
    assert len(dynamo.calls) == 11
    assert dynamo.most_in_flight == 3


async def test_what_is_left_unprocessed_is_tried_again_after_growing_pauses() -> None:
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    dynamo = Dynamo(refuse=5, stingy=3)
    assert await write_all(dynamo, TABLE, _puts(25), pause=pause) == 0
    assert sorted(dynamo.written) == [f"{n:04d}" for n in range(25)]
    assert [len(c) for c in dynamo.calls] == [25, 5, 5, 5]
    assert pauses == sorted(pauses) and len(pauses) == 3 and pauses[0] > 0


async def test_writes_still_left_after_the_last_try_are_counted() -> None:
    async def pause(seconds: float) -> None:
        return None

    dynamo = Dynamo(refuse=4, stingy=100)
    # Two calls (25 and 5 writes), each left with 4 after every one of its 3 tries.
    assert await write_all(dynamo, TABLE, _puts(30), rounds=3, pause=pause) == 8
    assert len(dynamo.written) == 30 - 8
    assert len(dynamo.calls) == 6


async def test_a_failing_call_is_raised() -> None:
    dynamo = Dynamo(broken="0030")
    with pytest.raises(RuntimeError, match="the table is gone"):
        await write_all(dynamo, TABLE, _puts(100))
