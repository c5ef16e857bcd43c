"""A log line carries the trace and span it was written in, so it leads to its trace."""

from __future__ import annotations

import json
import logging

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from drsorch.runtime.logs import JsonFormatter


def _line(text: str) -> dict[str, object]:
    record = logging.LogRecord("drsorch.test", logging.INFO, __file__, 1, text, None, None)
    line: dict[str, object] = json.loads(JsonFormatter().format(record))
    return line


def test_a_line_written_in_a_span_names_its_trace_and_span() -> None:
    tracer = TracerProvider().get_tracer("test")  # a tracer of its own: no global provider
    with tracer.start_as_current_span("handle") as span:
        line = _line("handled")
    context = span.get_span_context()
    assert line["trace_id"] == f"{context.trace_id:032x}"
    assert line["span_id"] == f"{context.span_id:016x}"


def test_a_line_outside_any_span_has_no_trace_fields() -> None:
    assert trace.get_current_span().get_span_context().is_valid is False
    line = _line("idle")
    assert "trace_id" not in line
    assert "span_id" not in line
