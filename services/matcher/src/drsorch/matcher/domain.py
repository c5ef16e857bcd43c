"""The matcher's decision, as one pure function: `match`.

Lineage first (what DRS recorded, and the failover pairs drsorch stored), then the
Name tag after normalisation; similar names are only suggested. Strictly one to
one: a server with two equally good targets, or a target two servers claim, pairs
nobody. The launch-into mode and discovery's blocking problems then decide what is
recovered. Linear in servers and targets: dictionaries, never a pairwise comparison.
"""

from __future__ import annotations

import contextlib
import gc
import operator
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from drsorch.matcher.lineage import Claim, LineageIndex, evidence, judge, origin_refusal
from drsorch.matcher.plan import finish
from drsorch.matcher.records import (
    Ambiguous,
    Decision,
    FailoverPair,
    LineageState,
    MatchRules,
    Pair,
    Plan,
    SourceServer,
    TargetInstance,
    Unmatched,
    fact,
)
from drsorch.matcher.staging import staging_twins
from drsorch.matcher.suggestions import SuggestionIndex, Wanting, suggest_all
from drsorch.matcher.targets import NameKey, TargetIndex

__all__ = ["match"]


def match(
    servers: Iterable[SourceServer],
    targets: Iterable[TargetInstance],
    rules: MatchRules,
    *,
    stored: Iterable[FailoverPair] = (),
    blocked: Mapping[str, str] | None = None,
    lineage: Iterable[LineageState] = (),
    claims: Mapping[str, str] | None = None,
) -> Plan:
    """Pair each server with at most one target; the result ignores the inputs' order.

    `stored` holds the failover pairs drsorch applied before; `blocked` maps a server
    ID to the reason discovery left it out (it is matched, then reported unmatched,
    so the target it would take is not handed to another server); `lineage` says what
    EC2 reports of instances lineage names that are no candidates; `claims` maps a
    candidate target to the fact by which a server outside the scope claims it.
    """
    with _collector_paused():
        return _match(servers, targets, rules, stored, blocked or {}, lineage, claims or {})


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while matching.

    Matching makes hundreds of thousands of small acyclic records at 100,000 servers;
    the collector would rescan them again and again and free nothing (about a
    quarter of the time). Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _match(  # noqa: PLR0917 - match()'s keyword arguments, passed on in one call
    servers: Iterable[SourceServer],
    targets: Iterable[TargetInstance],
    rules: MatchRules,
    stored: Iterable[FailoverPair],
    blocked: Mapping[str, str],
    lineage: Iterable[LineageState],
    claims: Mapping[str, str],
) -> Plan:
    unique, duplicated = _distinct(servers)
    unique, set_aside = staging_twins(unique)
    index = TargetIndex.build(targets, rules, lineage)
    run = _Matching(unique, index, rules, [None] * len(unique))
    links = LineageIndex.build(unique, stored)
    claimants = run.by_lineage(links)
    others = {**run.refused_claims, **_stored_claims(links, unique), **claims}
    run.contest(claimants, others)
    notes, chosen = run.by_override(claimants, others)
    taken = set(claimants) | set(others) | chosen
    wanting, used = run.by_name(taken, claimants, others)
    suggestions = (
        suggest_all(_free(index, taken | used, wanting, rules), wanting) if wanting else []
    )
    return finish(
        unique,
        run.decisions,
        rules,
        nothing_matched=run.nothing_matched,
        duplicated=duplicated,
        set_aside=set_aside,
        suggestions=suggestions,
        blocked=blocked,
        notes=notes,
    )


def _stored_claims(links: LineageIndex, servers: list[SourceServer]) -> dict[str, str]:
    """Targets drsorch's stored failover pairs give to servers outside the scope."""
    if not links.stored_by_target:
        return {}
    ours = {(s.account_id, s.source_server_id) for s in servers}
    return {
        str(instance_id): (
            f"failover pair {pair.source_server_id} -> {pair.target_instance_id} stored by"
            f" drsorch (request {pair.request_id}; the server is out of scope)"
        )
        for instance_id, pair in links.stored_by_target.items()
        if (pair.account_id, pair.source_server_id) not in ours
    }


