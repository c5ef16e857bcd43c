"""The retire plan: every call that cleans up after a failback, tied to its lineage by DRS facts.

For each server the failback landed (paired FAILOVER server B1, the original A1 it
launched into, the FAILBACK server A2 it launched from, the recovery-region
instance B3 the failover launched and A2 replicates):

1. StopReplication(A2): failback replication, required before B3 can be terminated;
2. StopFailback / TerminateRecoveryInstances on B1's recovery instance of B3;
3. DeleteRecoveryInstance of that record, then of A2's record of A1 (the original is
   launched into: its record is deleted, never terminated);
4. DisconnectSourceServer(A2), then DeleteSourceServer(A2).

Each action carries the facts that tie it to the request. A recovery instance of the
same servers that is not this round trip's (another launch, a drill) is listed as
`leave`, never touched. Nothing of a server is taken until DRS shows it re-protected:
B1 replicating A1 again, CONTINUOUS within the lag, and reverse replication started
on A1's record; until then its actions are held. The plan hash covers every action,
held or not, so an approval binds exactly what DRS showed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from drsorch.configurator.records import PairRecord
from drsorch.configurator.roundtrip.landing import Landings, landings
from drsorch.configurator.roundtrip.ports import RecoveryView, RoundTripDrs, ServerView
from drsorch.contracts import RequestSpec, RetireAction
from drsorch.contracts.events.roundtrip import RetireKind
from drsorch.contracts.types import Place

LANDED = frozenset({"configured", "unchanged"})
GONE = frozenset({"TERMINATED", "SHUTTING-DOWN", "NOT_FOUND"})
ORDER: dict[str, int] = {
    "stop_replication": 0,
    "stop_failback": 1,
    "terminate_recovery_instance": 2,
    "delete_recovery_instance": 3,
    "disconnect_source_server": 4,
    "delete_source_server": 5,
    "restore_launch_settings": 6,
    "remove_launch_tag": 7,
    "leave": 8,
}


@dataclass(frozen=True)
class Lineage:
    """What the failback request recorded for one server."""

    source_server_id: str
    """B1, the paired FAILOVER-direction server."""
    account_id: str
    failback_server_id: str
    """A2, the FAILBACK-direction server the failback launched from."""
    original_id: str
    """A1, the instance it launched into."""
    recovery_ec2_id: str | None
    """B3, the failover's recovery instance A2 replicated, as the failback recorded it."""


@dataclass(frozen=True)
class Facts:
    """What DRS shows now, in both regions of one account."""

    primary_servers: dict[str, ServerView]
    recovery_servers: dict[str, ServerView]
    primary_instances: list[RecoveryView]
    recovery_instances: list[RecoveryView]
    landings: Landings
    """Which of A2's records are this failback's landing (`roundtrip.landing`)."""


def lineages(spec: RequestSpec, pairs: Sequence[PairRecord]) -> list[Lineage]:
    """The servers the failback landed in their targets, as it recorded them."""
    found = []
    for record in pairs:
        result = record.result
        if result is None or result.outcome not in LANDED:
            continue
        if result.launching_server_id is None or result.target_instance_id is None:
            continue
        found.append(
            Lineage(
                source_server_id=record.server_id,
                account_id=result.account_id,
                failback_server_id=result.launching_server_id,
                original_id=result.target_instance_id,
                recovery_ec2_id=record.pair.recovery_ec2_instance_id,
            )
        )
    return sorted(found, key=lambda item: item.source_server_id)


async def gather(
    drs: RoundTripDrs, spec: RequestSpec, items: Sequence[Lineage]
) -> dict[str, Facts]:
    """DRS's facts per account, read in few calls."""
    facts: dict[str, Facts] = {}
    for account in sorted({item.account_id for item in items}):
        mine = [item for item in items if item.account_id == account]
        primary, recovery = (
            Place(account, spec.primary_region),
            Place(account, spec.recovery_region),
        )
        a2 = [item.failback_server_id for item in mine]
        b1 = [item.source_server_id for item in mine]
        primary_servers = await drs.servers(primary, a2)
        primary_instances = await drs.recovery_instances(primary, a2)
        facts[account] = Facts(
            primary_servers=primary_servers,
            recovery_servers=await drs.servers(recovery, b1),
            primary_instances=primary_instances,
            recovery_instances=await drs.recovery_instances(recovery, b1),
            landings=await landings(drs, primary, primary_servers, primary_instances),
        )
    return facts


def plan(
    spec: RequestSpec, items: Sequence[Lineage], facts: dict[str, Facts], max_lag: int
) -> list[RetireAction]:
    """Every action, in the order an apply takes them within each server."""
    actions: list[RetireAction] = []
    for item in items:
        actions.extend(_server_actions(spec, item, facts[item.account_id], max_lag))
    return sorted(actions, key=lambda a: (ORDER[a.kind], a.source_server_id, a.resource_id))


