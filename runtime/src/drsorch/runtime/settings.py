"""Runtime settings, from `DRSORCH_*` variables, and the names the stack outputs provide."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from drsorch.contracts import Topic
from drsorch.runtime.errors import TopologyError

if TYPE_CHECKING:
    from types_aiobotocore_cloudformation import CloudFormationClient


class RuntimeSettings(BaseSettings):
    """How a service runs. Names left unset are read from the CloudFormation stack's outputs."""

    model_config = SettingsConfigDict(env_prefix="DRSORCH_", extra="ignore")

    stack_name: str = "drsorch"
    queue_url: str | None = None
    table_name: str | None = None
    requests_topic_arn: str | None = None
    events_topic_arn: str | None = None
    """The service's own events topic (only its role may publish there)."""
    producer_topic_arns: dict[str, str] | None = None
    """Each producer's topic (`cli`: the requests topic), by producer; unset, from the
    stack's outputs. What a consumer trusts an event's delivering topic against."""
    pollers: int = Field(default=2, ge=1, le=16)
    wait_seconds: int = Field(default=20, ge=0, le=20)
    visibility_seconds: int = Field(default=60, ge=1, le=43200)
    retry_base_seconds: int = Field(default=5, ge=0, le=900)
    retry_max_seconds: int = Field(default=300, ge=0, le=43200)
    retry_busy_seconds: int = Field(default=10, ge=0, le=43200)
    """Wait before retrying an event another consumer is handling right now."""
    inbox_lease_seconds: int | None = Field(default=None, ge=1, le=86400)
    """How long a consumer holds an event it handles. Unset: the longest the queue's redrive
    window allows (at most 300 s); set, it must fit that window or the service refuses to
    start (see `drsorch.runtime.redrive`)."""
    aws_max_attempts: int = Field(default=5, ge=1, le=20)
    aws_max_pool_connections: int = Field(default=32, ge=1, le=256)
    """Connections each AWS client keeps open: at least as many as the calls a service
    makes at once (botocore's 10 would queue the rest behind them)."""
    approvals_key_arn: str | None = None
    """The key approvers sign applies with; unset: the stack's `ApprovalsKeyArn` output."""
    approvals_required: int = Field(default=1, ge=1, le=5)
    """Distinct approvers every apply needs at least (a request may demand more)."""
    log_level: str = "INFO"


@dataclass(frozen=True)
class Topology:
    """The names one service needs: its queue, its table, and the topics it publishes to."""

    queue_url: str
    table_name: str
    topics: dict[Topic, str]
    outputs: Mapping[str, str] = field(default_factory=dict)
    """Every output of the stack, where it was read (empty when the variables named all)."""
    producer_topics: Mapping[str, str] = field(default_factory=dict)
    """The topic each producer alone publishes to, by producer (`cli`: the requests topic)."""


PRODUCERS = ("discovery", "matcher", "configurator", "monitor")


def producer_topics_from(outputs: Mapping[str, str]) -> dict[str, str]:
    """Each producer's topic from the stack outputs (`MonitorEventsTopicArn`, ...)."""
    found = {p: outputs.get(output_key(p, "EventsTopicArn"), "") for p in PRODUCERS}
    found["cli"] = outputs.get("RequestsTopicArn", "")
    return {producer: arn for producer, arn in found.items() if arn}


def output_key(service: str, what: str) -> str:
    """The stack output naming one of a service's resources, e.g. `DiscoveryQueueUrl`."""
    return f"{service.capitalize()}{what}"


async def resolve_topology(
    service: str, settings: RuntimeSettings, cloudformation: CloudFormationClient
) -> Topology:
    """Names from the settings where given, else from the stack's outputs."""
    wanted = {
        "queue_url": (settings.queue_url, output_key(service, "QueueUrl")),
        "table_name": (settings.table_name, output_key(service, "TableName")),
        "requests": (settings.requests_topic_arn, "RequestsTopicArn"),
        "events": (settings.events_topic_arn, output_key(service, "EventsTopicArn")),
    }
    outputs: dict[str, str] = {}
    if settings.producer_topic_arns is None or any(v is None for v, _ in wanted.values()):
        stacks = await cloudformation.describe_stacks(StackName=settings.stack_name)
        for stack in stacks["Stacks"]:
            outputs.update({o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])})
    resolved = {name: value or outputs.get(key) for name, (value, key) in wanted.items()}
    missing = [wanted[name][1] for name, value in resolved.items() if not value]
    if missing:
        raise TopologyError(
            f"{service}: no value for {', '.join(missing)}: set DRSORCH_* variables "
            f"or deploy stack {settings.stack_name!r}"
        )
    producers = settings.producer_topic_arns or producer_topics_from(outputs)
    absent = [p for p in (*PRODUCERS, "cli") if p not in producers]
    if absent:
        raise TopologyError(
            f"{service}: no topic known for {', '.join(absent)}: deploy stack "
            f"{settings.stack_name!r} (its <Service>EventsTopicArn outputs) or set "
            "DRSORCH_PRODUCER_TOPIC_ARNS"
        )
    return Topology(
        queue_url=str(resolved["queue_url"]),
        table_name=str(resolved["table_name"]),
        topics={Topic.REQUESTS: str(resolved["requests"]), Topic.EVENTS: str(resolved["events"])},
        outputs=outputs,
        producer_topics=producers,
    )
