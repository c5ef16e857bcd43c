"""How an envelope is put on the wire: its message attributes and timer delays."""

from __future__ import annotations

import math
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

    SQS delays in whole seconds, at most 15 minutes. A timer that is not a whole number
    of seconds, or is longer, carries its due time: it is sent with the whole seconds,
    and the consumer holds it for the fraction left (`MessageProcessor`), or sends it on
    again while it arrives more than a second early. Without that, a 1.5 s wait fired
    after 1 s, found nothing due, and asked again for the 0.5 s left, which SQS made 0 s.
    """
    total = max(0.0, delay.total_seconds())
    seconds = math.floor(total)
    attributes = attributes_for(envelope)
    if seconds > MAX_DELAY_SECONDS or total != seconds:
        attributes[ATTR_DUE_AT] = f"{(now + delay).timestamp():.3f}"
    return OutgoingMessage(
        body=envelope.to_json(),
        attributes=attributes,
        delay_seconds=min(seconds, MAX_DELAY_SECONDS),
    )
