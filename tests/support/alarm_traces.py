"""Spans in tests: recording them in memory, and reading a run's spans file by trace."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


def sdk_provider() -> TracerProvider:
    """The process's SDK tracer provider, installed if there is none yet.

    OpenTelemetry lets a process set its provider once, so test modules add their
    exporters to the one provider instead of each setting its own.
    """
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    return provider


def export_to(exporter: SpanExporter) -> SpanExporter:
    sdk_provider().add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def memory_spans() -> InMemorySpanExporter:
    """An in-memory exporter receiving every span this process ends from now on."""
    exporter = InMemorySpanExporter()
    export_to(exporter)
    return exporter


def traceparent(trace_id: int, span_id: int) -> str:
    return f"00-{trace_id:032x}-{span_id:016x}-01"


def read_spans(path: Path) -> list[dict[str, Any]]:
    """Every span in a spans file (one JSON object a line), in the order written."""
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def by_trace(spans: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Spans grouped by their trace ID (hex, as the file writes it, without `0x`)."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for span in spans:
        grouped[span["context"]["trace_id"].removeprefix("0x")].append(span)
    return dict(grouped)


def services_in(spans: list[dict[str, Any]]) -> set[str]:
    """The drsorch services that handled a message in these spans."""
    return {
        str(span["attributes"]["drsorch.service"])
        for span in spans
        if "drsorch.service" in span.get("attributes", {})
    }
