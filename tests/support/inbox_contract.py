"""One behaviour suite for every Inbox: the memory fake and the DynamoDB adapter alike."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from drsorch.runtime.ports import Inbox, InboxState

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)  # both inboxes under test are built with this lease


def _event_id() -> str:
    return str(uuid.uuid4())


async def first_sight_is_new_and_a_completed_event_is_done(inbox: Inbox) -> None:
    event = _event_id()
    assert await inbox.begin(event, T0) is InboxState.NEW
    await inbox.complete(event, T0)
    assert await inbox.begin(event, T0 + timedelta(seconds=1)) is InboxState.DONE
    assert await inbox.begin(event, T0 + timedelta(days=1)) is InboxState.DONE


async def a_held_lease_is_busy_until_it_expires(inbox: Inbox) -> None:
    event = _event_id()
    assert await inbox.begin(event, T0) is InboxState.NEW
    assert await inbox.begin(event, T0 + timedelta(minutes=1)) is InboxState.BUSY
    # Its holder died: the next consumer takes the lease over, and knows it did.
    assert await inbox.begin(event, T0 + LEASE + timedelta(seconds=1)) is InboxState.RECLAIMED


async def a_released_event_can_begin_again(inbox: Inbox) -> None:
    event = _event_id()
    assert await inbox.begin(event, T0) is InboxState.NEW
    await inbox.release(event)
    assert await inbox.begin(event, T0) is InboxState.NEW


async def releasing_a_completed_event_keeps_it_done(inbox: Inbox) -> None:
    event = _event_id()
    await inbox.begin(event, T0)
    await inbox.complete(event, T0)
    await inbox.release(event)
    assert await inbox.begin(event, T0) is InboxState.DONE


async def events_are_independent(inbox: Inbox) -> None:
    first, second = _event_id(), _event_id()
    assert await inbox.begin(first, T0) is InboxState.NEW
    assert await inbox.begin(second, T0) is InboxState.NEW


async def a_request_id_is_taken_by_its_first_request_event(inbox: Inbox) -> None:
    request, first, second = f"req-{_event_id()}", _event_id(), _event_id()
    assert await inbox.claim_request(request, first, T0) == first
    assert await inbox.claim_request(request, first, T0 + LEASE) == first  # a redelivery
    assert await inbox.claim_request(request, second, T0) == first
    other = f"req-{_event_id()}"
    assert await inbox.claim_request(other, second, T0) == second


SUITE = (
    a_request_id_is_taken_by_its_first_request_event,
    first_sight_is_new_and_a_completed_event_is_done,
    a_held_lease_is_busy_until_it_expires,
    a_released_event_can_begin_again,
    releasing_a_completed_event_keeps_it_done,
    events_are_independent,
)
