"""From each server's decision to the plan: the launch-into mode, blocked servers, the hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence, Set

from drsorch.matcher.records import (
    Ambiguous,
    Decision,
    MatchRules,
    Pair,
    Plan,
    SourceServer,
    Suggestion,
    Unmatched,
    fact,
)

NEVER = "launch-into never (a drill): a standard launch; no existing instance is launched into"
PREFERRED = "launch-into preferred and no target matched: a standard launch"
DUPLICATED = "discovery reported this server more than once, with different details"


def finish(
    servers: Sequence[SourceServer],
    decisions: Sequence[Decision | None],
    rules: MatchRules,
    *,
    nothing_matched: Set[int],
    duplicated: Mapping[str, SourceServer],
    suggestions: Sequence[Suggestion],
    set_aside: Sequence[Unmatched] = (),
    blocked: Mapping[str, str],
    notes: Sequence[str] = (),
) -> Plan:
    """The plan: the mode and discovery's blocks applied to each server's decision.

    `servers` are sorted by ID and `decisions` follow them; `nothing_matched` holds
    the positions of unmatched servers no target matched at all: with launch-into
    `preferred` they get a standard launch.
    """
    pairs: list[Pair] = []
    unmatched: list[Unmatched] = []
    ambiguous: list[Ambiguous] = []
    as_made = rules.launch_into == "required" and not blocked  # the common case
    for at, made in enumerate(decisions):
        assert made is not None, f"{servers[at].source_server_id} was never decided"
        decision = (
            made
            if as_made
            else _in_mode(
                made, rules, at in nothing_matched, blocked.get(servers[at].source_server_id)
            )
        )
        if isinstance(decision, Pair):
            pairs.append(decision)
        elif isinstance(decision, Unmatched):
            unmatched.append(decision)
        else:
            ambiguous.append(decision)
    if duplicated or set_aside:
        unmatched.extend(Unmatched(duplicated[sid], DUPLICATED) for sid in duplicated)
        unmatched.extend(set_aside)
        unmatched.sort(key=lambda u: u.server.source_server_id)
    return Plan(
        pairs=tuple(pairs),
        unmatched=tuple(unmatched),
        ambiguous=tuple(ambiguous),
        suggestions=tuple(s for s in suggestions if s.source_server_id not in blocked),
        plan_hash=plan_hash(pairs, rules),
        notes=tuple(notes),
    )


def _in_mode(
    decision: Decision, rules: MatchRules, nothing_matched: bool, blocked: str | None
) -> Decision:
    server = decision.server
    if blocked is not None:
        return Unmatched(server, fact(f"left out by discovery: {blocked}", 1024))
    if rules.launch_into == "never":
        return Pair(server, None, None, (NEVER, fact(_summary(decision))))
    if rules.launch_into == "preferred" and nothing_matched and isinstance(decision, Unmatched):
        return Pair(server, None, None, (PREFERRED, fact(decision.reason)))
    return decision


def _summary(decision: Decision) -> str:
    """What matching found, as one fact, for a server that is not launched into anything."""
    if isinstance(decision, Pair) and decision.target is not None:
        facts = "; ".join(decision.evidence)
        return f"matched {decision.target.instance_id} by {decision.method}: {facts}"
    if isinstance(decision, Pair):
        return "a standard launch"
    kind = "ambiguous" if isinstance(decision, Ambiguous) else "unmatched"
    reason = decision.reason
    return reason if reason.startswith(f"{kind}:") else f"{kind}: {reason}"


def plan_hash(pairs: Iterable[Pair], rules: MatchRules) -> str:
    """SHA-256 of what an apply would do: server -> target and wave, settings, mode.

    The canonical form is a JSON header (operation, launch region, mode, settings)
    and one tab-separated line per pair, sorted: server ID, account, target (`-` for a
    standard launch), wave. Evidence and method are left out: they explain the plan
    without changing it.
    """
    header = {
        "v": 1,
        "operation": rules.operation,
        "launch_region": rules.launch_region,
        "launch_into": rules.launch_into,
        "launch_settings": dict(rules.launch_settings),
    }
    rows = sorted(
        f"\n{p.server.source_server_id}\t{p.server.account_id}"
        f"\t{p.target.instance_id if p.target else '-'}\t{p.server.wave}"
        for p in pairs
    )
    digest = hashlib.sha256(json.dumps(header, sort_keys=True, separators=(",", ":")).encode())
    digest.update("".join(rows).encode())
    return digest.hexdigest()
