"""Wiring a service to AWS: clients built once from the standard AWS_* variables.

`AWS_ENDPOINT_URL`, `AWS_DEFAULT_REGION` and the credential variables decide where
the clients go: the local endpoint or a real account, with no code path knowing which.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session

from drsorch.runtime.calls import record_calls
from drsorch.runtime.inbox import DynamoInbox
from drsorch.runtime.processor import MessageProcessor, RetryPolicy
from drsorch.runtime.redrive import choose_lease
from drsorch.runtime.senders import Senders
from drsorch.runtime.service import Service
from drsorch.runtime.settings import RuntimeSettings, Topology, resolve_topology
from drsorch.runtime.sns import SnsPublisher
from drsorch.runtime.sqs import SqsQueue
from drsorch.runtime.timestamps import read_timestamps_fast

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient
    from types_aiobotocore_sns import SNSClient
    from types_aiobotocore_sqs import SQSClient


def client_config(settings: RuntimeSettings) -> AioConfig:
    """Explicit retries (botocore's default mode has changed between releases), and a
    connection pool as wide as the calls a service makes at once."""
    return AioConfig(
        retries={"mode": "standard", "max_attempts": settings.aws_max_attempts},
        max_pool_connections=settings.aws_max_pool_connections,
    )


@dataclass(frozen=True)
class Resources:
    """What a service's own bootstrap may use to build its handlers and adapters."""

    session: AioSession
    settings: RuntimeSettings
    topology: Topology
    dynamodb: DynamoDBClient
    exit_stack: contextlib.AsyncExitStack

    async def client(self, service_name: str) -> Any:
        """Another aiobotocore client, closed with the runtime (e.g. `drs`, `ec2`, `sts`)."""
        return await self.exit_stack.enter_async_context(
            self.session.create_client(service_name, config=client_config(self.settings))  # type: ignore[call-overload]
        )


ServiceFactory = Callable[[Resources], Awaitable[Service]]


@dataclass(frozen=True)
class Runtime:
    processor: MessageProcessor
    queue: SqsQueue
    resources: Resources


@contextlib.asynccontextmanager
async def open_runtime(
    name: str, build: ServiceFactory, settings: RuntimeSettings | None = None
) -> AsyncIterator[Runtime]:
    """Clients, topology, queue, inbox and the service's processor; all closed on exit."""
    settings = settings or RuntimeSettings()
    session = get_session()
    read_timestamps_fast(session)
    record_calls(session, name)  # only when DRSORCH_AWS_CALLS_FILE names a file
    config = client_config(settings)
    async with contextlib.AsyncExitStack() as stack:
        cloudformation = await stack.enter_async_context(
            session.create_client("cloudformation", config=config)
        )
        topology = await resolve_topology(name, settings, cloudformation)
        sqs: SQSClient = await stack.enter_async_context(
            session.create_client("sqs", config=config)
        )
        sns: SNSClient = await stack.enter_async_context(
            session.create_client("sns", config=config)
        )
        dynamodb: DynamoDBClient = await stack.enter_async_context(
            session.create_client("dynamodb", config=config)
        )
        queue, limits = await SqsQueue.open(sqs, topology.queue_url)
        lease = choose_lease(
            topology.queue_url,
            limits,
            configured=settings.inbox_lease_seconds,
            busy_seconds=settings.retry_busy_seconds,
            heartbeat_seconds=settings.visibility_seconds,
        )
        resources = Resources(session, settings, topology, dynamodb, stack)
        service = await build(resources)
        processor = MessageProcessor(
            service,
            queue,
            SnsPublisher(sns, topology.topics),
            DynamoInbox(dynamodb, topology.table_name, lease=timedelta(seconds=lease)),
            max_receives=limits.max_receives,
            renew_after=lease,
            senders=Senders(name, topology.producer_topics),
            retry=RetryPolicy(
                settings.retry_base_seconds,
                settings.retry_max_seconds,
                settings.retry_busy_seconds,
            ),
        )
        yield Runtime(processor, queue, resources)
