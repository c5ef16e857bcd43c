"""Throwaway events for exercising the runtime without any service's contracts."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from drsorch.contracts import Envelope, Event, EventRegistry, Topic

ANY_SERVICE = ("discovery", "matcher", "configurator", "monitor")
"""Who may produce these test events: any service, to itself or through its own topic."""


class Ping(Event):
    """Sent on the events topic; `fail_times` makes a handler fail that many receives."""

    event_type: ClassVar[str] = "Ping"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ANY_SERVICE

    n: Annotated[int, Field(ge=0, le=1_000_000)]
    note: Annotated[str, Field(max_length=200)] = ""


class Pong(Event):
    event_type: ClassVar[str] = "Pong"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ANY_SERVICE

    n: Annotated[int, Field(ge=0, le=1_000_000)]


class Tick(Event):
    """A timer a service sends itself."""

    event_type: ClassVar[str] = "Tick"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ANY_SERVICE

    n: Annotated[int, Field(ge=0, le=1_000_000)]


TEST_EVENTS = EventRegistry([Ping, Pong, Tick])


def ping(n: int, request_id: str = "req-test-0001", note: str = "") -> Envelope[Event]:
    return Envelope.wrap(
        Ping(n=n, note=note), request_id=request_id, step=f"ping-{n}", producer="test"
    )
