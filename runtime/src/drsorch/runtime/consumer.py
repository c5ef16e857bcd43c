"""The worker's consumer: long-polls the queue, handles messages concurrently, settles
in batches.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from drsorch.runtime.messages import InboundMessage
from drsorch.runtime.ports import Queue
from drsorch.runtime.processor import MessageProcessor, Outcome, Processed

log = logging.getLogger("drsorch.runtime.consumer")


@dataclass(frozen=True)
class ConsumerSettings:
    pollers: int = 2  # concurrent long polls: draining fast keeps the queue shallow
    wait_seconds: int = 20
    visibility_seconds: int = 60  # the queue's own; a running handler's lease is renewed
    receive_error_pause: float = 1.0

    @property
    def heartbeat_seconds(self) -> float:
        return max(self.visibility_seconds / 3, 1.0)


class Consumer:
    """Runs until `stop` is set, then finishes the messages in hand and returns."""

    def __init__(
        self, processor: MessageProcessor, queue: Queue, settings: ConsumerSettings
    ) -> None:
        self.processor = processor
        self.queue = queue
        self.settings = settings
        self.outcomes: Counter[Outcome] = Counter()

    async def run(self, stop: asyncio.Event) -> None:
        async with asyncio.TaskGroup() as group:
            for _ in range(self.settings.pollers):
                group.create_task(self._poll(stop))

    async def _poll(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            messages = await self._receive(stop)
            if messages:
                await self.settle(messages, await self.handle(messages))

    async def _receive(self, stop: asyncio.Event) -> list[InboundMessage]:
        receive = asyncio.create_task(self.queue.receive(10, self.settings.wait_seconds))
        stopping = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({receive, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if receive not in done:
            # Shutting down: let the long poll in flight finish (at most wait_seconds) and
            # hand back at once what it brought. Cancelling it instead would leave moto or
            # SQS to deliver into the void, hiding those messages for a visibility timeout.
            with contextlib.suppress(Exception):
                for message in await receive:
                    await self.queue.change_visibility(message, 0)
            return []
        try:
            return receive.result()
        except Exception:
            log.exception("receive failed", extra={"queue": getattr(self.queue, "url", "")})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.receive_error_pause)
            return []

    async def handle(self, messages: Sequence[InboundMessage]) -> list[Processed]:
        return list(await asyncio.gather(*(self._one(m) for m in messages)))

    async def settle(
        self, messages: Sequence[InboundMessage], results: Sequence[Processed]
    ) -> None:
        """Delete what is finished in one batch; let the rest return after their backoff."""
        self.outcomes.update(r.outcome for r in results)
        try:
            await self.queue.delete(
                [m for m, r in zip(messages, results, strict=True) if r.finished]
            )
        except Exception:
            # A message not deleted comes back; the inbox drops the repeat. The poller lives on.
            log.exception("delete failed", extra={"queue": getattr(self.queue, "url", "")})
        for message, result in zip(messages, results, strict=True):
            if not result.finished:
                with contextlib.suppress(Exception):  # it returns at its visibility timeout anyway
                    await self.queue.change_visibility(message, result.retry_after)

    async def _one(self, message: InboundMessage) -> Processed:
        heartbeat = asyncio.create_task(self._keep_invisible(message))
        try:
            return await self.processor.process_or_retry(message)
        finally:
            heartbeat.cancel()

    async def _keep_invisible(self, message: InboundMessage) -> None:
        """Renew the message's invisibility while its handler runs long."""
        while True:
            await asyncio.sleep(self.settings.heartbeat_seconds)
            with contextlib.suppress(Exception):
                await self.queue.change_visibility(message, self.settings.visibility_seconds)
