"""The candidate targets of one request, indexed the two ways the matcher looks them up.

By instance ID for lineage, by (account, normalised Name) for names. Only instances
in the operation's launch region that still exist are eligible, and a lookup always
names the server's account: a pair never crosses accounts or leaves the launch region.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from drsorch.matcher.records import GONE_STATES, LineageState, MatchRules, TargetInstance

NameKey = tuple[str, str]  # (account, normalised name)


def _conflicting(targets: list[TargetInstance], seen: dict[str, TargetInstance]) -> set[str]:
    """Instance IDs reported more than once with different details."""
    return {t.instance_id for t in targets if seen[t.instance_id] != t}


@dataclass(frozen=True, slots=True)
class TargetIndex:
    """Eligible targets by ID and by name key; every target seen, to explain refusals."""

    by_id: dict[str, TargetInstance]
    by_name: dict[NameKey, TargetInstance]
    """One target per name key: the only one, or (see `shared_names`) one of several."""
    shared_names: dict[NameKey, list[TargetInstance]]
    """Name keys several targets share: all of them, by instance ID."""
    seen: dict[str, TargetInstance]
    conflicting: frozenset[str]
    """Instance IDs reported more than once with different details: never eligible."""
    launch_region: str
    lineage: dict[str, LineageState]
    """What EC2 says of instances lineage names that are no candidates (terminated, unknown)."""

    @classmethod
    def build(
        cls,
        targets: Iterable[TargetInstance],
        rules: MatchRules,
        lineage: Iterable[LineageState] = (),
    ) -> TargetIndex:
        """Index `targets`; an instance reported twice with different details is left out."""
        listed = list(targets)
        seen = {t.instance_id: t for t in listed}
        conflicting = _conflicting(listed, seen) if len(seen) < len(listed) else set()
        region = rules.launch_region
        by_id = {
            instance_id: t
            for instance_id, t in seen.items()
            if t.region == region and t.state not in GONE_STATES and instance_id not in conflicting
        }
        normalise = rules.names.normalise
        by_name: dict[NameKey, TargetInstance] = {}
        shared: dict[NameKey, list[TargetInstance]] = {}
        for target in by_id.values():
            if target.name:
                key = (target.account_id, normalise(target.name))
                first = by_name.setdefault(key, target)
                if first is not target:
                    shared.setdefault(key, [first]).append(target)
        for group in shared.values():
            group.sort(key=lambda t: t.instance_id)  # input order must not show
        states = {state.instance_id: state for state in lineage}
        return cls(by_id, by_name, shared, seen, frozenset(conflicting), region, states)

    def named(self, key: NameKey) -> list[TargetInstance]:
        """Every eligible target with this name key, by instance ID."""
        shared = self.shared_names.get(key)
        if shared is not None:
            return shared
        one = self.by_name.get(key)
        return [one] if one is not None else []

    def eligible(self, instance_id: str, account_id: str) -> TargetInstance | None:
        """The target, if a server of `account_id` may be launched into it."""
        target = self.by_id.get(instance_id)
        return target if target is not None and target.account_id == account_id else None

    def why_not(self, instance_id: str, account_id: str) -> str:
        """Why `instance_id` is not an eligible target for a server of `account_id`.

        Said as a fact about the instance ("is terminated", "was not found by EC2 in
        …"), to follow the fact that names it.
        """
        if instance_id in self.conflicting:
            return "was reported twice with different details"
        here = f"{account_id}/{self.launch_region}"
        target = self.seen.get(instance_id)
        if target is not None:
            known = LineageState(instance_id, target.account_id, target.region, target.state)
        else:
            known = self.lineage.get(instance_id) or LineageState(instance_id, "", "", "")
        if known.state == "":
            return f"is not a live instance in {here}"
        if known.state == "not_found":
            return f"was not found by EC2 in {known.account_id}/{known.region}"
        if known.account_id != account_id:
            return f"is in account {known.account_id}, not the server's account {account_id}"
        if known.region != self.launch_region:
            return f"is in {known.region}, not in {self.launch_region}"
        return f"is {known.state}"
