"""What changed between an approved plan and the plan drsorch finds now (drift)."""

from __future__ import annotations

from drsorch.cli.plan import Plan
from drsorch.contracts import Pair

MAX_LINES = 40


def _name(pair: Pair) -> str:
    return f"{pair.server.name or '?'} ({pair.server.source_server_id})"


def _target(pair: Pair) -> str:
    return pair.target.instance_id if pair.target else "standard launch"


def _left_out(plan: Plan) -> dict[str, str]:
    out = {u.server.source_server_id: f"unmatched: {u.reason}" for u in plan.unmatched}
    out |= {a.server.source_server_id: f"ambiguous: {a.reason}" for a in plan.ambiguous}
    out |= {
        r.source_server_id: f"refused: {r.reason}"
        for r in plan.configuration
        if r.outcome == "rejected"
    }
    return out


def diff_plans(approved: Plan, current: Plan) -> list[str]:
    """One line per difference, servers by ID; empty when the two plans say the same."""
    old = {p.server.source_server_id: p for p in approved.pairs}
    new = {p.server.source_server_id: p for p in current.pairs}
    lines = [
        f"+ {_name(new[i])} -> {_target(new[i])} (now paired)"
        for i in sorted(new.keys() - old.keys())
    ]
    lines += [
        f"- {_name(old[i])} -> {_target(old[i])} (no longer paired)"
        for i in sorted(old.keys() - new.keys())
    ]
    for i in sorted(old.keys() & new.keys()):
        before, after = old[i], new[i]
        if (_target(before), before.method) != (_target(after), after.method):
            lines.append(
                f"~ {_name(after)}: {_target(before)} by {before.method} -> "
                f"{_target(after)} by {after.method}"
            )
    was, now = _left_out(approved), _left_out(current)
    lines += [f"! {i}: {now[i]}" for i in sorted(now) if was.get(i) != now[i]]
    lines += [f"ok {i}: no longer {was[i].split(':')[0]}" for i in sorted(was.keys() - now.keys())]
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES], f"... and {len(lines) - MAX_LINES} more differences"]
    return lines
