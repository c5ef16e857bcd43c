"""A service as the runtime runs it: a name, the events it knows, and its handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from drsorch.contracts import Envelope, Event, EventRegistry
from drsorch.runtime.outbox import Outbox

Handler = Callable[[Envelope[Event], Outbox], Awaitable[None]]
"""Handle one event. Raise to have it retried; put what to send in the outbox."""

Handlers = Mapping[str, Handler]


@dataclass(frozen=True)
class Chore:
    """Work a service does on a schedule rather than on a message (the monitor's sweep).

    The worker runs it every `every_seconds` (first at start-up); under Lambda an
    EventBridge schedule invokes the function and every chore runs once. What it puts
    in the outbox is sent as a handler's is.
    """

    name: str
    every_seconds: float
    run: Callable[[Outbox], Awaitable[None]]


@dataclass(frozen=True)
class Service:
    """What a driver needs: the service name, its registry, and handlers by event type."""

    name: str
    registry: EventRegistry
    handlers: Handlers
    chores: tuple[Chore, ...] = ()

    def handler_for(self, event_type: str) -> Handler | None:
        return self.handlers.get(event_type)
