"""Builders of the matcher's inputs for tests: request specs, servers, targets, chunked events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from drsorch.contracts import (
    Accounts,
    CandidateTarget,
    Chunk,
    DiscoveredServer,
    Envelope,
    Event,
    Problem,
    RecoveryInstanceInfo,
    RequestOptions,
    RequestSpec,
    Scope,
    ServersDiscovered,
)
from drsorch.runtime.chunks import split

HUB = "123456789012"
SPOKE = "210987654321"
PRIMARY = "us-east-1"
RECOVERY = "us-west-2"


def spec(operation: str = "failback", **fields: Any) -> RequestSpec:
    """A request spec over the hub account, primary us-east-1, recovery us-west-2."""
    options = fields.pop("options", {})
    return RequestSpec.model_validate(
        {
            "operation": operation,
            "scope": Scope(selector={"app": "payments"}),
            "accounts": Accounts(hub=HUB),
            "primary_region": PRIMARY,
            "recovery_region": RECOVERY,
            "requested_by": "operator",
            "options": RequestOptions.model_validate(options),
            **fields,
        }
    )


def sid(n: int) -> str:
    """A source server ID, distinct per `n`."""
    return f"s-{n:017x}"


def iid(n: int) -> str:
    """An EC2 instance ID, distinct per `n`."""
    return f"i-{n:017x}"


def server(n: int, name: str | None = None, **fields: Any) -> DiscoveredServer:
    """FAILOVER-direction server `n` (held in the recovery region) in the hub by default."""
    recovery_ec2 = fields.pop("recovery_ec2", None)
    if recovery_ec2 is not None:
        fields["recovery_instance"] = RecoveryInstanceInfo(
            recovery_instance_id=recovery_ec2, ec2_instance_id=recovery_ec2, ec2_state="RUNNING"
        )
    return DiscoveredServer.model_validate(
        {
            "source_server_id": sid(n),
            "account_id": HUB,
            "region": RECOVERY,
            "name": name,
            "replication_direction": "FAILOVER",
            "replication_state": "CONTINUOUS",
            **fields,
        }
    )


def target(n: int, name: str | None, region: str = PRIMARY, **fields: Any) -> CandidateTarget:
    """A stopped instance `n` in the hub, in the primary region by default."""
    return CandidateTarget.model_validate(
        {
            "instance_id": iid(n),
            "account_id": HUB,
            "region": region,
            "name": name,
            "state": "stopped",
            "tags": {"AWSDRS": "AllowLaunchingIntoThisInstance"},
            **fields,
        }
    )


def discovered(
    request: RequestSpec,
    servers: Sequence[DiscoveredServer] = (),
    targets: Sequence[CandidateTarget] = (),
    problems: Sequence[Problem] = (),
    *,
    request_id: str = "req-matcher-0001",
    causation_id: str = "00000000-0000-4000-8000-000000000001",
    budget: int = 200_000,
) -> list[Envelope[Event]]:
    """ServersDiscovered as discovery sends it: split under `budget`, one envelope a chunk."""
    items: list[BaseModel] = [
        *sorted(servers, key=lambda s: s.source_server_id),
        *sorted(targets, key=lambda t: t.instance_id),
        *problems,
    ]

    def build(run: Sequence[Any], chunk: Chunk) -> ServersDiscovered:
        return ServersDiscovered(
            spec=request,
            servers=tuple(i for i in run if isinstance(i, DiscoveredServer)),
            targets=tuple(i for i in run if isinstance(i, CandidateTarget)),
            problems=tuple(i for i in run if isinstance(i, Problem)),
            api_calls={"DescribeSourceServers": 1} if chunk.index == 0 else {},
            chunk=chunk,
        )

    return [
        Envelope.wrap(
            event,
            request_id=request_id,
            step=f"servers-discovered#{event.chunk.index}",
            producer="discovery",
            causation_id=causation_id,
        )
        for event in split(build, items, budget=budget)
    ]
