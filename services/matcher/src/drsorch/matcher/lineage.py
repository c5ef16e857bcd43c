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

from drsorch.matcher.records import FailoverPair, MatchRules, SourceServer, TargetInstance, fact
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
            if not self._links_through(origin):
                # A recovery instance DRS or drsorch links on to an origin is a step of
                # the chain, not a claim: the claims are where the chain leads.
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

    def _links_through(self, instance_id: str) -> bool:
        """Is `instance_id` a recovery instance whose own origin lineage knows?"""
        forward = self.forward_by_recovery.get(instance_id)
        if instance_id in self.shared_recovery or (forward and forward.origin_instance_id):
            return True
        stored = self.stored_by_target.get(instance_id)
        return stored is not None and stored.origin_instance_id is not None

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
        # A recovery instance DRS runs the server in already is refused before claims are
        # read (`domain._failed_over_already`): it is no pre-provisioned target.
        mine = self.stored_by_server.get((server.account_id, server.source_server_id))
        return [(mine.target_instance_id, _stored_fact(mine))] if mine is not None else []


def _stored_fact(pair: FailoverPair) -> str:
    origin = f", origin instance {pair.origin_instance_id}" if pair.origin_instance_id else ""
    return (
        f"failover pair {pair.source_server_id} -> {pair.target_instance_id} stored by drsorch"
        f" (request {pair.request_id}{origin})"
    )


def judge(
    server: SourceServer, claims: list[Claim], index: TargetIndex
) -> tuple[dict[str, list[str]], list[str]]:
    """Claims split two ways: eligible (by instance), and refusals.

    Lineage outranks names absolutely: an instance lineage names that cannot be used
    (terminated, unknown to EC2, in another account or region) refuses the server,
    with that fact as the reason; the Name is never tried instead.
    """
    hits: dict[str, list[str]] = {}
    refusals: list[str] = []
    for instance_id, why in claims:
        if index.eligible(instance_id, server.account_id) is not None:
            hits.setdefault(instance_id, []).append(why)
            continue
        refusals.append(f"{why}, {index.why_not(instance_id, server.account_id)}")
    return hits, sorted(set(refusals))


def origin_refusal(server: SourceServer, rules: MatchRules) -> str | None:
    """Why a failback's lineage leads outside what it may launch into, or None.

    DRS records the origin's account and region (`sourceCloudProperties`): a failback
    lands only in the server's own account and the primary region.
    """
    origin = server.origin_instance_id
    if rules.operation != "failback" or origin is None:
        return None
    account, region = server.origin_account_id, server.origin_region
    fact_ = f"origin instance {origin} recorded by DRS"
    if account is not None and account != server.account_id:
        covered = (
            "not the server's account " + server.account_id
            if account in rules.accounts
            else "which this request does not cover"
        )
        return f"{fact_} is in account {account}, {covered}"
    if region is not None and rules.primary_region and region != rules.primary_region:
        return f"{fact_} is in {region}, not the primary region {rules.primary_region}"
    return None


def evidence(claims: list[Claim], server: SourceServer, target: TargetInstance) -> tuple[str, ...]:
    """The facts behind a lineage pair, and the Name difference lineage overrides, if any."""
    label = server.name or server.hostname
    if len(claims) == 1 and target.name == label:
        return (fact(claims[0][1]),)  # the common case, made fast
    facts = [fact(claims[0][1])] if len(claims) == 1 else sorted({fact(w) for _, w in claims})
    if target.name != label:
        facts.append(
            fact(
                f"{target.instance_id} is {_named(target.name)}, the server {_named(label)};"
                " lineage outranks Names"
            )
        )
    return tuple(facts)


def _named(name: str | None) -> str:
    return f"named {name!r}" if name else "unnamed"
