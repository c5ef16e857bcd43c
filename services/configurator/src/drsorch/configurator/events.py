"""The configurator's private timer, and the registry its worker parses messages with."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

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


class RoundTripDue(Event):
    """A delayed self-message: look at DRS again for a reverse replication or a retire.

    Only the configurator sends and reads it; the step request rides in `request_id`.
    """

    event_type: ClassVar[str] = "RoundTripDue"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("configurator",)

    kind: Literal["reverse", "retire"]
    attempt: Annotated[int, Field(ge=1, le=100_000)]


class DrillDue(Event):
    """A delayed self-message of a drill: verify again, clean up (its keep-for is over), or
    look at its TERMINATE jobs again. The drill rides in `request_id`."""

    event_type: ClassVar[str] = "DrillDue"
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic] = Topic.EVENTS
    producers: ClassVar[tuple[str, ...]] = ("configurator",)

    kind: Literal["verify", "cleanup", "terminated"]
    attempt: Annotated[int, Field(ge=1, le=100_000)]


REGISTRY = EventRegistry([*EVENTS, ConfigurationDue, RoundTripDue, DrillDue], EVENTS.upcasters)
"""Every event drsorch publishes, plus the configurator's timers."""