def _distinct(
    servers: Iterable[SourceServer],
) -> tuple[list[SourceServer], dict[str, SourceServer]]:
    """The servers sorted by ID, once each; those reported twice differently, apart."""
    ordered = sorted(servers, key=_server_id)
    unique: list[SourceServer] = []
    duplicated: dict[str, SourceServer] = {}
    for server in ordered:
        if unique and unique[-1].source_server_id == server.source_server_id:
            known = unique[-1]
            if known is not server and known != server:
                # The least of all copies stands for them, whatever order they came in.
                first = duplicated.get(server.source_server_id, known)
                duplicated[server.source_server_id] = min(first, server, key=repr)
            continue
        unique.append(server)
    return [s for s in unique if s.source_server_id not in duplicated], duplicated


_server_id = operator.attrgetter("source_server_id")


@dataclass
class _Matching:
    """One run of `match`: the indexes, and each server's decision as it is made."""

    servers: list[SourceServer]
    """Sorted by ID; a server is known by its position here."""
    index: TargetIndex
    rules: MatchRules
    decisions: list[Decision | None]
    """By position; None until decided."""
    notes: dict[str, str] = field(default_factory=dict)
    """Lineage that led outside the launch region: said in the reason if the Name fails too."""
    nothing_matched: set[int] = field(default_factory=set)
    rivals: dict[str, list[int]] = field(default_factory=dict)
    """Targets the lineage of several servers points to, with those servers' positions."""
    claimers: dict[str, str] = field(default_factory=dict)
    """Claimed instances, and who claims them, for the Name pass's reasons."""
    refused_claims: dict[str, str] = field(default_factory=dict)
    """Instances named by lineage the matcher refused: still that server's, nobody's target."""

    def by_lineage(self, lineage: LineageIndex) -> dict[str, int]:
        """Pair by lineage; every target lineage points to, by its first claimant.

        A server whose lineage names anything is decided here, whatever becomes of it:
        lineage outranks names absolutely, so it never reaches the Name pass.
        """
        failback = self.rules.operation == "failback"
        claim = lineage.failback_claims if failback else lineage.failover_claims
        claimants: dict[str, int] = {}
        by_id = self.index.by_id
        decisions = self.decisions
        for at, server in enumerate(self.servers):
            refusal = origin_refusal(server, self.rules) or _failed_over_already(server, failback)
            if refusal is not None:
                decisions[at] = Unmatched(server, fact(refusal, 1024))
                self._keep_refused(
                    server, (server.origin_instance_id, server.recovery_ec2_instance_id)
                )
                continue
            claims = claim(server)
            if not claims:
                continue
            # The common case, decided fast: every claim names one eligible target.
            instance_id = claims[0][0]
            target = by_id.get(instance_id)
            if (
                target is None
                or target.account_id != server.account_id
                or (len(claims) > 1 and any(o != instance_id for o, _ in claims))
            ):
                self._judge_many(at, server, claims, claimants)
                continue
            self._claim(claimants, instance_id, at)
            decisions[at] = Pair(
                server, target, "lineage", evidence(claims, server, target), instance_id
            )
        for instance_id, ats in self.rivals.items():
            sids = ", ".join(sorted(self.servers[at].source_server_id for at in ats))
            why = f"ambiguous: the lineage of {sids} points to {instance_id}; none is paired"
            for at in ats:
                if isinstance(decisions[at], Pair):  # an ambiguous rival stays ambiguous
                    decisions[at] = Unmatched(self.servers[at], fact(why, 1024))
        return claimants

    def contest(self, claimants: Mapping[str, int], others: Mapping[str, str]) -> None:
        """A lineage pair whose instance a server outside the scope also claims: unpaired."""
        for instance_id, at in claimants.items():
            other = others.get(instance_id)
            decision = self.decisions[at]
            if other is None or not isinstance(decision, Pair):
                continue
            why = (
                f"ambiguous: the lineage of {self.servers[at].source_server_id} points to"
                f" {instance_id}, and so does {other}; none is paired"
            )
            self.decisions[at] = Unmatched(self.servers[at], fact(why, 1024))

    def by_override(
        self, claimants: Mapping[str, int], others: Mapping[str, str]
    ) -> tuple[list[str], set[str]]:
        """Apply the operator's `--target` overrides; notes on the request, targets chosen."""
        overrides = self.rules.overrides
        if not overrides:
            return [], set()
        positions = {server.source_server_id: at for at, server in enumerate(self.servers)}
        notes: list[str] = []
        chosen: dict[str, int] = {}
        for server_id, instance_id in sorted(overrides.items()):
            at = positions.get(server_id)
            if at is None:
                notes.append(
                    fact(f"override --target {server_id}={instance_id} names no server in scope")
                )
                continue
            self.decisions[at] = self._override(at, instance_id, claimants, others, chosen)
            chosen.setdefault(instance_id, at)
        return notes, set(chosen)

    def _override(
        self,
        at: int,
        instance_id: str,
        claimants: Mapping[str, int],
        others: Mapping[str, str],
        chosen: Mapping[str, int],
    ) -> Decision:
        server = self.servers[at]
        before = self.decisions[at]
        target = self.index.eligible(instance_id, server.account_id)
        if target is None:
            why_not = self.index.why_not(instance_id, server.account_id)
            why = f"override target {instance_id} {why_not}"
            return Unmatched(server, fact(why, 1024))
        holders = [
            self.servers[i].source_server_id
            for i in (*self.rivals.get(instance_id, ()), claimants.get(instance_id))
            if i is not None and i != at
        ]
        holder = (holders[0] if holders else None) or others.get(instance_id)
        if holder is None and chosen.get(instance_id, at) != at:
            holder = f"the override of {self.servers[chosen[instance_id]].source_server_id}"
        if holder is not None:
            why = (
                f"override target {instance_id} is claimed by {holder}: drsorch never"
                " launches a server into another server's instance"
            )
            return Unmatched(server, fact(why, 1024))
        operator = fact(f"operator override --target {server.source_server_id}={instance_id}")
        lineage_id = before.lineage_instance_id if isinstance(before, Pair) else None
        return Pair(server, target, "override", (operator, _contradicted(before)), lineage_id)

    def _claim(self, claimants: dict[str, int], instance_id: str, at: int) -> None:
        """Record that the server at `at` claims `instance_id`; a second claimant is a rival."""
        first = claimants.setdefault(instance_id, at)
        if first != at:
            self.rivals.setdefault(instance_id, [first]).append(at)

    def _judge_many(
        self, at: int, server: SourceServer, claims: list[Claim], claimants: dict[str, int]
    ) -> None:
        hits, refusals = judge(server, claims, self.index)
        for instance_id in sorted(hits):
            self._claim(claimants, instance_id, at)  # even an ambiguous claim is a rival
        self._keep_refused(server, (i for i, _ in claims if i not in hits))
        if refusals:
            # One instance lineage names cannot be used: the server is left alone, even
            # when another named one could (which of the two is right is not provable).
            self.decisions[at] = Unmatched(server, fact("; ".join(refusals), 1024))
        elif len(hits) > 1:
            summary = "; ".join(f"{i}: {min(w)}" for i, w in sorted(hits.items()))
            self.decisions[at] = Ambiguous(
                server,
                tuple(sorted(hits)),
                fact(f"lineage points to more than one instance: {summary}", 1024),
            )
        elif hits:  # every claim names this one eligible target
            instance_id = next(iter(hits))
            target = self.index.by_id[instance_id]
            self.decisions[at] = Pair(
                server, target, "lineage", evidence(claims, server, target), instance_id
            )

    def _keep_refused(self, server: SourceServer, instance_ids: Iterable[str | None]) -> None:
        """Instances a refused lineage names stay that server's: no other server's target.

        They may be candidates in another account of the request (a foreign origin), or
        the recovery instance DRS runs the server in.
        """
        for instance_id in instance_ids:
            if instance_id and instance_id not in self.refused_claims:
                self.refused_claims[instance_id] = (
                    f"the lineage of {server.source_server_id} (refused)"
                )

    def by_name(
        self, taken: set[str], claimants: Mapping[str, int], others: Mapping[str, str]
    ) -> tuple[list[Wanting], set[str]]:
        """Pair the rest by normalised Name; returns who wants suggestions, and targets used.

        Only servers without any lineage get here, and no instance any server's lineage
        claims (in scope or not) is theirs to take.
        """
        self.claimers = {i: self.servers[at].source_server_id for i, at in claimants.items()}
        self.claimers.update(others)
        first, crowds = self._group_by_name()
        wanting: list[Wanting] = []
        used: set[str] = set()
        by_name, shared = self.index.by_name, self.index.shared_names
        for key, leader in first.items():
            one = by_name.get(key)
            if (
                one is not None
                and key not in crowds
                and key not in shared
                and one.instance_id not in taken
            ):
                self._pair_by_name(leader, one, key[1])  # the common case, fast
                used.add(one.instance_id)
                continue
            named = self.index.named(key)
            used.update(t.instance_id for t in named)
            free = [t for t in named if t.instance_id not in taken]
            group = crowds.get(key, [leader])
            for at in group:
                self._by_name_one(at, key, named, free, len(group))
                if not named:
                    server = self.servers[at]
                    self.nothing_matched.add(at)
                    wanting.append((server.source_server_id, key[0], server.label or "", key[1]))
        wanting.sort()
        return wanting, used

    def _group_by_name(self) -> tuple[dict[NameKey, int], dict[NameKey, list[int]]]:
        """Undecided servers by name key: the first of each, and the keys several share."""
        first: dict[NameKey, int] = {}
        crowds: dict[NameKey, list[int]] = {}
        normalise = self.rules.names.normalise
        decisions = self.decisions
        for at, server in enumerate(self.servers):
            if decisions[at] is not None:
                continue
            label = server.name or server.hostname
            if label is None:
                decisions[at] = Unmatched(server, self._noted("no Name tag or hostname", server))
                continue
            key = (server.account_id, normalise(label))
            earlier = first.setdefault(key, at)
            if earlier != at:
                crowds.setdefault(key, [earlier]).append(at)
        return first, crowds

    def _by_name_one(
        self,
        at: int,
        key: NameKey,
        named: list[TargetInstance],
        free: list[TargetInstance],
        rivals: int,
    ) -> None:
        server = self.servers[at]
        label, norm = server.label, key[1]
        decision: Decision
        if len(free) == 1 and rivals == 1:
            self._pair_by_name(at, free[0], norm)
            return
        if len(free) > 1:
            ids = tuple(t.instance_id for t in free)
            why = f"Name {label!r} matches {len(ids)} instances: {norm!r}"
            decision = Ambiguous(server, ids, fact(why, 1024))
        elif free:
            why = f"ambiguous: {rivals} servers match {free[0].instance_id} by Name {norm!r};"
            decision = Unmatched(server, self._noted(f"{why} none of them is paired", server))
        elif named:
            holders = "; ".join(
                f"{t.instance_id}, claimed by {self.claimers.get(t.instance_id, 'lineage')}"
                for t in named
            )
            why = f"Name {label!r} matches {holders}: never another server's instance"
            decision = Unmatched(server, self._noted(why, server))
        else:
            why = f"no instance named {norm!r} in {key[0]}/{self.rules.launch_region}"
            decision = Unmatched(server, self._noted(why, server))
        self.decisions[at] = decision

    def _pair_by_name(self, at: int, target: TargetInstance, norm: str) -> None:
        server = self.servers[at]
        why = fact(f"Name {server.label!r} = {target.name!r} after normalisation ({norm!r})")
        self.decisions[at] = Pair(server, target, "name", (why,))

    def _noted(self, reason: str, server: SourceServer) -> str:
        note = self.notes.get(server.source_server_id)
        return fact(f"{reason}; {note}" if note else reason, 1024)


