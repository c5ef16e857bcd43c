"""Structured logs: one JSON object a line, carrying the envelope IDs of what is being handled
and the OpenTelemetry trace and span it is handled in (`trace_id`, `span_id`, hex as
W3C traceparent writes them), so a log line leads to its request's trace and back.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

from drsorch.contracts import EnvelopeHeader
from drsorch.runtime.messages import InboundMessage

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record as JSON, with every `extra` field at top level."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(trace_fields())
        line.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, separators=(",", ":"))


def trace_fields() -> dict[str, str]:
    """`trace_id` and `span_id` of the span current where the line is logged, if any."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {
        "trace_id": trace.format_trace_id(context.trace_id),
        "span_id": trace.format_span_id(context.span_id),
    }


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for the drsorch loggers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("drsorch")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def ids(header: object | None, message: InboundMessage | None) -> dict[str, Any]:
    """The envelope and message IDs of a log line, as far as they are known."""
    fields: dict[str, Any] = {}
    if message is not None:
        fields["message_id"] = message.message_id
        fields["receive_count"] = message.receive_count
    if isinstance(header, EnvelopeHeader):
        fields.update(
            event_id=header.event_id,
            event_type=header.type,
            event_version=header.version,
            request_id=header.request_id,
            causation_id=header.causation_id,
            producer=header.producer,
        )
    return fields


def emit(
    logger: logging.Logger,
    level: int,
    text: str,
    *,
    service: str,
    header: object | None,
    message: InboundMessage | None,
    **fields: Any,
) -> None:
    """Log `text` with the service, the envelope IDs and `fields` as structured fields."""
    logger.log(level, text, extra={"service": service, **ids(header, message), **fields})


def span_attributes(
    service: str, header: EnvelopeHeader, message: InboundMessage
) -> dict[str, str | int]:
    return {
        "messaging.system": "aws_sqs",
        "messaging.operation": "process",
        "messaging.message.id": message.message_id,
        "drsorch.service": service,
        "drsorch.event_id": header.event_id,
        "drsorch.event_type": header.type,
        "drsorch.request_id": header.request_id,
        "drsorch.receive_count": message.receive_count,
    }
