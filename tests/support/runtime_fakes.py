"""Hand-written fakes of the runtime's ports, for unit tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from drsorch.contracts import Envelope, Event
from drsorch.runtime.messages import InboundMessage
from drsorch.runtime.ports import OutgoingMessage


@dataclass
class FakeQueue:
    """Records what the runtime does to the queue; hands out scripted receives."""

    inbound: list[list[InboundMessage]] = field(default_factory=list)
    deleted: list[InboundMessage] = field(default_factory=list)
    sent: list[OutgoingMessage] = field(default_factory=list)
    parked: list[tuple[InboundMessage, str, str]] = field(default_factory=list)
    visibility: list[tuple[str, int]] = field(default_factory=list)
    fail_park: bool = False

    async def receive(self, max_messages: int, wait_seconds: int) -> list[InboundMessage]:
        return self.inbound.pop(0) if self.inbound else []

    async def delete(self, messages: Sequence[InboundMessage]) -> None:
        self.deleted.extend(messages)

    async def change_visibility(self, message: InboundMessage, seconds: int) -> None:
        self.visibility.append((message.message_id, seconds))

    async def send(self, messages: Sequence[OutgoingMessage]) -> None:
        self.sent.extend(messages)

    async def park(self, message: InboundMessage, reason: str, detail: str) -> None:
        if self.fail_park:
            raise ConnectionError("dead-letter queue unreachable")
        self.parked.append((message, reason, detail))


@dataclass
class FakePublisher:
    published: list[Envelope[Event]] = field(default_factory=list)
    fail: bool = False

    async def publish(self, envelopes: Sequence[Envelope[Event]]) -> None:
        if self.fail:
            raise ConnectionError("SNS unreachable")
        self.published.extend(envelopes)


@dataclass
class FakeClock:
    at: datetime = field(default_factory=lambda: datetime(2026, 11, 25, 12, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


def inbound(
    body: str,
    *,
    receive_count: int = 1,
    message_id: str = "m-1",
    attrs: dict[str, str] | None = None,
) -> InboundMessage:
    return InboundMessage(
        message_id=message_id,
        receipt_handle=f"rh-{message_id}-{receive_count}",
        body=body,
        attributes=dict(attrs or {}),
        receive_count=receive_count,
        raw_body=body,
    )