def _failed_over_already(server: SourceServer, failback: bool) -> str | None:
    """A failover of a server DRS already runs in a recovery instance: it is left alone."""
    recovery = server.recovery_ec2_instance_id
    if failback or recovery is None or server.recovery_is_drill:
        return None
    return (
        f"recovery instance {recovery} recorded by DRS runs this server already: a new"
        " failover would replace it, so drsorch pairs it with no other instance"
    )


def _contradicted(before: Decision | None) -> str:
    """What the server's own lineage said, shown beside an override that overrules it."""
    if before is None:
        return "no lineage recorded for this server"
    if isinstance(before, Pair) and before.target is not None:
        return fact(f"overrules lineage, which names {before.target.instance_id}")
    reason = before.reason if not isinstance(before, Pair) else "a standard launch"
    return fact(f"overrules lineage: {reason}")


def _free(
    index: TargetIndex, used: set[str], wanting: list[Wanting], rules: MatchRules
) -> SuggestionIndex:
    """The targets no server took or matched, in the accounts that want suggestions."""
    accounts = {w[1] for w in wanting}
    normalise = rules.names.normalise
    free = (index.by_id[i] for i in sorted(index.by_id.keys() - used))
    return SuggestionIndex(
        (normalise(t.name), t) for t in free if t.name and t.account_id in accounts
    )
