"""The whole plan of one request: its chunks joined, drift, and pairs never to configure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from drsorch.contracts import Pair, PairsMatched, RequestSpec


@dataclass(frozen=True)
class Plan:
    """A whole PairsMatched result, its chunks put back together."""

    spec: RequestSpec
    plan_hash: str
    pairs: tuple[Pair, ...]
    ambiguous_server_ids: frozenset[str] = frozenset()

    @classmethod
    def from_chunks(cls, chunks: Sequence[PairsMatched]) -> Plan:
        """Join the chunks of one result; they must agree on the spec and the plan hash."""
        first = chunks[0]
        for chunk in chunks[1:]:
            if chunk.plan_hash != first.plan_hash or chunk.spec != first.spec:
                raise ValueError(
                    f"PairsMatched chunk {chunk.chunk.index} disagrees with chunk 0 "
                    "on the spec or the plan hash"
                )
        pairs = sorted(
            (pair for chunk in chunks for pair in chunk.pairs),
            key=lambda pair: pair.server.source_server_id,
        )
        ambiguous = frozenset(
            item.server.source_server_id for chunk in chunks for item in chunk.ambiguous
        )
        return cls(first.spec, first.plan_hash, tuple(pairs), ambiguous)


def drift_reason(spec: RequestSpec, plan_hash: str) -> str | None:
    """Why an apply must change nothing: the plan moved since the operator approved it."""
    if spec.approved_plan_hash is None or spec.approved_plan_hash == plan_hash:
        return None
    return (
        f"plan drift: the plan now hashes to {plan_hash}, not the approved "
        f"{spec.approved_plan_hash}; nothing was changed"
    )


def contested(plan: Plan) -> dict[str, str]:
    """Pairs that must never be configured, by server ID, with the reason.

    A target named by two pairs, or a server the matcher also called ambiguous, is
    an ambiguous match: launching into it could overwrite the wrong workload.
    """
    targets = Counter(pair.target.instance_id for pair in plan.pairs if pair.target)
    reasons: dict[str, str] = {}
    for pair in plan.pairs:
        server_id = pair.server.source_server_id
        if server_id in plan.ambiguous_server_ids:
            reasons[server_id] = f"server {server_id} was matched ambiguously"
        elif pair.target and targets[pair.target.instance_id] > 1:
            reasons[server_id] = (
                f"target {pair.target.instance_id} is paired with more than one server"
            )
    return reasons
