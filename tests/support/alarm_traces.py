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


# A small failback for tracing: failed over, reverse replication CONTINUOUS, ready to
# land back in the originals. DRS's simulated clock runs fast: a job takes about a second.
TRACE_ESTATE = """
name: one-trace
phase: failed_over
reverse_replication: {state: CONTINUOUS, lag_seconds: 0}
drs: {seed: 61, clock: {scale: 1000}}
accounts:
  - kind: hub
    servers:
      - {name: trace-db-01, wave: 1, tags: {app: trace}}
      - {name: trace-app-01, wave: 2, tags: {app: trace}}
"""
TRACE_SELECTOR = {"app": "trace"}
SERVICES = ("discovery", "matcher", "configurator", "monitor")

# The monitor's waits, shortened to the simulated clock's pace (DRSORCH_MONITOR_*).
FAST_MONITOR = {
    "poll_min_seconds": 0.5,
    "poll_max_seconds": 1,
    "readiness_poll_seconds": 0.5,
    "batch_linger_seconds": 0,
    "wake_delay_seconds": 0,
    "min_tick_seconds": 0,
}


def request_trace(spans: list[dict[str, Any]], request_id: str) -> list[dict[str, Any]]:
    """The spans of the one trace a request's handling took place in.

    Fails if the spans that handled a message of the request (`drsorch.request_id`)
    are spread over more than one trace.
    """
    traces = by_trace(spans)
    handled = {
        trace_id
        for trace_id, members in traces.items()
        for span in members
        if span.get("attributes", {}).get("drsorch.request_id") == request_id
    }
    assert len(handled) == 1, f"request {request_id} spread over traces {sorted(handled)}"
    return traces[handled.pop()]


def aws_calls(spans: list[dict[str, Any]]) -> set[str]:
    """`Service.Operation` of every AWS call among these spans."""
    return {
        f"{span['attributes']['rpc.service']}.{span['attributes']['rpc.method']}"
        for span in spans
        if "rpc.method" in span.get("attributes", {})
    }
