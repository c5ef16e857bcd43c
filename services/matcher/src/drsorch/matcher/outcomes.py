"""From per-server outcomes to the plan: the launch-into mode, blocked servers, the hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from drsorch.matcher.records import (
    Ambiguous,
    MatchRules,
    Method,
    Pair,
    Plan,
    SourceServer,
    Suggestion,
    TargetInstance,
    Unmatched,
    fact,
)

MAX_CANDIDATES = 20  # the contract's bound on an ambiguous server's candidates
NEVER = "launch-into never (a drill): a standard launch; no existing instance is launched into"
PREFERRED = "launch-into preferred and no target matched: a standard launch"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What matching decided for one server, before the mode and blocking are applied."""

    kind: Literal["pair", "ambiguous", "unmatched"]
    target: TargetInstance | None = None
    method: Method | None = None
    evidence: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    reason: str = ""
    standard_ok: bool = False
    """Unmatched only because nothing matched at all: `preferred` may launch it standard."""

    @classmethod
    def pair(cls, target: TargetInstance, method: Method, evidence: tuple[str, ...]) -> Outcome:
        return cls("pair", target=target, method=method, evidence=evidence)

    @classmethod
    def ambiguous(cls, candidates: tuple[str, ...], reason: str) -> Outcome:
        return cls("ambiguous", candidates=candidates, reason=reason)

    @classmethod
    def unmatched(cls, reason: str, *, standard_ok: bool = False) -> Outcome:
        return cls("unmatched", reason=reason, standard_ok=standard_ok)

    def summary(self) -> str:
        """One fact saying what matching found, for a server that is not launched into."""
        if self.kind == "pair" and self.target is not None:
            return f"matched {self.target.instance_id} by {self.method}: {'; '.join(self.evidence)}"
        if self.kind == "ambiguous":
            return f"ambiguous: {self.reason}"
        return f"unmatched: {self.reason}"


def finish(
    servers: Mapping[str, SourceServer],
    outcomes: Mapping[str, Outcome],
    rules: MatchRules,
    *,
    duplicated: Mapping[str, SourceServer],
    suggestions: Sequence[Suggestion],
    blocked: Mapping[str, str],
) -> Plan:
    """The plan: outcomes turned into pairs, unmatched and ambiguous, sorted by server ID."""
    pairs: list[Pair] = []
    unmatched: list[Unmatched] = []
    ambiguous: list[Ambiguous] = []
    for sid in sorted(servers):
        server, outcome = servers[sid], outcomes[sid]
        if sid in blocked:
            reason = f"left out by discovery: {blocked[sid]}"
            unmatched.append(Unmatched(server, fact(reason, 1024)))
        elif rules.launch_into == "never":
            pairs.append(Pair(server, None, None, (NEVER, fact(outcome.summary()))))
        elif outcome.kind == "pair":
            pairs.append(Pair(server, outcome.target, outcome.method, outcome.evidence))
        elif outcome.kind == "ambiguous":
            ids = outcome.candidates[:MAX_CANDIDATES]
            ambiguous.append(Ambiguous(server, ids, fact(outcome.reason, 1024)))
        elif outcome.standard_ok and rules.launch_into == "preferred":
            pairs.append(Pair(server, None, None, (PREFERRED, fact(outcome.reason))))
        else:
            unmatched.append(Unmatched(server, fact(outcome.reason, 1024)))
    for sid in sorted(duplicated):
        reason = "discovery reported this server more than once, with different details"
        unmatched.append(Unmatched(duplicated[sid], reason))
    unmatched.sort(key=lambda u: u.server.source_server_id)
    shown = {sid for sid in servers if sid not in blocked and outcomes[sid].kind != "pair"}
    kept = tuple(s for s in suggestions if s.source_server_id in shown)
    return Plan(tuple(pairs), tuple(unmatched), tuple(ambiguous), kept, plan_hash(pairs, rules))


def plan_hash(pairs: Sequence[Pair], rules: MatchRules) -> str:
    """SHA-256 of what an apply would do: server -> target and wave, settings, mode.

    Evidence and method are left out: they explain the plan without changing it.
    Pairs are sorted by server ID here, so the hash ignores the inputs' order.
    """
    rows = sorted(
        [
            p.server.source_server_id,
            p.server.account_id,
            p.target.instance_id if p.target else None,
            p.server.wave,
        ]
        for p in pairs
    )
    body = {
        "v": 1,
        "operation": rules.operation,
        "launch_region": rules.launch_region,
        "launch_into": rules.launch_into,
        "launch_settings": dict(rules.launch_settings),
        "pairs": rows,
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
