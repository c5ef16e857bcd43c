"""What a handler asks the runtime to send once it has returned without error."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from drsorch.contracts import Envelope, Event


@dataclass(frozen=True)
class Timer:
    """A delayed self-message: `envelope` comes back to this service after `delay`."""

    envelope: Envelope[Event]
    delay: timedelta


@dataclass
class Outbox:
    """Collects a handler's events and timers; the runtime flushes it only on success.

    Nothing is sent while the handler runs, so a handler that fails halfway sends
    nothing, and its retry sends the same deterministic event IDs once.
    """

    events: list[Envelope[Event]] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)

    def publish(self, *envelopes: Envelope[Event]) -> None:
        self.events.extend(envelopes)

    def schedule(self, envelope: Envelope[Event], delay: timedelta) -> None:
        if delay < timedelta(0):
            raise ValueError(f"a timer's delay cannot be negative: {delay}")
        self.timers.append(Timer(envelope, delay))
