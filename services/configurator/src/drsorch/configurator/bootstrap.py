"""Wiring: the configurator's handlers over real AWS adapters, built once per worker."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from drsorch.configurator.adapters.cloud import AwsCloud
from drsorch.configurator.adapters.drill import DrillAwsAdapter
from drsorch.configurator.adapters.dynamodb import DynamoStore
from drsorch.configurator.adapters.pipeline import PipelineAdapter
from drsorch.configurator.adapters.roundtrip import RoundTripDrsAdapter, RoundTripDynamo
from drsorch.configurator.adapters.slot_ledger import DynamoSlotLedger
from drsorch.configurator.dependencies import Dependencies, Drill, Pipeline, RoundTrip
from drsorch.configurator.events import REGISTRY
from drsorch.configurator.handlers import handlers
from drsorch.configurator.ports import Approvals
from drsorch.configurator.settings import ConfiguratorSettings
from drsorch.contracts import Accounts
from drsorch.runtime import Resources, Service, ServiceFactory
from drsorch.runtime.accounts import AccountClients
from drsorch.runtime.approvals import approval_check
from drsorch.runtime.bootstrap import client_config
from drsorch.runtime.chunks import ChunkAssembler, DynamoChunkStore

NAME = "configurator"


class _WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def build_with(
    settings: ConfiguratorSettings | None = None, approvals: Approvals | None = None
) -> ServiceFactory:
    """A service factory for `serve`/`run_worker`, with these settings (default: environment).

    `approvals` replaces the check of the deployment's approvals key only where a test
    of something else wires the worker itself; every deployed or local worker checks.
    """

    async def build(resources: Resources) -> Service:
        chosen = settings or ConfiguratorSettings()
        clients = AccountClients(
            resources.session,
            resources.exit_stack,
            client_config(resources.settings),
            session_name="drsorch-configurator",
        )
        table = resources.topology.table_name

        def cloud(accounts: Accounts) -> AwsCloud:
            return AwsCloud(clients, accounts)

        def round_trip_drs(accounts: Accounts) -> tuple[RoundTripDrsAdapter, Counter[str]]:
            calls: Counter[str] = Counter()
            return RoundTripDrsAdapter(AwsCloud(clients, accounts).client, calls), calls

        def pipeline_cloud(accounts: Accounts) -> tuple[PipelineAdapter, Counter[str]]:
            calls: Counter[str] = Counter()
            return PipelineAdapter(AwsCloud(clients, accounts).client, calls), calls

        def drill_aws(accounts: Accounts) -> tuple[DrillAwsAdapter, Counter[str]]:
            calls: Counter[str] = Counter()
            return DrillAwsAdapter(AwsCloud(clients, accounts).client, calls), calls

        round_trip_store = RoundTripDynamo(resources.dynamodb, table)
        deps = Dependencies(
            store=DynamoStore(resources.dynamodb, table),
            cloud=cloud,
            assembler=ChunkAssembler(DynamoChunkStore(resources.dynamodb, table), REGISTRY),
            clock=_WallClock(),
            settings=chosen,
            approvals=approvals or await approval_check(resources),
            round_trip=RoundTrip(round_trip_store, round_trip_drs),
            drill=Drill(round_trip_store, drill_aws),
            pipeline=Pipeline(pipeline_cloud, DynamoSlotLedger(resources.dynamodb, table)),
        )
        return Service(NAME, REGISTRY, handlers(deps))

    return build


async def build(resources: Resources) -> Service:
    """The configurator as the runtime runs it: `serve("configurator", build, stop)`."""
    return await build_with()(resources)
