"""Writing the matcher's result: the plan as PairsMatched events, split under the size limit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from drsorch.contracts import (
    Ambiguous,
    Chunk,
    Envelope,
    Event,
    Pair,
    PairsMatched,
    Problem,
    ServerRef,
    Suggestion,
    TargetRef,
    Unmatched,
)
from drsorch.contracts.events.matching import MAX_CANDIDATES, MAX_EVIDENCE
from drsorch.matcher import records
from drsorch.matcher.discovered import Discovery
from drsorch.runtime.chunks import split

PRODUCER = "matcher"


def pairs_matched(discovery: Discovery, plan: records.Plan) -> list[Envelope[Event]]:
    """The plan as PairsMatched chunks, enveloped with deterministic IDs (one per chunk)."""
    servers = {s.source_server_id: s for s in discovery.servers}
    targets = {t.instance_id: t for t in discovery.targets}
    items: list[BaseModel] = [
        *(_pair(p, servers, targets) for p in plan.pairs),
        *(Unmatched(server=_server_ref(u.server), reason=u.reason) for u in plan.unmatched),
        *(
            Ambiguous(
                server=_server_ref(a.server),
                candidate_instance_ids=a.candidate_instance_ids[:MAX_CANDIDATES],
                reason=a.reason,
            )
            for a in plan.ambiguous
        ),
        *(
            Suggestion(
                source_server_id=s.source_server_id,
                target_instance_id=s.target_instance_id,
                score=s.score,
                reason=s.reason,
            )
            for s in plan.suggestions
        ),
        *sorted(discovery.problems, key=Problem.sort_key),
    ]

    def build(run: Sequence[Any], chunk: Chunk) -> PairsMatched:
        return PairsMatched(
            spec=discovery.spec,
            match_hash=plan.plan_hash,
            pairs=tuple(i for i in run if isinstance(i, Pair)),
            unmatched=tuple(i for i in run if isinstance(i, Unmatched)),
            ambiguous=tuple(i for i in run if isinstance(i, Ambiguous)),
            suggestions=tuple(i for i in run if isinstance(i, Suggestion)),
            problems=tuple(i for i in run if isinstance(i, Problem)),
            notes=plan.notes if chunk.index == 0 else (),
            # Readers sum api_calls over the chunks: count them in the first one only.
            api_calls=discovery.api_calls if chunk.index == 0 else {},
            chunk=chunk,
        )

    return [
        Envelope.wrap(
            event,
            request_id=discovery.request_id,
            step=f"pairs-matched#{event.chunk.index}",
            producer=PRODUCER,
            causation_id=discovery.causation_id,
        )
        for event in split(build, items)
    ]


def _server_ref(server: records.SourceServer) -> ServerRef:
    return ServerRef(
        source_server_id=server.source_server_id,
        account_id=server.account_id,
        region=server.region,
        name=server.label,
        wave=server.wave,
    )


def _pair(pair: records.Pair, servers: dict[str, Any], targets: dict[str, Any]) -> Pair:
    found = servers[pair.server.source_server_id]
    recovery = found.recovery_instance
    target = None
    if pair.target is not None:
        candidate = targets[pair.target.instance_id]
        target = TargetRef(
            instance_id=candidate.instance_id,
            account_id=candidate.account_id,
            region=candidate.region,
            name=candidate.name,
            private_ip=candidate.private_ip,
        )
    return Pair(
        server=_server_ref(pair.server),
        target=target,
        method=pair.method,
        evidence=pair.evidence[:MAX_EVIDENCE],
        architecture=found.architecture,
        replication_direction=found.replication_direction,
        recovery_instance_id=recovery.recovery_instance_id if recovery else None,
        recovery_ec2_instance_id=recovery.ec2_instance_id if recovery else None,
        failback_server_id=found.failback_server.source_server_id
        if found.failback_server
        else None,
        lineage_instance_id=pair.lineage_instance_id,
        origin_instance_id=found.origin_instance_id,
    )