def plan_hash(request_id: str, actions: Sequence[RetireAction]) -> str:
    """What an approval binds: each action's kind, resource, instance, and whether it is held."""
    lines = [
        [
            a.kind,
            a.source_server_id,
            a.account_id,
            a.region,
            a.resource_id,
            a.ec2_instance_id,
            a.held is not None,
        ]
        for a in actions
    ]
    text = json.dumps(["retire", request_id, lines], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class _Server:
    """One server's actions as they are built: what ties them, and whether they are held."""

    spec: RequestSpec
    item: Lineage
    held: str | None
    actions: list[RetireAction]

    def add(self, kind: RetireKind, region: str, resource: str, ec2: str | None, *why: str) -> None:
        self.actions.append(
            RetireAction.model_validate(
                {
                    "kind": kind,
                    "source_server_id": self.item.source_server_id,
                    "account_id": self.item.account_id,
                    "region": region,
                    "resource_id": resource,
                    "ec2_instance_id": ec2,
                    "evidence": tuple(w[:256] for w in why),
                    "held": self.held if kind != "leave" else None,
                }
            )
        )


def _server_actions(
    spec: RequestSpec, item: Lineage, facts: Facts, max_lag: int
) -> list[RetireAction]:
    a2 = facts.primary_servers.get(item.failback_server_id)
    b1 = facts.recovery_servers.get(item.source_server_id)
    b3 = item.recovery_ec2_id or (a2.aws_instance_id if a2 else None)
    a3 = [v for v in facts.primary_instances if v.source_server_id == item.failback_server_id]
    b2 = [v for v in facts.recovery_instances if v.source_server_id == item.source_server_id]
    landed = next((v for v in a3 if v.ec2_instance_id == item.original_id), None)
    held = _not_landed(landed, facts.landings) or _not_reprotected(item, b1, landed, max_lag)
    server = _Server(spec, item, held, [])
    a2 = _failback_server(server, a2, b3)
    _recovery_region(server, b2, b3)
    _primary_records(server, a3)
    if a2 is not None:
        tie = _tie(item)
        if a2.state != "DISCONNECTED":
            server.add(
                "disconnect_source_server", spec.primary_region, a2.source_server_id, None, tie
            )
        server.add("delete_source_server", spec.primary_region, a2.source_server_id, None, tie)
    return server.actions


def _tie(item: Lineage) -> str:
    return (
        f"FAILBACK server {item.failback_server_id} launched {item.source_server_id} "
        f"into {item.original_id}"
    )


def _failback_server(server: _Server, a2: ServerView | None, b3: str | None) -> ServerView | None:
    """A2, if it is the FAILBACK server of B3; else it is left alone."""
    if a2 is None:
        return None
    region = server.spec.primary_region
    if a2.direction != "FAILBACK" or (b3 and a2.aws_instance_id != b3):
        why = f"{a2.direction} server replicating {a2.aws_instance_id}, not {b3}"
        server.add("leave", region, a2.source_server_id, None, why)
        return None
    if a2.state not in ("STOPPED", "DISCONNECTED"):
        state = f"replicates {a2.aws_instance_id} ({a2.state})"
        server.add("stop_replication", region, a2.source_server_id, None, _tie(server.item), state)
    return a2


def _recovery_region(server: _Server, b2: Sequence[RecoveryView], b3: str | None) -> None:
    """B1's recovery instances: the one the failback reversed is retired, others left alone."""
    item, region = server.item, server.spec.recovery_region
    for view in b2:
        ri = view.recovery_instance_id
        if view.ec2_instance_id != b3 or view.is_drill:
            why = (
                f"recovery instance of {item.source_server_id} in {view.ec2_instance_id}: "
                f"not the one the failback reversed ({b3})"
            )
            server.add("leave", region, ri, view.ec2_instance_id, why)
            continue
        tie = (
            f"failover recovery instance of {item.source_server_id} in {b3}, which "
            f"{item.failback_server_id} replicated back"
        )
        if view.failback_state not in (None, "FAILBACK_NOT_STARTED"):
            server.add("stop_failback", region, ri, b3, tie, f"failback {view.failback_state}")
        if view.ec2_state not in GONE:
            server.add("terminate_recovery_instance", region, ri, b3, tie, f"EC2 {view.ec2_state}")
        server.add("delete_recovery_instance", region, ri, b3, tie)


def _primary_records(server: _Server, a3: Sequence[RecoveryView]) -> None:
    """A2's records: the one in the original is deleted (never terminated), others left."""
    item, region = server.item, server.spec.primary_region
    for view in a3:
        ri = view.recovery_instance_id
        if view.ec2_instance_id != item.original_id:
            why = (
                f"recovery instance of {item.failback_server_id} in {view.ec2_instance_id}, "
                f"not the original {item.original_id}"
            )
            server.add("leave", region, ri, view.ec2_instance_id, why)
            continue
        why = (
            f"the failback launched {item.failback_server_id} into the original "
            f"{item.original_id}: its record is deleted, the instance kept"
        )
        server.add("delete_recovery_instance", region, ri, item.original_id, why)


def _not_landed(landed: RecoveryView | None, facts: Landings) -> str | None:
    """Why A2's record in the original is not this failback's landing; None when it is (or
    there is none). B1 replicating the original again is no proof on its own: the original's
    agent resumes replicating its old data whenever it runs again, and retiring would then
    terminate B3, which holds the newest."""
    if landed is None:
        return None
    why = facts.why_not(landed)
    return None if why is None else f"not this failback's landing: {why}"


def _not_reprotected(
    item: Lineage, b1: ServerView | None, landed: RecoveryView | None, max_lag: int
) -> str | None:
    """Why DRS does not show the server protected from its original again; None when it does."""
    name = item.source_server_id
    if b1 is None:
        return f"{name} is not in the recovery region: nothing protects {item.original_id}"
    if b1.aws_instance_id != item.original_id:
        return f"{name} replicates {b1.aws_instance_id}, not the original {item.original_id}"
    if landed is not None and landed.replication_state in (None, "NOT_STARTED"):
        started = landed.recovery_instance_id
        return f"not re-protected: reverse replication has not started on {started}"
    if b1.state != "CONTINUOUS":
        return f"not re-protected: {name} is {b1.state}" + (f" ({b1.error})" if b1.error else "")
    if b1.lag_seconds is None or b1.lag_seconds > max_lag:
        return f"not re-protected: {name} lags {b1.lag_seconds} s (at most {max_lag})"
    return None
