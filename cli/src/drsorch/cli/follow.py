"""Publishing a request and following it to its end through the CLI's own queue."""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from opentelemetry import context, trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from drsorch.cli.live import LiveProgress
from drsorch.cli.liveness import Liveness
from drsorch.cli.ports import EventFeed, RequestBus
from drsorch.cli.tracker import RequestTracker
from drsorch.contracts import Envelope, Event, FailbackRequested, FailoverRequested, RequestSpec
from drsorch.runtime import tracing

PRODUCER = "cli"


def new_request_id(operation: str, now: datetime, token: str | None = None) -> str:
    """`failback-20261125t120000-1a2b3c`: sortable by time, unique by its random tail."""
    return f"{operation}-{now:%Y%m%dt%H%M%S}-{token or secrets.token_hex(3)}"


def request_envelope(spec: RequestSpec, request_id: str) -> Envelope[Event]:
    """The request event the pipeline starts from."""
    payload = (
        FailbackRequested(spec=spec)
        if spec.operation == "failback"
        else FailoverRequested(spec=spec)
    )
    return Envelope.wrap(payload, request_id=request_id, step="request", producer=PRODUCER)


@contextmanager
def joined_trace(trace_id: str | None) -> Iterator[None]:
    """Within the block, what is published continues the request's trace `trace_id`
    (a step about an earlier request, such as a cancel or a re-protection, joins its one
    trace); without a trace ID, nothing changes."""
    if not trace_id:
        yield
        return
    parent = SpanContext(
        trace_id=int(trace_id, 16),
        span_id=int.from_bytes(secrets.token_bytes(8), "big") or 1,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    token = context.attach(trace.set_span_in_context(NonRecordingSpan(parent)))
    try:
        yield
    finally:
        context.detach(token)


async def publish_request(bus: RequestBus, envelope: Envelope[Event]) -> str:
    """Publish under a span of its own, whose trace the whole request continues; its trace ID."""
    name = f"drsorch {envelope.type}"
    with tracing.tracer().start_as_current_span(
        name, kind=trace.SpanKind.PRODUCER, attributes={"drsorch.request_id": envelope.request_id}
    ) as span:
        await bus.publish(envelope)
        return f"{span.get_span_context().trace_id:032x}"


STAGES = (
    "ServersDiscovered",
    "PairsMatched",
    "TargetConfigured",
    "JobStarted",
    "JobCompleted",
    "RequestCompleted",
)


def _in_pipeline_order(envelope: Envelope[Event]) -> tuple[int, datetime]:
    """SQS delivers in any order; a batch is shown in the pipeline's, then by time."""
    rank = STAGES.index(envelope.type) if envelope.type in STAGES else len(STAGES)
    return rank, envelope.occurred_at


@dataclass
class Followed:
    """How following ended: the tracker, and whether the deadline came first."""

    tracker: RequestTracker
    timed_out: bool


async def follow(
    feed: EventFeed,
    tracker: RequestTracker,
    view: LiveProgress | None,
    deadline: float | None,
    monotonic: Callable[[], float] = time.monotonic,
    *,
    liveness: Liveness | None = None,
) -> Followed:
    """Fold the request's events into `tracker` until `RequestCompleted` is whole.

    `deadline` is a `monotonic()` time; reaching it first returns with `timed_out`.
    With `liveness`, the services' queues are watched meanwhile and a queue nothing
    consumes is said (on the view's console) as soon as it is seen.
    """
    while not tracker.done:
        remaining = None if deadline is None else deadline - monotonic()
        if remaining is not None and remaining <= 0:
            return Followed(tracker, timed_out=True)
        wait = 20 if remaining is None else max(0, min(20, math.ceil(remaining)))
        if liveness is not None:
            for notice in await liveness.check():
                _say(view, notice)
            wait = min(wait, max(1, math.ceil(liveness.seconds_to_next_check())))
        for envelope in sorted(await feed.receive(wait), key=_in_pipeline_order):
            if tracker.apply(envelope) and view is not None:
                view.on_event(envelope, tracker)
        if view is not None:
            view.refresh(tracker)
    return Followed(tracker, timed_out=False)


def _say(view: LiveProgress | None, notice: str) -> None:
    if view is not None:
        view.progress.console.print(notice, markup=False)
