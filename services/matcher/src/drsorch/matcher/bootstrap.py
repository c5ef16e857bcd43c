"""Wiring the matcher: its table (plans, failover pairs, chunks) behind its handlers."""

from __future__ import annotations

from drsorch.contracts import EVENTS
from drsorch.matcher.adapters.dynamo import DynamoPlanRepository
from drsorch.matcher.handlers import Matcher
from drsorch.runtime import Resources, Service
from drsorch.runtime.chunks import ChunkAssembler, DynamoChunkStore

NAME = "matcher"


async def build(resources: Resources) -> Service:
    """The matcher service, on the clients and table the runtime opened for it."""
    table = resources.topology.table_name
    matcher = Matcher(
        repository=DynamoPlanRepository(resources.dynamodb, table),
        assembler=ChunkAssembler(DynamoChunkStore(resources.dynamodb, table), EVENTS),
    )
    return Service(NAME, EVENTS, matcher.handlers())
