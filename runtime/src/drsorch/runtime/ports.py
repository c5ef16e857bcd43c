"""What the runtime needs from the outside world, as Protocols.

Adapters over aiobotocore implement them for SNS, SQS and DynamoDB; unit tests use
hand-written fakes in tests/unit/runtime/fakes.py, proven against the same abstract
suites as the real adapters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from drsorch.contracts import Envelope, Event, Topic
from drsorch.runtime.messages import InboundMessage


@dataclass(frozen=True)
class OutgoingMessage:
    """A message for a queue: the body and its string attributes, with an optional delay."""

    body: str
    attributes: dict[str, str] = field(default_factory=dict)
    delay_seconds: int = 0


class Queue(Protocol):
    """The service's own SQS queue and its dead-letter queue."""

    async def receive(self, max_messages: int, wait_seconds: int) -> list[InboundMessage]: ...

    async def delete(self, messages: Sequence[InboundMessage]) -> None: ...

    async def change_visibility(self, message: InboundMessage, seconds: int) -> None: ...

    async def send(self, messages: Sequence[OutgoingMessage]) -> None: ...

    async def park(self, message: InboundMessage, reason: str, detail: str) -> None:
        """Move a message to the dead-letter queue at once, the reason as attributes."""
        ...


class Publisher(Protocol):
    """Publishes envelopes to their SNS topics."""

    async def publish(self, envelopes: Sequence[Envelope[Event]]) -> None: ...


class InboxState(StrEnum):
    NEW = "new"  # first sight: the caller holds the lease and must complete or release
    DONE = "done"  # already handled: drop the message
    BUSY = "busy"  # another consumer holds an unexpired lease
    RECLAIMED = "reclaimed"  # as NEW, but a consumer that held the lease died holding it


class Inbox(Protocol):
    """Remembers which event IDs were handled, so a redelivery has no second effect."""

    async def begin(self, event_id: str, now: datetime) -> InboxState: ...

    async def complete(self, event_id: str, now: datetime) -> None: ...

    async def release(self, event_id: str) -> None: ...

    async def claim_request(self, request_id: str, event_id: str, now: datetime) -> str:
        """Take `request_id` for the request event `event_id`; the event that holds it.

        A request ID names one request: the first request event seen under it keeps it,
        and a redelivery of that event finds it its own.
        """
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


TopicArns = dict[Topic, str]
