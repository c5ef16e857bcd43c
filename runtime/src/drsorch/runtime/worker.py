"""The asyncio worker driver: `python -m drsorch.<service>` runs one of these until SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

from drsorch.runtime import logs, tracing
from drsorch.runtime.bootstrap import ServiceFactory, open_runtime
from drsorch.runtime.chores import run_chores
from drsorch.runtime.consumer import Consumer, ConsumerSettings
from drsorch.runtime.settings import RuntimeSettings

log = logging.getLogger("drsorch.runtime.worker")


async def serve(
    name: str,
    build: ServiceFactory,
    stop: asyncio.Event,
    settings: RuntimeSettings | None = None,
) -> Consumer:
    """Consume the service's queue until `stop` is set; messages in hand are finished first."""
    settings = settings or RuntimeSettings()
    async with open_runtime(name, build, settings) as runtime:
        consumer = Consumer(
            runtime.processor,
            runtime.queue,
            ConsumerSettings(
                pollers=settings.pollers,
                wait_seconds=settings.wait_seconds,
                visibility_seconds=settings.visibility_seconds,
            ),
        )
        log.info("consuming", extra={"service": name, "queue": runtime.queue.url})
        await asyncio.gather(consumer.run(stop), run_chores(runtime.processor, stop))
        log.info("stopped", extra={"service": name, "outcomes": dict(consumer.outcomes)})
        return consumer


def run_worker(name: str, build: ServiceFactory) -> None:
    """Entry point of a service's `__main__`: logs, tracing, SIGTERM/SIGINT, then serve."""
    settings = RuntimeSettings()
    logs.configure_logging(settings.log_level)
    tracing.configure_tracing(f"drsorch-{name}")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await serve(name, build, stop, settings)

    asyncio.run(main())
