"""The matcher's handlers: ServersDiscovered in, PairsMatched out (via the outbox)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from drsorch.contracts import Envelope, Event, ServersDiscovered
from drsorch.matcher.discovered import Discovery
from drsorch.matcher.domain import match
from drsorch.matcher.matched import pairs_matched
from drsorch.matcher.ports import Assembler, PlanRepository, PlanSummary
from drsorch.matcher.records import FailoverPair, Plan, SourceServer
from drsorch.runtime import Handlers, Outbox

log = logging.getLogger("drsorch.matcher")


@dataclass(frozen=True)
class Matcher:
    """The matcher's handlers, over its ports."""

    repository: PlanRepository
    assembler: Assembler

    def handlers(self) -> Handlers:
        return {ServersDiscovered.event_type: self.on_servers_discovered}

    async def on_servers_discovered(self, envelope: Envelope[Event], outbox: Outbox) -> None:
        """Once every chunk is in: match, keep the plan, publish PairsMatched."""
        assert isinstance(envelope.payload, ServersDiscovered)  # the registry routes by type
        chunks = await self.assembler.add(envelope, envelope.payload.chunk)
        if chunks is None:
            return  # more chunks to come; the one that completes the set does the work
        discovery = Discovery.merge(chunks)
        servers = discovery.source_servers()
        targets = discovery.target_instances()
        keys, instances = lineage_keys(servers)
        if discovery.spec.operation == "failover":
            # A stored pair of a server outside the scope still claims its target.
            instances = sorted({*instances, *(t.instance_id for t in targets)})
        stored = await self.repository.failover_pairs(keys, instances)
        plan = match(
            servers,
            targets,
            discovery.rules(),
            stored=stored,
            blocked=discovery.blocked(),
            lineage=discovery.lineage_states(),
            claims=discovery.foreign_claims(),
        )
        await self._keep(discovery, plan)
        events = pairs_matched(discovery, plan)
        outbox.publish(*events)
        log.info(
            "matched",
            extra={
                "request_id": discovery.request_id,
                "plan_hash": plan.plan_hash,
                "pairs": len(plan.pairs),
                "unmatched": len(plan.unmatched),
                "ambiguous": len(plan.ambiguous),
                "suggestions": len(plan.suggestions),
                "chunks": len(events),
            },
        )

    async def _keep(self, discovery: Discovery, plan: Plan) -> None:
        spec = discovery.spec
        await self.repository.save_plan(
            PlanSummary(
                request_id=discovery.request_id,
                operation=spec.operation,
                plan_hash=plan.plan_hash,
                approved_plan_hash=spec.approved_plan_hash,
                launch_into=spec.effective_launch_into(),
                plan_only=spec.plan_only,
                drill=spec.drill,
            ),
            plan,
        )
        if applies_failover(discovery, plan):
            await self.repository.save_failover_pairs(failover_pairs(discovery.request_id, plan))


def lineage_keys(
    servers: Sequence[SourceServer],
) -> tuple[list[tuple[str, str]], list[str]]:
    """What to look stored failover pairs up by: (account, server ID)s and instance IDs."""
    instances = {
        i for s in servers for i in (s.origin_instance_id, s.recovery_ec2_instance_id) if i
    }
    return [(s.account_id, s.source_server_id) for s in servers], sorted(instances)


def applies_failover(discovery: Discovery, plan: Plan) -> bool:
    """Will this plan launch a failover into instances? Only then are its pairs kept for failback.

    Not for a plan-only request or a drill. Whether the apply matches its approval is
    the configurator's to judge, over what it would launch.
    """
    spec = discovery.spec
    return spec.operation == "failover" and not spec.plan_only and not spec.drill


def failover_pairs(request_id: str, plan: Plan) -> list[FailoverPair]:
    """The pairs of a failover that launch into an instance, as failback will look for them."""
    return [
        FailoverPair(
            source_server_id=p.server.source_server_id,
            account_id=p.server.account_id,
            target_instance_id=p.target.instance_id,
            origin_instance_id=p.server.origin_instance_id,
            request_id=request_id,
        )
        for p in plan.pairs
        if p.target is not None
    ]
