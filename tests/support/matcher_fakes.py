"""Hand-written fakes of the matcher's ports, proven by the same suite as the real adapter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from drsorch.matcher.ports import PlanSummary, SavedPlan
from drsorch.matcher.records import FailoverPair, Plan


@dataclass
class FakePlanRepository:
    """`PlanRepository` in dicts; `fail` makes every call raise, as an unreachable table."""

    plans: dict[str, SavedPlan] = field(default_factory=dict)
    by_server: dict[tuple[str, str], FailoverPair] = field(default_factory=dict)
    by_target: dict[str, FailoverPair] = field(default_factory=dict)
    fail: bool = False
    lookups: list[tuple[list[tuple[str, str]], list[str]]] = field(default_factory=list)

    def _check(self) -> None:
        if self.fail:
            raise ConnectionError("the matcher's table is unreachable")

    async def save_plan(self, summary: PlanSummary, plan: Plan) -> None:
        self._check()
        decisions: dict[str, tuple[str, str | None]] = {
            p.server.source_server_id: ("pair", p.target.instance_id if p.target else None)
            for p in plan.pairs
        }
        decisions.update({u.server.source_server_id: ("unmatched", None) for u in plan.unmatched})
        decisions.update({a.server.source_server_id: ("ambiguous", None) for a in plan.ambiguous})
        origins = {
            p.server.source_server_id: (p.server.account_id, p.server.origin_instance_id)
            for p in plan.pairs
        }
        self.plans[summary.request_id] = SavedPlan(summary, decisions, origins)

    async def plan(self, request_id: str, servers: Sequence[str] | None = None) -> SavedPlan | None:
        self._check()
        saved = self.plans.get(request_id)
        if saved is None or servers is None:
            return saved
        return SavedPlan(
            saved.summary,
            {k: v for k, v in saved.decisions.items() if k in servers},
            {k: v for k, v in saved.origins.items() if k in servers},
        )

    async def save_failover_pairs(self, pairs: Sequence[FailoverPair]) -> None:
        self._check()
        for pair in pairs:
            self.by_server[(pair.account_id, pair.source_server_id)] = pair
            self.by_target[pair.target_instance_id] = pair

    async def failover_pairs(
        self, servers: Sequence[tuple[str, str]], instance_ids: Sequence[str]
    ) -> list[FailoverPair]:
        self._check()
        self.lookups.append((list(servers), list(instance_ids)))
        found = [self.by_server[k] for k in servers if k in self.by_server]
        found += [self.by_target[i] for i in instance_ids if i in self.by_target]
        return list(dict.fromkeys(found))
