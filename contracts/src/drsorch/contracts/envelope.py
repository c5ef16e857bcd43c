"""The envelope every event travels in, and deterministic event IDs."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, ClassVar, Generic, Self, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

# Namespace of every drsorch event ID (uuid5); changing it changes every ID.
EVENT_ID_NAMESPACE = uuid.UUID("6f1d4a52-3c1e-4b8e-9d0e-5a2f7c9b8e41")

EventType = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z0-9]{2,63}$")]
EventId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")]
RequestId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{7,63}$")]
Producer = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,63}$")]
Step = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Traceparent = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
]


class Topic(StrEnum):
    """Logical SNS topics. Physical names and ARNs come from stack outputs or environment."""

    REQUESTS = "requests"
    EVENTS = "events"


class Event(BaseModel):
    """Base of every event payload: frozen, strict, tolerant of unknown fields.

    Subclasses set `event_type`, `event_version` and `topic`, and name the parts of
    drsorch that publish them in `producers`. Unknown fields are ignored so a
    producer may add optional fields within a major version; anything else is a new
    `event_version`.
    """

    model_config = ConfigDict(
        frozen=True, extra="ignore", strict=True, use_attribute_docstrings=True
    )

    event_type: ClassVar[str]
    event_version: ClassVar[int]
    topic: ClassVar[Topic]
    producers: ClassVar[tuple[str, ...]] = ()


class TraceContext(BaseModel):
    """W3C trace context of the producer's span (https://www.w3.org/TR/trace-context/)."""

    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)

    traceparent: Traceparent | None = None
    tracestate: Annotated[str, StringConstraints(max_length=512)] | None = None

    @property
    def trace_id(self) -> str | None:
        """The trace ID in `traceparent` (32 hex digits): the request's trace, end to end."""
        return self.traceparent.split("-")[1] if self.traceparent else None


class EnvelopeHeader(BaseModel):
    """Everything in an envelope except the payload; readable before the type is known."""

    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)

    event_id: EventId
    type: EventType
    version: Annotated[int, Field(ge=1, le=999)]
    request_id: RequestId
    causation_id: EventId | None = None
    occurred_at: AwareDatetime
    producer: Producer
    trace: TraceContext = TraceContext()


P_co = TypeVar("P_co", bound=Event, covariant=True)  # an Envelope[Ping] is an Envelope[Event]
E = TypeVar("E", bound=Event)


class Envelope(EnvelopeHeader, Generic[P_co]):
    """An event with its envelope. Build new ones with `Envelope.wrap`."""

    payload: P_co

    @classmethod
    def wrap(
        cls,
        payload: E,
        *,
        request_id: str,
        step: str,
        producer: str,
        causation_id: str | None = None,
        occurred_at: datetime | None = None,
        trace: TraceContext | None = None,
    ) -> Envelope[E]:
        """Envelope `payload`, its ID derived from the request, the step and the content."""
        return Envelope[E](
            event_id=derive_event_id(request_id, step, payload),
            type=payload.event_type,
            version=payload.event_version,
            request_id=request_id,
            causation_id=causation_id,
            occurred_at=occurred_at or datetime.now(UTC),
            producer=producer,
            trace=trace or TraceContext(),
            payload=payload,
        )

    def with_trace(self, trace: TraceContext) -> Self:
        """The same envelope carrying another trace context (IDs unchanged)."""
        return self.model_copy(update={"trace": trace})

    def to_json(self) -> str:
        """The wire form: compact JSON, the payload under `payload`."""
        return self.model_dump_json(exclude_none=True)


def canonical_json(event: Event) -> str:
    """Sorted, compact JSON of a payload: equal content gives equal text."""
    return json.dumps(event.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def derive_event_id(request_id: str, step: str, event: Event) -> str:
    """A stable event ID: a function of the request, the step and the payload's content.

    A handler that runs twice for the same input produces the same IDs, so the
    consumers' inboxes drop the second copy.
    """
    digest = hashlib.sha256(canonical_json(event).encode()).hexdigest()
    name = f"{request_id}\n{step}\n{event.event_type}\n{event.event_version}\n{digest}"
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, name))
