"""One behaviour suite for every ChunkStore: memory and DynamoDB alike."""

from __future__ import annotations

import uuid

from drsorch.runtime.chunks import ChunkStore


def _group() -> str:
    return f"ServersDiscovered#req-{uuid.uuid4().hex[:12]}#-"


async def parts_are_collected_in_index_order_only_when_all_are_held(store: ChunkStore) -> None:
    group = _group()
    await store.put(group, 2, "c")
    await store.put(group, 0, "a")
    assert await store.collect(group, 3) is None
    await store.put(group, 1, "b")
    assert await store.collect(group, 3) == ["a", "b", "c"]


async def a_redelivered_part_replaces_itself(store: ChunkStore) -> None:
    group = _group()
    await store.put(group, 0, "a")
    await store.put(group, 0, "a")
    assert await store.collect(group, 1) == ["a"]


async def the_first_claimer_wins_and_keeps_winning(store: ChunkStore) -> None:
    group = _group()
    assert await store.claim(group, "event-1")
    assert not await store.claim(group, "event-2")
    assert await store.claim(group, "event-1")  # its retry after a failure still owns it


async def groups_are_independent(store: ChunkStore) -> None:
    first, second = _group(), _group()
    await store.put(first, 0, "x")
    assert await store.collect(second, 1) is None
    assert await store.claim(first, "e")
    assert await store.claim(second, "f")


SUITE = (
    parts_are_collected_in_index_order_only_when_all_are_held,
    a_redelivered_part_replaces_itself,
    the_first_claimer_wins_and_keeps_winning,
    groups_are_independent,
)
