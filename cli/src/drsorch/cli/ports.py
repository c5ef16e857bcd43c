"""What the request commands need from AWS, as Protocols: fakes in tests, aiobotocore for real."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from drsorch.contracts import Envelope, Event


@dataclass(frozen=True)
class Caller:
    """Who runs the CLI: the hub account by default, and the principal a request names."""

    account_id: str
    arn: str


class RequestBus(Protocol):
    """Publishes a request envelope to the requests topic."""

    async def publish(self, envelope: Envelope[Event]) -> None: ...


class EventFeed(Protocol):
    """The events of one request, as they arrive (at least once, any order)."""

    async def receive(self, wait_seconds: int) -> Sequence[Envelope[Event]]:
        """What arrived within `wait_seconds` (possibly nothing)."""
        ...

    @property
    def unreadable(self) -> int:
        """Messages that were not drsorch envelopes (dropped, counted)."""
        ...
