"""Requests held for more approvers: who may sign, and when the set is complete."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from drsorch.cli.errors import Refused, RequestNotFound
from drsorch.cli.pending import PendingRequest, check_can_sign, hold, summary, with_approval
from support.approval_fakes import SECOND, FakeKey
from support.monitor_builders import spec

NOW = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)
REQUEST, HASH = "failback-20261204t140000-abcdef", "ab" * 32


@dataclass
class MemoryPending:
    """The approvals table as a dict, with its conditional put."""

    items: dict[str, PendingRequest] = field(default_factory=dict)

    async def get(self, request_id: str) -> PendingRequest | None:
        return self.items.get(request_id)

    async def put(self, pending: PendingRequest, replaces: int | None) -> bool:
        stored = self.items.get(pending.request_id)
        if (stored.version if stored else None) != replaces:
            return False
        self.items[pending.request_id] = pending
        return True


async def _held(store: MemoryPending, key: FakeKey) -> PendingRequest:
    first = key.approve(REQUEST, HASH, now=NOW, required=2)
    await hold(store, spec(approved_plan_hash=HASH), REQUEST, first)
    held = await store.get(REQUEST)
    assert held is not None
    return held


async def test_a_held_request_waits_for_a_second_distinct_approver() -> None:
    store, key = MemoryPending(), FakeKey()
    held = await _held(store, key)
    assert not held.complete and held.required == 2
    assert "1 more must run: drsorch approve" in summary(held)

    pending = check_can_sign(held, REQUEST, HASH, SECOND, NOW)
    both = with_approval(pending, key.approve(REQUEST, HASH, now=NOW, approver=SECOND))
    assert await store.put(both, held.version)
    assert both.complete and "approved by 2 of 2" in summary(both)
    # A signature of the older version no longer lands: the approvers re-read and sign again.
    assert not await store.put(both, held.version)


async def test_who_may_not_sign_and_why() -> None:
    store, key = MemoryPending(), FakeKey()
    held = await _held(store, key)
    first = held.approvers[0]
    with pytest.raises(Refused, match="already approved"):
        check_can_sign(held, REQUEST, HASH, first, NOW)
    with pytest.raises(Refused, match=f"applies plan {HASH}"):
        check_can_sign(held, REQUEST, "cd" * 32, SECOND, NOW)
    with pytest.raises(Refused, match="expired"):
        check_can_sign(held, REQUEST, HASH, SECOND, NOW + timedelta(hours=2))
    with pytest.raises(RequestNotFound, match="no request"):
        check_can_sign(None, REQUEST, HASH, SECOND, NOW)
    with pytest.raises(Refused, match="already held"):
        await hold(store, spec(approved_plan_hash=HASH), REQUEST, held.spec.approvals[0])
