"""Builders of the matcher's domain records, for unit and property tests."""

from __future__ import annotations

from typing import Any

from drsorch.matcher.names import NameRules
from drsorch.matcher.records import (
    LaunchInto,
    MatchRules,
    Operation,
    Plan,
    SourceServer,
    TargetInstance,
)

A = "111111111111"
B = "222222222222"
PRIMARY = "us-east-1"
RECOVERY = "us-west-2"


def sid(n: int) -> str:
    return f"s-{n:017x}"


def iid(n: int) -> str:
    return f"i-{n:017x}"


def srv(n: int, name: str | None = None, account: str = A, **fields: Any) -> SourceServer:
    """FAILOVER-direction server `n`, held in the recovery region."""
    fields.setdefault("region", RECOVERY)
    return SourceServer(sid(n), account, name=name, **fields)


def tgt(
    n: int, name: str | None, account: str = A, region: str = PRIMARY, state: str = "stopped"
) -> TargetInstance:
    return TargetInstance(iid(n), account, region, name, state)


def rules(
    operation: Operation = "failback",
    launch_into: LaunchInto | None = None,
    *,
    prefixes: tuple[str, ...] = (),
    suffixes: tuple[str, ...] = (),
    settings: dict[str, object] | None = None,
    accounts: tuple[str, ...] = (A, B),
    overrides: dict[str, str] | None = None,
) -> MatchRules:
    """The rules a request with these options would give."""
    default: LaunchInto = "required" if operation == "failback" else "preferred"
    return MatchRules(
        operation=operation,
        launch_region=PRIMARY if operation == "failback" else RECOVERY,
        launch_into=launch_into or default,
        names=NameRules.build(prefixes, suffixes, (PRIMARY, RECOVERY)),
        launch_settings=settings or {},
        primary_region=PRIMARY,
        accounts=frozenset(accounts),
        overrides=overrides or {},
    )


def paired(plan: Plan) -> dict[str, tuple[str | None, str | None]]:
    """Server ID -> (target instance ID, method) for every pair of `plan`."""
    return {
        p.server.source_server_id: (p.target.instance_id if p.target else None, p.method)
        for p in plan.pairs
    }


def reasons(plan: Plan) -> dict[str, str]:
    """Server ID -> reason, for every unmatched and ambiguous server."""
    out = {u.server.source_server_id: u.reason for u in plan.unmatched}
    out.update({a.server.source_server_id: a.reason for a in plan.ambiguous})
    return out
