"""drsorch contracts: the envelope, every versioned event, and their schema export.

Services exchange only what is declared here. An event is a frozen pydantic model
(its payload); the `Envelope` carries it with the IDs, time, producer and trace
context every consumer needs. `EVENTS` is the registry of every known
(type, version) pair; `EVENTS.parse(raw)` is the single way a consumer turns bytes
from the bus into a typed envelope.
"""

from drsorch.contracts.envelope import (
    Envelope,
    EnvelopeHeader,
    Event,
    Topic,
    TraceContext,
    derive_event_id,
)
from drsorch.contracts.errors import (
    ContractError,
    InvalidPayload,
    MalformedEnvelope,
    UnknownEventType,
    UnknownVersion,
)
from drsorch.contracts.registry import EventRegistry

__all__ = [
    "ContractError",
    "Envelope",
    "EnvelopeHeader",
    "Event",
    "EventRegistry",
    "InvalidPayload",
    "MalformedEnvelope",
    "Topic",
    "TraceContext",
    "UnknownEventType",
    "UnknownVersion",
    "derive_event_id",
]
