"""The candidate targets of one request, indexed the two ways the matcher looks them up.

By instance ID for lineage, by (account, normalised Name) for names. Only instances
in the operation's launch region that still exist are eligible, and a lookup always
names the server's account: a pair never crosses accounts or leaves the launch region.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from drsorch.matcher.records import GONE_STATES, MatchRules, TargetInstance

NameKey = tuple[str, str]  # (account, normalised name)


@dataclass(frozen=True, slots=True)
class TargetIndex:
    """Eligible targets by ID and by name key; every target seen, to explain refusals."""

    by_id: dict[str, TargetInstance]
    by_name: dict[NameKey, list[TargetInstance]]
    seen: dict[str, TargetInstance]
    launch_region: str

    @classmethod
    def build(cls, targets: Iterable[TargetInstance], rules: MatchRules) -> TargetIndex:
        """Index `targets`; an instance reported twice with different details is left out."""
        seen: dict[str, TargetInstance] = {}
        conflicting: set[str] = set()
        for target in targets:
            known = seen.setdefault(target.instance_id, target)
            if known != target:
                conflicting.add(target.instance_id)
        by_id: dict[str, TargetInstance] = {}
        by_name: defaultdict[NameKey, list[TargetInstance]] = defaultdict(list)
        normalise = rules.names.normalise
        region = rules.launch_region
        for instance_id, target in seen.items():
            if target.region != region or target.state in GONE_STATES:
                continue
            if instance_id in conflicting:
                continue
            by_id[instance_id] = target
            if target.name:
                by_name[(target.account_id, normalise(target.name))].append(target)
        for group in by_name.values():
            if len(group) > 1:
                group.sort(key=lambda t: t.instance_id)  # input order must not show
        return cls(by_id, dict(by_name), seen, region)

    def eligible(self, instance_id: str, account_id: str) -> TargetInstance | None:
        """The target, if a server of `account_id` may be launched into it."""
        target = self.by_id.get(instance_id)
        return target if target is not None and target.account_id == account_id else None

    def why_not(self, instance_id: str, account_id: str) -> str:
        """Why `instance_id` is not an eligible target for a server of `account_id`."""
        target = self.seen.get(instance_id)
        if target is None:
            return f"{instance_id} is not among the candidate targets discovery found"
        if target.account_id != account_id:
            return f"{instance_id} is in account {target.account_id}, not the server's"
        if target.region != self.launch_region:
            return f"{instance_id} is in {target.region}, not in {self.launch_region}"
        if target.state in GONE_STATES:
            return f"{instance_id} is {target.state}"
        return f"{instance_id} was reported twice with different details"
