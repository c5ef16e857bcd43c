"""OpenTelemetry for drsorch: one span per handled message, continuing the producer's trace.

Exporters follow the standard variables: `OTEL_TRACES_EXPORTER` (`otlp`, `console`
or `none`, comma-separated; default `none`), `OTEL_SERVICE_NAME`, and the
`OTEL_EXPORTER_OTLP_*` family. `console` writes JSON spans to stdout, or to the
file named by `DRSORCH_TRACES_FILE` (one JSON object a line), which is how a run's
spans are collected without a collector.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)

from drsorch.contracts import TraceContext

TRACER_NAME = "drsorch.runtime"
_configured = threading.Lock()
_done = False


def _line(span: ReadableSpan) -> str:
    return json.dumps(json.loads(span.to_json()), separators=(",", ":")) + "\n"


class SpanFileExporter(SpanExporter):
    """Appends each span to a file as one JSON line, in a single `write`.

    The four workers of a run may share one file: opened with O_APPEND, one write per
    line, lines from different processes never interleave.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        # Open for the life of the process: the exporter writes each span as it ends.
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._fd < 0:  # shut down: a provider's other exporters may still be running
            return SpanExportResult.FAILURE
        for span in spans:
            data = _line(span).encode()
            while data:  # a regular file takes it whole; a short write only splits the line
                data = data[os.write(self._fd, data) :]
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _console_exporter() -> SpanExporter:
    path = os.environ.get("DRSORCH_TRACES_FILE")
    return SpanFileExporter(path) if path else ConsoleSpanExporter(formatter=_line)


def _exporters(names: str) -> list[tuple[SpanExporter, bool]]:
    """(exporter, batch?) for each name in OTEL_TRACES_EXPORTER."""
    chosen: list[tuple[SpanExporter, bool]] = []
    for name in (n.strip() for n in names.split(",")):
        if name in ("", "none"):
            continue
        if name == "console":
            chosen.append((_console_exporter(), False))
        elif name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415 - only when asked for
                OTLPSpanExporter,
            )

            chosen.append((OTLPSpanExporter(), True))
        else:
            raise ValueError(
                f"OTEL_TRACES_EXPORTER: unknown exporter {name!r} (use otlp, console or none)"
            )
    return chosen


def configure_tracing(service_name: str, *, instrument_aws: bool = True) -> None:
    """Install the tracer provider and the botocore/aiobotocore instrumentation, once a process."""
    global _done  # noqa: PLW0603 - process-wide, like the OpenTelemetry globals it sets
    with _configured:
        if _done:
            return
        resource = Resource.create(
            {"service.name": os.environ.get("OTEL_SERVICE_NAME", service_name)}
        )
        provider = TracerProvider(resource=resource)
        for exporter, batch in _exporters(os.environ.get("OTEL_TRACES_EXPORTER", "none")):
            provider.add_span_processor(
                BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
            )
        trace.set_tracer_provider(provider)
        if instrument_aws:
            instrument_aws_clients()
        _done = True


def instrument_aws_clients() -> None:
    """Spans for every boto3 and aiobotocore call.

    Two instrumentors, called explicitly: they register under the same entry-point name.
    """
    from opentelemetry.instrumentation.aiobotocore import AioBotocoreInstrumentor  # noqa: PLC0415
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor  # noqa: PLC0415

    for instrumentor in (BotocoreInstrumentor(), AioBotocoreInstrumentor()):  # type: ignore[no-untyped-call]
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


def current_trace_id() -> str | None:
    """The trace ID (32 hex digits) of the current span, if there is a valid one."""
    context = trace.get_current_span().get_span_context()
    return trace.format_trace_id(context.trace_id) if context.is_valid else None


def current_trace_context() -> TraceContext:
    """The W3C trace context of the current span, for an outgoing envelope."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return TraceContext(
        traceparent=carrier.get("traceparent"), tracestate=carrier.get("tracestate")
    )


def context_from(
    trace_context: TraceContext, attributes: Mapping[str, str]
) -> otel_context.Context:
    """The producer's context: the envelope's own trace fields, else the message attributes."""
    carrier = {
        k: v
        for k, v in {
            "traceparent": trace_context.traceparent or attributes.get("traceparent"),
            "tracestate": trace_context.tracestate or attributes.get("tracestate"),
        }.items()
        if v
    }
    return propagate.extract(carrier)
