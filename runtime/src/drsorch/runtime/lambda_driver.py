"""The AWS Lambda driver: an SQS event source mapping with partial batch responses.

Enable `ReportBatchItemFailures` on the mapping. A message whose handling must be
retried is reported in `batchItemFailures`; everything else (handled, duplicate,
parked, a timer sent on) is reported done and deleted by Lambda. An EventBridge
schedule invoking the function directly (`detail-type: Scheduled Event`) runs the
service's chores once, e.g. the monitor's sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from drsorch.runtime import logs, tracing
from drsorch.runtime.bootstrap import Runtime, ServiceFactory, open_runtime
from drsorch.runtime.chores import run_once
from drsorch.runtime.messages import from_lambda_record
from drsorch.runtime.settings import RuntimeSettings

SCHEDULED = "Scheduled Event"  # an EventBridge schedule invoking the function: run the chores
LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def lambda_handler(name: str, build: ServiceFactory) -> LambdaHandler:
    """A Lambda handler for the service; clients are built at the first invocation and kept."""
    loop = asyncio.new_event_loop()
    stack = contextlib.AsyncExitStack()
    runtime: list[Runtime] = []

    async def handle(event: dict[str, Any]) -> dict[str, Any]:
        if not runtime:
            settings = RuntimeSettings()
            logs.configure_logging(settings.log_level)
            tracing.configure_tracing(f"drsorch-{name}")
            runtime.append(await stack.enter_async_context(open_runtime(name, build, settings)))
        processor, queue = runtime[0].processor, runtime[0].queue
        if "Records" not in event and event.get("detail-type") == SCHEDULED:
            for chore in processor.service.chores:
                await run_once(processor, chore)
            return {}
        messages = [from_lambda_record(r) for r in event.get("Records", [])]
        results = await asyncio.gather(*(processor.process_or_retry(m) for m in messages))
        failures = []
        for message, result in zip(messages, results, strict=True):
            if not result.finished:
                failures.append({"itemIdentifier": message.message_id})
                with contextlib.suppress(Exception):
                    await queue.change_visibility(message, result.retry_after)
        return {"batchItemFailures": failures}

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return loop.run_until_complete(handle(event))

    return handler
