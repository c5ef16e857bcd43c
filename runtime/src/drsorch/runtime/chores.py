"""Running a service's chores: on the worker's own clock, or once per scheduled invocation."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from drsorch.runtime.outbox import Outbox
from drsorch.runtime.processor import MessageProcessor
from drsorch.runtime.service import Chore

log = logging.getLogger("drsorch.runtime.chores")


async def run_once(processor: MessageProcessor, chore: Chore) -> bool:
    """Run a chore and send what it asked for; False (logged) if either failed."""
    outbox = Outbox()
    try:
        await chore.run(outbox)
        await processor.flush(outbox)
    except Exception:
        log.exception(
            "chore failed", extra={"service": processor.service.name, "chore": chore.name}
        )
        return False
    return True


async def run_chores(processor: MessageProcessor, stop: asyncio.Event) -> None:
    """Every chore of the service, each on its own period, until `stop` is set."""
    chores = processor.service.chores
    if chores:
        await asyncio.gather(*(_every(processor, chore, stop) for chore in chores))


async def _every(processor: MessageProcessor, chore: Chore, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await run_once(processor, chore)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), chore.every_seconds)
