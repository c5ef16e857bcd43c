"""What the matcher needs from outside: its own table, and the chunks it reassembles.

Events go out through the runtime's outbox, so there is no publisher port here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from drsorch.contracts import Chunk, Envelope, Event
from drsorch.matcher.records import FailoverPair, Plan


@dataclass(frozen=True)
class PlanSummary:
    """What the matcher decided for one request, besides the per-server records."""

    request_id: str
    operation: str
    plan_hash: str
    approved_plan_hash: str | None
    launch_into: str
    plan_only: bool
    drill: bool


@dataclass(frozen=True)
class SavedPlan:
    """A plan as the table keeps it: the summary, and each server's decision."""

    summary: PlanSummary
    decisions: dict[str, tuple[str, str | None]]
    """Server ID -> (`pair`, `unmatched` or `ambiguous`; the target instance, if paired)."""
    origins: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    """Paired server ID -> (its account, the origin instance DRS recorded at matching)."""


class PlanRepository(Protocol):
    """The matcher's table: each request's plan, and the failover pairs failback needs."""

    async def save_plan(self, summary: PlanSummary, plan: Plan) -> None:
        """Keep the plan of one request: a summary, and one record per server."""
        ...

    async def plan(self, request_id: str, servers: Sequence[str] | None = None) -> SavedPlan | None:
        """The plan kept for one request, if any; with `servers`, its summary and the
        decisions of those servers only (the others' records are not read)."""
        ...

    async def save_failover_pairs(self, pairs: Sequence[FailoverPair]) -> None:
        """Keep pairs a failover proved it landed, findable by server and by target instance."""
        ...

    async def failover_pairs(
        self, servers: Sequence[tuple[str, str]], instance_ids: Sequence[str]
    ) -> list[FailoverPair]:
        """Stored failover pairs of these (account, server ID)s or these target instances."""
        ...


class Assembler(Protocol):
    """Reassembles a chunked event (the runtime's `ChunkAssembler` is one)."""

    async def add(self, envelope: Envelope[Event], chunk: Chunk) -> list[Envelope[Event]] | None:
        """Every chunk in index order once this one completes the set; else None."""
        ...
