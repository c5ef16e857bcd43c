"""The CLI's AWS side: clients from the standard AWS_* variables, the stack's names, the caller.

Topic ARNs and the monitor's table come from stack `$DRSORCH_STACK_NAME` (default
`drsorch`) or the `DRSORCH_*` variables, exactly as the services learn them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiobotocore.session import get_session
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
)

from drsorch.cli.errors import Unreachable
from drsorch.cli.ports import Caller
from drsorch.contracts import Envelope, Event
from drsorch.runtime.bootstrap import client_config
from drsorch.runtime.calls import record_calls
from drsorch.runtime.errors import TopologyError
from drsorch.runtime.settings import RuntimeSettings, Topology, resolve_topology
from drsorch.runtime.sns import SnsPublisher
from drsorch.runtime.timestamps import read_timestamps_fast

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient
    from types_aiobotocore_kms import KMSClient
    from types_aiobotocore_sns import SNSClient
    from types_aiobotocore_sqs import SQSClient

AWS_ERRORS = (ClientError, BotoCoreError, OSError)


@dataclass(frozen=True)
class Aws:
    """The clients one CLI command uses, and the stack's names."""

    sns: SNSClient
    sqs: SQSClient
    dynamodb: DynamoDBClient
    kms: KMSClient
    topology: Topology
    caller: Caller
    settings: RuntimeSettings


@contextlib.asynccontextmanager
async def open_aws(settings: RuntimeSettings | None = None) -> AsyncIterator[Aws]:
    """Clients, names and caller; `Unreachable` saying what failed when AWS cannot be reached."""
    settings = settings or RuntimeSettings()
    async with contextlib.AsyncExitStack() as stack:
        try:
            aws = await _connect(stack, settings)
        except TopologyError as exc:
            raise Unreachable(str(exc)) from exc
        except AWS_ERRORS as exc:
            raise Unreachable(
                f"cannot read stack {settings.stack_name!r} or the caller's identity: "
                f"{str(exc).rstrip('.')}. "
                "Is the local stack up (drsorch local up) or are AWS credentials set?"
            ) from exc
        yield aws


async def _connect(stack: contextlib.AsyncExitStack, settings: RuntimeSettings) -> Aws:
    session = get_session()
    read_timestamps_fast(session)
    record_calls(session, "cli")  # for the least-privilege proof, when asked for
    config = client_config(settings)

    async def client(name: str) -> Any:
        return await stack.enter_async_context(session.create_client(name, config=config))  # type: ignore[call-overload]

    topology = await resolve_topology("monitor", settings, await client("cloudformation"))
    identity = await (await client("sts")).get_caller_identity()
    return Aws(
        sns=await client("sns"),
        sqs=await client("sqs"),
        dynamodb=await client("dynamodb"),
        kms=await client("kms"),
        topology=topology,
        caller=Caller(account_id=identity["Account"], arn=identity["Arn"]),
        settings=settings,
    )


def lost_contact(
    error: BaseException, request_id: str, *, sent: bool, then: str | None = None
) -> Unreachable:
    """One line for AWS failing mid-command: what happened to the request, and what to do."""
    if isinstance(error, EndpointConnectionError | ConnectTimeoutError | OSError):
        what = f"lost the connection to AWS ({_short(error)})"
    else:
        what = f"AWS refused a call ({_short(error)})"
    if not sent:
        return Unreachable(
            f"{what}; request {request_id} was NOT sent. Run the command again once AWS "
            "answers (drsorch local up for the local stack)."
        )
    then = then or (
        f"the request was sent and goes on without the CLI. Once AWS answers, "
        f"drsorch status {request_id} --wait follows it from where it is, and "
        f"drsorch report {request_id} writes its report"
    )
    return Unreachable(f"{what} while following request {request_id}; {then}.")


def _short(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


class SnsRequestBus:
    """Publishes requests with the runtime's publisher (attributes, trace context, retries)."""

    def __init__(self, aws: Aws) -> None:
        self._publisher = SnsPublisher(aws.sns, aws.topology.topics)

    async def publish(self, envelope: Envelope[Event]) -> None:
        await self._publisher.publish([envelope])
