"""The monitor's private timers, and the registry its worker parses messages with.

Only the monitor sends and reads these, to its own queue and never to a topic; the
request rides in the envelope's `request_id`.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from drsorch.contracts import EVENTS, Event, EventRegistry, Topic


class MonitorTick(Event):
    """Advance one request: poll its jobs, check readiness, start batches, end waves.

    Every run of a request ends by scheduling the next tick with the next `seq`; a tick
    whose `seq` is no longer the request's current one was superseded and is dropped.
    """

    event_type: ClassVar[str] = "MonitorTick"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("monitor",)

    seq: Annotated[int, Field(ge=1, le=100_000_000)]
    attempt: Annotated[int, Field(ge=0, le=100_000_000)] = 0
    """Retries of this tick while another handler held the request (keeps IDs distinct)."""
    rearm: Annotated[int, Field(ge=0)] = 0
    """Not 0: the sweep's slot that re-armed this tick after the request's own was lost.
    Such a tick proves nothing about earlier runs' events, so they are not forgotten."""


class MonitorWake(Event):
    """Advance one request now: configuration results arrived for it."""

    event_type: ClassVar[str] = "MonitorWake"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("monitor",)

    cause: Annotated[str, Field(min_length=1, max_length=64)]
    """The event ID of the TargetConfigured that caused it (keeps IDs distinct)."""


REGISTRY = EventRegistry([*EVENTS, MonitorTick, MonitorWake], EVENTS.upcasters)
"""Every event drsorch publishes, plus the monitor's timers."""
