"""A request's plan, put back together from its PairsMatched chunks, and the records it
starts the request with.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from drsorch.contracts import ConfigurationResult, Pair, PairsMatched, RequestSpec
from drsorch.monitor.domain.records import PlanExtras, RequestState, ServerRecord, Summary


@dataclass(frozen=True)
class Plan:
    """The whole PairsMatched result of one request."""

    spec: RequestSpec
    plan_hash: str
    pairs: tuple[Pair, ...]
    extras: tuple[PlanExtras, ...]

    @classmethod
    def from_chunks(cls, chunks: Sequence[PairsMatched]) -> Plan:
        """Join the chunks; they must agree on spec and hash, and name each server once."""
        first = chunks[0]
        for chunk in chunks[1:]:
            if chunk.spec != first.spec or chunk.match_hash != first.match_hash:
                raise ValueError("PairsMatched chunks disagree on the spec or the plan hash")
        pairs = tuple(pair for chunk in chunks for pair in chunk.pairs)
        repeated = [
            key for key, n in Counter(p.server.source_server_id for p in pairs).items() if n > 1
        ]
        if repeated:
            raise ValueError(f"PairsMatched names servers twice: {', '.join(sorted(repeated))}")
        extras = tuple(
            PlanExtras(
                index=chunk.chunk.index,
                unmatched=chunk.unmatched,
                ambiguous=chunk.ambiguous,
                problems=chunk.problems,
                api_calls=dict(chunk.api_calls),
            )
            for chunk in chunks
        )
        return cls(first.spec, first.match_hash, pairs, extras)


def drift(spec: RequestSpec, plan_hash: str | None) -> str | None:
    """Why results configured under `plan_hash` must never launch (design §4), or None.

    An apply launches only what the operator approved: the configurator's hash of
    what it would launch must be exactly the approved one.
    """
    approved = spec.approved_plan_hash
    if spec.plan_only or approved is None or approved == plan_hash:
        return None
    return (
        f"the approved plan {approved[:12]} no longer matches what the apply would launch "
        f"({(plan_hash or 'unhashed')[:12]}): nothing was launched; plan again and approve "
        "the new plan"
    )


def under_approval(
    spec: RequestSpec, plan_hash: str | None, results: Sequence[ConfigurationResult]
) -> tuple[ConfigurationResult, ...]:
    """The results, each rejected when they were configured under another plan than approved."""
    refusal = drift(spec, plan_hash)
    if refusal is None:
        return tuple(results)
    return tuple(
        r
        if r.outcome == "rejected"
        else r.model_copy(update={"outcome": "rejected", "reason": refusal})
        for r in results
    )


def start(
    request_id: str,
    plan: Plan,
    causation_id: str,
    now: datetime,
    trace_id: str | None = None,
) -> RequestState:
    """The request's first records: one per pair, all waiting for the configurator."""
    summary = Summary(
        request_id=request_id,
        spec=plan.spec,
        plan_hash=plan.plan_hash,
        causation_id=causation_id,
        received_at=now,
        trace_id=trace_id,
        servers=len(plan.pairs) + sum(len(e.unmatched) + len(e.ambiguous) for e in plan.extras),
    )
    state = RequestState(summary=summary, extras=list(plan.extras))
    for pair in plan.pairs:
        state.put_server(ServerRecord(pair=pair))
    return state
