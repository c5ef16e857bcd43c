"""ServersDiscovered, split under the message limit, and the conflicts between requests.

A result is sorted by stable keys (servers by account, region and ID; targets by
account, region and instance ID; problems by subject) and split by the runtime into
the fewest events under the byte budget, so the same findings always make the same
chunks, hence the same event IDs. DRS API calls are counted in the first chunk only:
readers sum them over every chunk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from drsorch.contracts import (
    CandidateTarget,
    Chunk,
    DiscoveredServer,
    LineageClaim,
    LineageInstance,
    Problem,
    RequestSpec,
    ServersDiscovered,
)
from drsorch.discovery.assessment import Findings
from drsorch.discovery.ports import ServerKey
from drsorch.runtime.chunks import DEFAULT_BUDGET, split


def server_key(server: DiscoveredServer) -> ServerKey:
    """The identity a request holds a server by."""
    return (server.account_id, server.region, server.source_server_id)


def claimable(findings: Findings) -> list[ServerKey]:
    """Servers this request would act on: in scope and without a blocking problem."""
    left_out = {p.source_server_id for p in findings.problems if p.blocking}
    return [server_key(s) for s in findings.servers if s.source_server_id not in left_out]


def conflicts(held: Mapping[ServerKey, str], request_id: str) -> list[Problem]:
    """A blocking `busy_in_request` problem for each server another request holds."""
    return [
        Problem(
            kind="busy_in_request",
            account_id=account_id,
            region=region,
            source_server_id=server_id,
            reason=f"held by drsorch request {holder} until it completes",
        )
        for (account_id, region, server_id), holder in sorted(held.items())
        if holder != request_id
    ]


def chunks(
    spec: RequestSpec,
    findings: Findings,
    api_calls: Mapping[str, int],
    *,
    budget: int = DEFAULT_BUDGET,
) -> list[ServersDiscovered]:
    """The result as ServersDiscovered events, each under `budget` bytes of JSON."""
    items: list[Any] = [
        *sorted(findings.servers, key=server_key),
        *sorted(findings.targets, key=lambda t: (t.account_id, t.region, t.instance_id)),
        *sorted(set(findings.problems), key=Problem.sort_key),
        *sorted(set(findings.lineage), key=lambda i: (i.account_id, i.instance_id)),
        *sorted(set(findings.claims), key=lambda c: (c.instance_id, c.source_server_id)),
    ]
    calls = dict(sorted(api_calls.items()))

    def build(run: Sequence[Any], chunk: Chunk) -> ServersDiscovered:
        return ServersDiscovered(
            spec=spec,
            servers=tuple(x for x in run if isinstance(x, DiscoveredServer)),
            targets=tuple(x for x in run if isinstance(x, CandidateTarget)),
            problems=tuple(x for x in run if isinstance(x, Problem)),
            lineage=tuple(x for x in run if isinstance(x, LineageInstance)),
            claims=tuple(x for x in run if isinstance(x, LineageClaim)),
            api_calls=calls if chunk.index == 0 else {},
            chunk=chunk,
        )

    return split(build, items, budget=budget)
