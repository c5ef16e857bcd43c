"""The whole plan of one request: its chunks joined, drift, and pairs never to configure."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from drsorch.contracts import (
    ConfigurationResult,
    LaunchConfiguration,
    Pair,
    PairsMatched,
    RequestSpec,
)

# The launch settings drsorch itself sets on a launching server: what an approval binds.
MANAGED_FIELDS = (
    "launch_into_instance_id",
    "copy_private_ip",
    "copy_tags",
    "right_sizing",
    "launch_disposition",
    "os_byol",
)


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
            if chunk.match_hash != first.match_hash or chunk.spec != first.spec:
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
        return cls(first.spec, first.match_hash, tuple(pairs), ambiguous)


def managed(configuration: LaunchConfiguration | None) -> dict[str, object]:
    """The fields of a launch configuration that drsorch sets, as the hash reads them."""
    if configuration is None:
        return {}
    return {name: getattr(configuration, name) for name in MANAGED_FIELDS}


def launch_hash(spec: RequestSpec, planned: Iterable[tuple[Pair, ConfigurationResult]]) -> str:
    """SHA-256 of what an apply would launch: the hash an operator approves.

    A header (operation, launch region, launch-into mode, drill, the request's launch
    settings) and one tab-separated line per pair that would launch, sorted: server,
    account, wave, the instance it launches into (`-`: a new one), the server launched
    (`reverse`: the FAILBACK server reverse replication would create), the launch
    settings drsorch sets, and the fields that change. Pairs that would not launch are
    left out, so a refused server that became launchable moves the hash.
    """
    header = {
        "v": 2,
        "operation": spec.operation,
        "launch_region": spec.launch_region,
        "launch_into": spec.effective_launch_into(),
        "drill": spec.drill,
        "launch_settings": spec.launch_settings.model_dump(mode="json"),
    }
    rows = sorted(
        "\t".join(
            [
                pair.server.source_server_id,
                pair.server.account_id,
                str(pair.server.wave),
                result.target_instance_id or "-",
                result.launching_server_id or "reverse",
                json.dumps(managed(result.desired), sort_keys=True),
                ",".join(result.changes),
            ]
        )
        for pair, result in planned
        if result.outcome == "planned"
    )
    digest = hashlib.sha256(json.dumps(header, sort_keys=True, separators=(",", ":")).encode())
    digest.update("".join(f"\n{row}" for row in rows).encode())
    return digest.hexdigest()


def drift_reason(spec: RequestSpec, plan_hash: str) -> str | None:
    """Why an apply must change nothing: what it would launch moved since it was approved."""
    if spec.plan_only or spec.approved_plan_hash in (None, plan_hash):
        return None
    return (
        f"plan drift: what this apply would launch now hashes to {plan_hash}, not the "
        f"approved {spec.approved_plan_hash}; nothing was changed"
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
