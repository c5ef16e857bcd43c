"""Wiring the monitor: clients built once from the runtime's resources, never at import."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from drsorch.contracts import Accounts
from drsorch.monitor.adapters.cloud import NO_RETRIES, AwsCloud
from drsorch.monitor.adapters.dynamo import DynamoStore
from drsorch.monitor.adapters.telemetry import EmfMetrics, NoNotice, SnsNotifier
from drsorch.monitor.handlers import handlers
from drsorch.monitor.ports import Notifier
from drsorch.monitor.session import Dependencies
from drsorch.monitor.settings import MonitorSettings
from drsorch.monitor.sweep import sweep
from drsorch.monitor.timers import REGISTRY
from drsorch.runtime import Chore, Outbox, Resources, Service
from drsorch.runtime.accounts import AccountClients
from drsorch.runtime.approvals import approval_check
from drsorch.runtime.bootstrap import client_config
from drsorch.runtime.chunks import ChunkAssembler, DynamoChunkStore

NAME = "monitor"
NOTIFICATIONS_OUTPUT = "NotificationsTopicArn"


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


async def dependencies(resources: Resources, settings: MonitorSettings) -> Dependencies:
    """The monitor's ports over real AWS clients (the local endpoint or an account)."""
    table = resources.topology.table_name
    config = client_config(resources.settings)
    clients = AccountClients(resources.session, resources.exit_stack, config)
    once = AccountClients(
        resources.session, resources.exit_stack, config.merge(NO_RETRIES), spokes=clients.spokes
    )
    notices = settings.notification_topic_arn or resources.topology.outputs.get(
        NOTIFICATIONS_OUTPUT
    )
    notifier: Notifier = NoNotice()
    if notices:
        notifier = SnsNotifier(await resources.client("sns"), notices)

    def cloud(accounts: Accounts) -> AwsCloud:
        return AwsCloud(clients, once, accounts)

    return Dependencies(
        store=DynamoStore(resources.dynamodb, table, retention_days=settings.record_retention_days),
        cloud=cloud,
        assembler=ChunkAssembler(DynamoChunkStore(resources.dynamodb, table), REGISTRY),
        metrics=EmfMetrics(settings.metrics_namespace),
        notifier=notifier,
        clock=SystemClock(),
        settings=settings,
        approvals=await approval_check(resources),
    )


def service(deps: Dependencies) -> Service:
    """The monitor as the runtime runs it, its sweep as a chore."""

    async def run_sweep(outbox: Outbox) -> None:
        await sweep(deps, outbox)

    chore = Chore("sweep", deps.settings.sweep_seconds, run_sweep)
    return Service(NAME, REGISTRY, handlers(deps), chores=(chore,))


async def build(resources: Resources, settings: MonitorSettings | None = None) -> Service:
    """The monitor service, its settings from `DRSORCH_MONITOR_*` unless given."""
    return service(await dependencies(resources, settings or MonitorSettings()))


def build_with(settings: MonitorSettings) -> Callable[[Resources], Awaitable[Service]]:
    """A `build` with these settings instead of the environment's (tests, tools)."""

    async def build_service(resources: Resources) -> Service:
        return await build(resources, settings)

    return build_service
