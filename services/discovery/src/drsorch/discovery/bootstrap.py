"""Wiring discovery: adapters built once from the runtime's resources, then the handlers."""

from __future__ import annotations

from datetime import UTC, datetime

from drsorch.contracts import EVENTS
from drsorch.discovery.adapters.accounts import AwsAccountAccess
from drsorch.discovery.adapters.dynamo import DynamoDiscoveryRepository
from drsorch.discovery.handlers import Discovery
from drsorch.discovery.settings import DiscoverySettings
from drsorch.runtime import Resources, Service
from drsorch.runtime.accounts import AccountClients
from drsorch.runtime.bootstrap import client_config

NAME = "discovery"


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


async def build(resources: Resources) -> Service:
    """The discovery service on real (or local) AWS; `settings` default to the environment."""
    settings = DiscoverySettings()
    clients = AccountClients(
        resources.session,
        resources.exit_stack,
        client_config(resources.settings),
        session_name="drsorch-discovery",
    )
    discovery = Discovery(
        access=AwsAccountAccess(clients, settings),
        repository=DynamoDiscoveryRepository(resources.dynamodb, resources.topology.table_name),
        clock=utc_now,
        accounts_at_once=settings.accounts_at_once,
    )
    return Service(NAME, EVENTS, discovery.handlers())
