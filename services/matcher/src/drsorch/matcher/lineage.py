"""Lineage: which instance a server's history says it belongs in.

DRS records the instance a source server replicates (`awsInstanceID`), the
recovery instance a failover launched, and the reversed-direction link between a
server and the one replicating its recovery instance back. drsorch adds the pairs it
applied at failover. For a failback all of these lead back to the original
instance; for a failover to the instance a previous failover launched into.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from drsorch.matcher.records import FailoverPair, SourceServer, TargetInstance, fact
from drsorch.matcher.targets import TargetIndex

Claim = tuple[str, str]  # (instance ID, the fact behind it)


def _latest(pairs: Iterable[FailoverPair], key: str) -> dict[object, FailoverPair]:
    # Several stored pairs for one key: the latest request wins, then the greatest
    # record, so the read order never shows.
    out: dict[object, FailoverPair] = {}
    for pair in pairs:
        k = (pair.account_id, pair.source_server_id) if key == "server" else pair.target_instance_id
        known = out.get(k)
        if known is None or _rank(pair) > _rank(known):
            out[k] = pair
    return out


def _rank(pair: FailoverPair) -> tuple[str, str, str, str, str]:
    return (
        pair.request_id,
        pair.target_instance_id,
        pair.origin_instance_id or "",
        pair.account_id,
        pair.source_server_id,
    )


@dataclass(frozen=True, slots=True)
class LineageIndex:
    """The links between servers, and drsorch's stored failover pairs, ready to follow."""

    forward_by_recovery: dict[str, SourceServer]
    """Servers by the EC2 ID of their recovery instance (drills aside)."""
    shared_recovery: dict[str, list[SourceServer]]
    """The rare recovery instance several servers name: all of them, so none is dropped."""
    by_arn: dict[str, SourceServer]
    stored_by_server: dict[object, FailoverPair]
    stored_by_target: dict[object, FailoverPair]

    @classmethod
    def build(cls, servers: Sequence[SourceServer], stored: Iterable[FailoverPair]) -> LineageIndex:
        """Index `servers` (sorted by ID, so the result does not depend on input order)."""
        recovering = [s for s in servers if s.recovery_ec2_instance_id and not s.recovery_is_drill]
        forward = {s.recovery_ec2_instance_id or "": s for s in recovering}
        shared: dict[str, list[SourceServer]] = {}
        if len(forward) < len(recovering):
            for server in recovering:
                shared.setdefault(server.recovery_ec2_instance_id or "", []).append(server)
            shared = {k: v for k, v in shared.items() if len(v) > 1}
        by_arn = {s.arn: s for s in servers if s.arn}
        stored = tuple(stored)
        return cls(forward, shared, by_arn, _latest(stored, "server"), _latest(stored, "target"))

    def failback_claims(self, server: SourceServer) -> list[Claim]:
        """Every original instance the server's lineage points to, with its fact."""
        claims: list[Claim] = []
        origin = server.origin_instance_id
        if origin:
            claims.append((origin, f"origin instance {origin} recorded by DRS (awsInstanceID)"))
            forward = self.forward_by_recovery.get(origin)
            forwards = self.shared_recovery.get(origin) or ([forward] if forward else None)
            if forwards:
                claims.extend(
                    (
                        forward.origin_instance_id,
                        f"replicates recovery instance {origin} of {forward.source_server_id},"
                        f" whose origin instance is {forward.origin_instance_id}",
                    )
                    for forward in forwards
                    if forward is not server and forward.origin_instance_id
                )
        linked = (
            self.by_arn.get(server.reversed_direction_server_arn or "") if self.by_arn else None
        )
        if linked is not None and linked is not server and linked.origin_instance_id:
            claims.append(
                (
                    linked.origin_instance_id,
                    f"reversed-direction link to {linked.source_server_id},"
                    f" whose origin instance is {linked.origin_instance_id}",
                )
            )
        if self.stored_by_server or self.stored_by_target:
            claims.extend(self._stored_origins(server))
        return claims

    def _stored_origins(self, server: SourceServer) -> list[Claim]:
        claims: list[Claim] = []
        mine = self.stored_by_server.get((server.account_id, server.source_server_id))
        if mine is not None and mine.origin_instance_id:
            claims.append((mine.origin_instance_id, _stored_fact(mine)))
        recovery = None if server.recovery_is_drill else server.recovery_ec2_instance_id
        for instance in dict.fromkeys(i for i in (server.origin_instance_id, recovery) if i):
            link = self.stored_by_target.get(instance)
            if (
                link is not None
                and link is not mine
                and link.origin_instance_id
                and link.account_id == server.account_id
            ):
                claims.append((link.origin_instance_id, _stored_fact(link)))
        return claims

    def failover_claims(self, server: SourceServer) -> list[Claim]:
        """The instance a previous failover of this server launched into, if any."""
        claims: list[Claim] = []
        mine = self.stored_by_server.get((server.account_id, server.source_server_id))
        if mine is not None:
            claims.append((mine.target_instance_id, _stored_fact(mine)))
        recovery = server.recovery_ec2_instance_id
        if recovery and not server.recovery_is_drill:
            claims.append((recovery, f"recovery instance {recovery} recorded by DRS"))
        return claims


def _stored_fact(pair: FailoverPair) -> str:
    origin = f", origin instance {pair.origin_instance_id}" if pair.origin_instance_id else ""
    return (
        f"failover pair {pair.source_server_id} -> {pair.target_instance_id} stored by drsorch"
        f" (request {pair.request_id}{origin})"
    )


def judge(
    server: SourceServer, claims: list[Claim], index: TargetIndex
) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Claims split three ways: eligible (by instance), refusals, and notes.

    An instance in the launch region that lineage names but that cannot be used
    (another account, terminated) refuses the server; one elsewhere (or unknown)
    is only a note, and the Name is tried next.
    """
    hits: dict[str, list[str]] = {}
    refusals: list[str] = []
    notes: list[str] = []
    for instance_id, why in claims:
        if index.eligible(instance_id, server.account_id) is not None:
            hits.setdefault(instance_id, []).append(why)
            continue
        text = f"{why}, but {index.why_not(instance_id, server.account_id)}"
        seen = index.seen.get(instance_id)
        final = instance_id in index.conflicting or (seen and seen.region == index.launch_region)
        (refusals if final else notes).append(text)
    return hits, sorted(set(refusals)), sorted(set(notes))


def evidence(claims: list[Claim], server: SourceServer, target: TargetInstance) -> tuple[str, ...]:
    """The facts behind a lineage pair, and the Name difference lineage overrides, if any."""
    label = server.name or server.hostname
    if len(claims) == 1 and target.name == label:
        return (fact(claims[0][1]),)  # the common case, made fast
    facts = [fact(claims[0][1])] if len(claims) == 1 else sorted({fact(w) for _, w in claims})
    if target.name != label:
        facts.append(
            fact(
                f"{target.instance_id} is named {target.name!r}, the server {label!r};"
                " lineage outranks Names"
            )
        )
    return tuple(facts)
