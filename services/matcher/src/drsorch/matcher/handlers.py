"""The matcher's handlers: ServersDiscovered in, PairsMatched out (via the outbox); and
JobCompleted in, the failover pairs the monitor proved landed kept for a later failback."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from drsorch.contracts import Envelope, Event, JobCompleted, ServersDiscovered
from drsorch.matcher.discovered import Discovery
from drsorch.matcher.domain import match
from drsorch.matcher.matched import pairs_matched
from drsorch.matcher.ports import Assembler, PlanRepository, PlanSummary, SavedPlan
from drsorch.matcher.records import FailoverPair, Plan, SourceServer
from drsorch.runtime import Handlers, Outbox

log = logging.getLogger("drsorch.matcher")


@dataclass(frozen=True)
class Matcher:
    """The matcher's handlers, over its ports."""

    repository: PlanRepository
    assembler: Assembler

    def handlers(self) -> Handlers:
        return {
            ServersDiscovered.event_type: self.on_servers_discovered,
            JobCompleted.event_type: self.on_job_completed,
        }

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

    async def on_job_completed(self, envelope: Envelope[Event], outbox: Outbox) -> None:
        """Keep the failover pairs this job proved: a later failback traces them back.

        Only a landing the monitor proved from DRS and EC2 (`launched_into_expected`) into
        the very instance this request's plan paired: an apply refused, drifted or
        landed elsewhere leaves no pair behind to be taken for lineage.
        """
        assert isinstance(envelope.payload, JobCompleted)
        # The summary alone first: a failback's or a drill's jobs keep nothing, and a
        # failover's job needs its own servers' decisions, not the whole plan's.
        head = await self.repository.plan(envelope.request_id, servers=())
        if head is None or not keeps_pairs(head.summary, envelope.request_id):
            return
        servers = [launch.source_server_id for launch in envelope.payload.servers]
        saved = await self.repository.plan(envelope.request_id, servers=servers)
        if saved is None:
            return
        pairs = proven_failover_pairs(envelope.request_id, saved, envelope.payload)
        if pairs:
            await self.repository.save_failover_pairs(pairs)


def lineage_keys(
    servers: Sequence[SourceServer],
) -> tuple[list[tuple[str, str]], list[str]]:
    """What to look stored failover pairs up by: (account, server ID)s and instance IDs."""
    instances = {
        i for s in servers for i in (s.origin_instance_id, s.recovery_ec2_instance_id) if i
    }
    return [(s.account_id, s.source_server_id) for s in servers], sorted(instances)


def keeps_pairs(summary: PlanSummary, request_id: str) -> bool:
    """Does this request launch failover pairs a failback may trace back? Not a drill."""
    if summary.operation != "failover" or summary.drill:
        return False
    if summary.plan_only:  # it launches nothing: a JobCompleted for it is nobody's
        log.warning("a job of a plan-only request is ignored", extra={"request_id": request_id})
        return False
    return True


def proven_failover_pairs(
    request_id: str, saved: SavedPlan, job: JobCompleted
) -> list[FailoverPair]:
    """The job's servers that landed, proven, in the instance the plan paired them with."""
    pairs = []
    for launch in job.servers:
        server_id = launch.source_server_id
        decision, target = saved.decisions.get(server_id, ("", None))
        origin = saved.origins.get(server_id)
        if not launch.launched_into_expected or decision != "pair" or origin is None:
            continue
        if target != launch.ec2_instance_id or launch.ec2_instance_id is None:
            log.warning(
                "a proven landing outside the plan is not kept",
                extra={"request_id": request_id, "server": server_id},
            )
            continue
        account_id, origin_instance_id = origin
        pairs.append(
            FailoverPair(
                source_server_id=server_id,
                account_id=account_id,
                target_instance_id=launch.ec2_instance_id,
                origin_instance_id=origin_instance_id,
                request_id=request_id,
            )
        )
    return pairs
