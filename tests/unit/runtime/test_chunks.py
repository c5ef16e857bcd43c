"""Splitting large results under the message limit, and putting them back together once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drsorch.contracts import EVENTS, Chunk, Envelope, Problem, ServersDiscovered
from drsorch.contracts.events.requests import Accounts, RequestSpec, Scope
from drsorch.runtime.chunks import ChunkAssembler, ChunkStore, MemoryChunkStore, split
from support.chunk_contract import SUITE

SPEC = RequestSpec(
    operation="failback",
    scope=Scope(selector={"app": "payments"}),
    accounts=Accounts(hub="123456789012"),
    primary_region="us-east-1",
    recovery_region="us-west-2",
    requested_by="operator",
)


def problems(n: int) -> list[Problem]:
    return [
        Problem(
            kind="lag_too_high",
            account_id="123456789012",
            source_server_id=f"s-{i:017d}",
            reason=f"lag {i} s is above 60 s " * 3,
        )
        for i in range(n)
    ]


def build(items: Sequence[Any], chunk: Chunk) -> ServersDiscovered:
    return ServersDiscovered(spec=SPEC, problems=tuple(items), chunk=chunk)


@pytest.mark.parametrize("behaviour", SUITE, ids=lambda f: f.__name__)
async def test_memory_chunk_store(behaviour: Callable[[ChunkStore], Awaitable[None]]) -> None:
    await behaviour(MemoryChunkStore())


@settings(max_examples=30, deadline=None)
@given(
    count=st.integers(min_value=0, max_value=400),
    budget=st.integers(min_value=3_000, max_value=40_000),
)
def test_split_keeps_every_item_in_order_and_every_chunk_under_budget(
    count: int, budget: int
) -> None:
    items = problems(count)
    events = split(build, items, budget=budget)
    assert [p for e in events for p in e.problems] == items
    assert all(len(e.model_dump_json()) <= budget for e in events)
    assert [e.chunk for e in events] == [
        Chunk(index=i, count=len(events)) for i in range(len(events))
    ]


def test_an_item_larger_than_the_budget_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="larger than the 900-byte budget"):
        split(build, problems(1), budget=900)


async def test_the_whole_result_is_returned_once_to_the_chunk_that_completes_it() -> None:
    events = split(build, problems(300), budget=20_000)
    assert len(events) > 2
    envelopes = [
        Envelope.wrap(
            e,
            request_id="req-chunks-0001",
            step=f"chunk-{e.chunk.index}",
            producer="discovery",
            causation_id="0" * 8 + "-0000-0000-0000-" + "0" * 12,
        )
        for e in events
    ]
    assembler = ChunkAssembler(MemoryChunkStore(), EVENTS)
    results = [await assembler.add(env, env.payload.chunk) for env in reversed(envelopes)]
    assert results[:-1] == [None] * (len(envelopes) - 1)
    whole = results[-1]
    assert whole is not None
    assert [e.event_id for e in whole] == [e.event_id for e in envelopes]
    # A redelivery of any chunk afterwards yields nothing: the result was handed out once.
    assert await assembler.add(envelopes[1], envelopes[1].payload.chunk) is None
    # ...except to the chunk that completed it, whose handler may be retrying.
    assert await assembler.add(envelopes[0], envelopes[0].payload.chunk) is not None
