"""The configurator's private timer, and the registry its worker parses messages with."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from drsorch.contracts import EVENTS, Event, EventRegistry, Topic


class ConfigurationDue(Event):
    """A delayed self-message: try the request's waiting pairs again.

    Only the configurator sends and reads it (to its own queue, never to a topic);
    the request rides in the envelope's `request_id`.
    """

    event_type: ClassVar[str] = "ConfigurationDue"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("configurator",)

    attempt: Annotated[int, Field(ge=1, le=100_000)]
    """Which retry this is; it makes each timer's event ID distinct."""


REGISTRY = EventRegistry([*EVENTS, ConfigurationDue], EVENTS.upcasters)
"""Every event drsorch publishes, plus the configurator's timer."""
