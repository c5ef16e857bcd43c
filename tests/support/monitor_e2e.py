"""The four services as workers on the local endpoint, and an observer of the events topic.

`running` starts discovery, the matcher, the configurator and the monitor as in-process
`serve` tasks (each with its own queue, table and settings, as separate processes
would have them) and an observer that reads every event of the events topic from a
raw subscription. `Flow.request` publishes a FailbackRequested or FailoverRequested;
`Flow.completed` waits for every chunk of its RequestCompleted.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from drsorch.configurator.bootstrap import build_with as configurator_with
from drsorch.configurator.settings import ConfiguratorSettings
from drsorch.contracts import (
    EVENTS,
    Envelope,
    Event,
    RequestCompleted,
    RequestSpec,
)
from drsorch.discovery.bootstrap import build as discovery
from drsorch.local.deploy import StackOutputs
from drsorch.matcher.bootstrap import build as matcher
from drsorch.monitor.bootstrap import build_with as monitor_with
from drsorch.monitor.settings import MonitorSettings
from drsorch.runtime import RuntimeSettings, ServiceFactory, serve
from support.observer import observe, publish_request

FAST_MONITOR = MonitorSettings(
    poll_min_seconds=1,
    poll_max_seconds=3,
    readiness_poll_seconds=2,
    batch_linger_seconds=2,
    intent_settle_seconds=2,
    lease_seconds=20,
    start_retry_seconds=2,
    capacity_retry_seconds=2,
    wake_delay_seconds=1,
)
FAST_CONFIGURATOR = ConfiguratorSettings(retry_seconds=1, prepare_deadline_seconds=300)


def runtime(stack: str, **changes: Any) -> RuntimeSettings:
    values: dict[str, Any] = {
        "stack_name": stack,
        "wait_seconds": 1,
        "retry_base_seconds": 1,
        "retry_busy_seconds": 1,
        "pollers": 2,
        "visibility_seconds": 60,
        **changes,
    }
    return RuntimeSettings.model_validate(values)


def services(monitor: MonitorSettings = FAST_MONITOR) -> list[tuple[str, ServiceFactory]]:
    return [
        ("discovery", discovery),
        ("matcher", matcher),
        ("configurator", configurator_with(FAST_CONFIGURATOR)),
        ("monitor", monitor_with(monitor)),
    ]


@dataclass
class Flow:
    """Requests in; every event the services publish, by request, out."""

    stack: StackOutputs
    seen: dict[str, dict[str, Envelope[Event]]] = field(default_factory=lambda: defaultdict(dict))
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def request(self, spec: RequestSpec, request_id: str) -> None:
        await publish_request(self.stack, spec, request_id)

    def record(self, body: str) -> None:
        """Keep one message of the observer queue, once per event ID."""
        envelope = EVENTS.parse(body)
        self.seen[envelope.request_id][envelope.event_id] = envelope

    def events(self, request_id: str, event_type: str) -> list[Any]:
        """Payloads of one type for a request, each event once, in arrival order."""
        return [e.payload for e in self.seen[request_id].values() if e.type == event_type]

    def report(self, request_id: str) -> list[RequestCompleted] | None:
        chunks = sorted(self.events(request_id, "RequestCompleted"), key=lambda c: c.chunk.index)
        if not chunks or len(chunks) < chunks[0].chunk.count:
            return None
        return list(chunks)

    async def completed(self, request_id: str, within: float) -> list[RequestCompleted]:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: self.report(request_id)), within)
        found = self.report(request_id)
        assert found is not None
        return found


@contextlib.asynccontextmanager
async def running(
    stack: StackOutputs,
    observer_url: str,
    workers: Sequence[tuple[str, ServiceFactory]],
    settings: dict[str, RuntimeSettings] | None = None,
) -> AsyncIterator[Flow]:
    """The services as in-process workers, and the observer, until exit."""
    flow = Flow(stack)
    stop = asyncio.Event()
    chosen = settings or {}
    tasks: list[asyncio.Task[Any]] = [
        asyncio.create_task(serve(name, build, stop, chosen.get(name, runtime(stack.stack_name))))
        for name, build in workers
    ]
    tasks.append(asyncio.create_task(observe(observer_url, flow.record, flow.changed, stop)))
    try:
        yield flow
    finally:
        stop.set()
        results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=60)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]
