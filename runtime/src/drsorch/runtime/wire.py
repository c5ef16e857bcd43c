"""How an envelope is put on the wire: its message attributes and timer delays."""

from __future__ import annotations

from datetime import datetime, timedelta

from drsorch.contracts import Envelope, Event
from drsorch.runtime.messages import (
    ATTR_DUE_AT,
    ATTR_REQUEST_ID,
    ATTR_TRACEPARENT,
    ATTR_TRACESTATE,
    ATTR_TYPE,
    ATTR_VERSION,
    MAX_DELAY_SECONDS,
)
from drsorch.runtime.ports import OutgoingMessage


def attributes_for(envelope: Envelope[Event]) -> dict[str, str]:
    """Attributes subscription filter policies and consumers read without parsing the body."""
    attributes = {
        ATTR_TYPE: envelope.type,
        ATTR_VERSION: str(envelope.version),
        ATTR_REQUEST_ID: envelope.request_id,
    }
    if envelope.trace.traceparent:
        attributes[ATTR_TRACEPARENT] = envelope.trace.traceparent
    if envelope.trace.tracestate:
        attributes[ATTR_TRACESTATE] = envelope.trace.tracestate
    return attributes


def outgoing_timer(envelope: Envelope[Event], delay: timedelta, now: datetime) -> OutgoingMessage:
    """A self-message due `delay` from `now`.

    SQS delays at most 15 minutes; a longer timer carries its due time and is sent
    on again by the consumer each time it arrives early.
    """
    seconds = max(0, int(delay.total_seconds()))
    attributes = attributes_for(envelope)
    if seconds > MAX_DELAY_SECONDS:
        attributes[ATTR_DUE_AT] = str(int((now + delay).timestamp()))
    return OutgoingMessage(
        body=envelope.to_json(),
        attributes=attributes,
        delay_seconds=min(seconds, MAX_DELAY_SECONDS),
    )
