"""Discovery and the matcher as workers on the local endpoint, and a queue that watches them.

`Pipeline` publishes a request to the deployed stack's requests topic and collects,
from an observer queue subscribed (raw) to the events topic, every chunk of the
ServersDiscovered and PairsMatched the services publish for it, keeping the size
of each message as SQS delivered it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from drsorch.contracts import (
    EVENTS,
    Envelope,
    Event,
    PairsMatched,
    RequestCompleted,
    RequestSpec,
    ServersDiscovered,
)
from drsorch.contracts.types import Operation
from drsorch.local.deploy import StackOutputs
from drsorch.runtime import RuntimeSettings, serve
from support.observer import observe, publish_request
from support.producers import publish_as_producers

SQS_LIMIT = 256 * 1024
SNS_NOTIFICATION_FIELDS = 2048


@dataclass
class Seen:
    """Chunks received per (request, event type), and the largest message per request.

    `largest` is in bytes as a queue subscribed without raw delivery receives it.
    """

    chunks: dict[tuple[str, str], dict[int, Envelope[Event]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    largest: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def complete(self, request_id: str, event_type: str) -> list[Envelope[Event]] | None:
        held = self.chunks[(request_id, event_type)]
        if not held:
            return None
        count = next(iter(held.values())).payload.chunk.count  # type: ignore[attr-defined]
        return [held[i] for i in range(count)] if len(held) == count else None

    def record(self, body: str) -> None:
        """Keep one message of the observer queue: its chunk, and its size as delivered."""
        envelope = EVENTS.parse(body)
        chunk = getattr(envelope.payload, "chunk", None)
        index = chunk.index if chunk is not None else 0
        self.chunks[(envelope.request_id, envelope.type)][index] = envelope
        # What a subscriber without raw delivery gets: the body JSON-escaped inside
        # SNS's notification, whose other fields stay under 2 KB.
        size = len(json.dumps(body).encode()) + SNS_NOTIFICATION_FIELDS
        self.largest[envelope.request_id] = max(self.largest[envelope.request_id], size)


class Pipeline:
    """Publish requests; wait for what discovery and the matcher make of them."""

    def __init__(self, stack: StackOutputs, observer_url: str, seen: Seen) -> None:
        self.stack = stack
        self.observer_url = observer_url
        self.seen = seen

    async def request(self, spec: RequestSpec, request_id: str) -> Envelope[Event]:
        return await publish_request(self.stack, spec, request_id)

    async def complete(self, request_id: str, operation: Operation = "failover") -> None:
        """Publish the request's RequestCompleted, as the monitor would."""
        now = datetime.now(UTC)
        done = RequestCompleted(
            status="SUCCEEDED",
            operation=operation,
            drill=False,
            started_at=now,
            ended_at=now,
        )
        envelope = Envelope.wrap(done, request_id=request_id, step="completed", producer="monitor")
        await publish_as_producers(self.stack, [envelope])

    async def result(
        self, request_id: str, event_type: str, within: float = 60.0
    ) -> list[Envelope[Event]]:
        """Every chunk of the event `event_type` for the request, in index order."""
        async with self.seen.changed:
            await asyncio.wait_for(
                self.seen.changed.wait_for(lambda: self.seen.complete(request_id, event_type)),
                within,
            )
        found = self.seen.complete(request_id, event_type)
        assert found is not None
        return found

    async def discovered(self, request_id: str, within: float = 60.0) -> list[ServersDiscovered]:
        chunks = await self.result(request_id, ServersDiscovered.event_type, within)
        return [c.payload for c in chunks]  # type: ignore[misc]

    async def matched(self, request_id: str, within: float = 60.0) -> list[PairsMatched]:
        chunks = await self.result(request_id, PairsMatched.event_type, within)
        return [c.payload for c in chunks]  # type: ignore[misc]


@contextlib.asynccontextmanager
async def running(
    stack_name: str, stack: StackOutputs, observer_url: str, services: Sequence[tuple[str, Any]]
) -> AsyncIterator[Pipeline]:
    """The services (name, build) as in-process workers, and the observer, until exit."""
    seen = Seen()
    stop = asyncio.Event()
    settings = RuntimeSettings(
        stack_name=stack_name,
        wait_seconds=1,
        retry_base_seconds=0,
        retry_busy_seconds=1,
        pollers=2,
        visibility_seconds=60,
    )
    tasks: list[asyncio.Task[Any]] = [
        asyncio.create_task(serve(name, build, stop, settings)) for name, build in services
    ]
    tasks.append(asyncio.create_task(observe(observer_url, seen.record, seen.changed, stop)))
    try:
        yield Pipeline(stack, observer_url, seen)
    finally:
        stop.set()
        results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=30)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]


def elapsed(since: float) -> float:
    return round(time.perf_counter() - since, 2)


def as_json(envelope: Envelope[Event]) -> dict[str, Any]:
    return dict(json.loads(envelope.to_json()))
