"""The matcher's decision, as one pure function: `match`.

Lineage first (what DRS recorded, and the failover pairs drsorch stored), then the
Name tag after normalisation; similar names are only suggested. Strictly one to
one: a server with two equally good targets, or a target two servers claim, pairs
nobody. The launch-into mode and discovery's blocking problems then decide what is
recovered. Linear in servers and targets: dictionaries, no pairwise comparison.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from drsorch.matcher.lineage import Claim, LineageIndex
from drsorch.matcher.outcomes import Outcome, finish
from drsorch.matcher.records import (
    FailoverPair,
    MatchRules,
    Plan,
    SourceServer,
    TargetInstance,
    fact,
)
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
) -> Plan:
    """Pair each server with at most one target; the result ignores the inputs' order.

    `stored` holds the failover pairs drsorch applied before; `blocked` maps a server
    ID to the reason discovery left it out (it is matched, then reported unmatched).
    """
    unique, duplicated = _distinct(servers)
    index = TargetIndex.build(targets, rules)
    run = _Matching(unique, index, rules)
    taken = run.by_lineage(LineageIndex.build(unique.values(), stored))
    wanting, used = run.by_name(taken)
    suggestions = suggest_all(_free(index, taken | used, wanting), wanting) if wanting else []
    return finish(
        unique,
        run.outcomes,
        rules,
        duplicated=duplicated,
        suggestions=suggestions,
        blocked=blocked or {},
    )


def _distinct(
    servers: Iterable[SourceServer],
) -> tuple[dict[str, SourceServer], dict[str, SourceServer]]:
    unique: dict[str, SourceServer] = {}
    duplicated: dict[str, SourceServer] = {}
    for server in servers:
        known = unique.setdefault(server.source_server_id, server)
        if known != server:
            duplicated[server.source_server_id] = min(known, server, key=repr)
    for sid in duplicated:
        del unique[sid]
    return unique, duplicated


def _judge(
    server: SourceServer, claims: list[Claim], index: TargetIndex
) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Claims split three ways: eligible (by instance), refusals, and notes."""
    hits: defaultdict[str, list[str]] = defaultdict(list)
    refusals: list[str] = []
    notes: list[str] = []
    for instance_id, why in claims:
        if index.eligible(instance_id, server.account_id) is not None:
            hits[instance_id].append(why)
            continue
        text = f"{why}, but {index.why_not(instance_id, server.account_id)}"
        seen = index.seen.get(instance_id)
        # An instance in the launch region that lineage names but that cannot be used
        # (another account, terminated) is final; one elsewhere leaves the Name to try.
        (refusals if seen and seen.region == index.launch_region else notes).append(text)
    return dict(hits), sorted(set(refusals)), sorted(set(notes))


@dataclass
class _Matching:
    """One run of `match`: the indexes, and each server's outcome as it is decided."""

    servers: Mapping[str, SourceServer]
    index: TargetIndex
    rules: MatchRules
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def by_lineage(self, lineage: LineageIndex) -> set[str]:
        """Pair by lineage; returns every target lineage points to, contested ones included."""
        failback = self.rules.operation == "failback"
        claim = lineage.failback_claims if failback else lineage.failover_claims
        single: defaultdict[str, list[str]] = defaultdict(list)
        taken: set[str] = set()
        for sid, server in self.servers.items():
            claims = claim(server)
            if not claims:
                continue
            hits, refusals, noted = _judge(server, claims, self.index)
            taken.update(hits)
            if noted:
                self.notes[sid] = "; ".join(noted)
            if len(hits) > 1:
                summary = "; ".join(f"{i}: {min(w)}" for i, w in sorted(hits.items()))
                self.outcomes[sid] = Outcome.ambiguous(
                    tuple(sorted(hits)), f"lineage points to more than one instance: {summary}"
                )
            elif hits:
                instance_id, why = next(iter(hits.items()))
                single[instance_id].append(sid)
                target = self.index.by_id[instance_id]
                self.outcomes[sid] = Outcome.pair(target, "lineage", _evidence(why, target))
            elif refusals:
                self.outcomes[sid] = Outcome.unmatched("; ".join(refusals))
        for instance_id, sids in single.items():
            if len(sids) > 1:
                for sid in sids:
                    self.outcomes[sid] = Outcome.unmatched(
                        f"ambiguous: the lineage of {', '.join(sorted(sids))} points to"
                        f" {instance_id}; none of them is paired"
                    )
        return taken

    def by_name(self, taken: set[str]) -> tuple[list[Wanting], set[str]]:
        """Pair the rest by normalised Name; returns who wants suggestions, and targets used."""
        groups: defaultdict[NameKey, list[SourceServer]] = defaultdict(list)
        normalise = self.rules.names.normalise
        for sid, server in self.servers.items():
            if sid in self.outcomes:
                continue
            if server.label is None:
                self.outcomes[sid] = Outcome.unmatched(self._noted("no Name tag or hostname", sid))
            else:
                groups[(server.account_id, normalise(server.label))].append(server)
        wanting: list[Wanting] = []
        used: set[str] = set()
        for key, group in groups.items():
            named = self.index.by_name.get(key, [])
            used.update(t.instance_id for t in named)
            free = [t for t in named if t.instance_id not in taken]
            for server in group:
                sid = server.source_server_id
                outcome = self._by_name_one(server, key, named, free, len(group))
                if outcome.kind == "unmatched":
                    outcome = Outcome.unmatched(
                        self._noted(outcome.reason, sid), standard_ok=outcome.standard_ok
                    )
                    if not named:
                        wanting.append((sid, key[0], server.label or "", key[1]))
                self.outcomes[sid] = outcome
        wanting.sort()
        return wanting, used

    def _by_name_one(
        self,
        server: SourceServer,
        key: NameKey,
        named: list[TargetInstance],
        free: list[TargetInstance],
        rivals: int,
    ) -> Outcome:
        label, norm = server.label, key[1]
        if not named:
            where = f"{key[0]}/{self.rules.launch_region}"
            return Outcome.unmatched(f"no instance named {norm!r} in {where}", standard_ok=True)
        if not free:
            holders = ", ".join(t.instance_id for t in named)
            return Outcome.unmatched(f"Name {label!r} matches {holders}, claimed by lineage")
        if len(free) > 1:
            ids = tuple(t.instance_id for t in free)
            return Outcome.ambiguous(ids, f"Name {label!r} matches {len(ids)} instances: {norm!r}")
        if rivals > 1:
            return Outcome.unmatched(
                f"ambiguous: {rivals} servers match {free[0].instance_id} by Name {norm!r};"
                " none of them is paired"
            )
        target = free[0]
        evidence = f"Name {label!r} = {target.name!r} after normalisation ({norm!r})"
        return Outcome.pair(target, "name", (fact(evidence),))

    def _noted(self, reason: str, sid: str) -> str:
        note = self.notes.get(sid)
        return f"{reason}; {note}" if note else reason


def _evidence(why: list[str], target: TargetInstance) -> tuple[str, ...]:
    facts = sorted(set(why))
    if target.name:
        facts.append(f"{target.instance_id} is named {target.name!r} now; lineage outranks Names")
    return tuple(fact(text) for text in facts)


def _free(index: TargetIndex, used: set[str], wanting: list[Wanting]) -> SuggestionIndex:
    accounts = {w[1] for w in wanting}
    return SuggestionIndex(
        (norm, target)
        for (account, norm), group in index.by_name.items()
        if account in accounts
        for target in group
        if target.instance_id not in used
    )
