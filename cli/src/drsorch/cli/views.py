"""What the request commands print: the plan, the summary table, and the report's files."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from drsorch.cli.palette import RICH_STYLES
from drsorch.cli.plan import Plan
from drsorch.cli.report import Report
from drsorch.cli.tracker import READY

MAX_PAIR_ROWS = 200


def _pairs_table(plan: Plan) -> Table:
    results = {r.source_server_id: r for r in plan.configuration}
    table = Table(title=f"Pairs ({len(plan.pairs)})", title_justify="left", show_lines=False)
    widths = {"wave": 4, "server": 16, "account": 12, "target": 19, "method": 7}
    for column, width in widths.items():
        table.add_column(column, no_wrap=True, min_width=width)
    # One line a pair, however narrow the terminal: refusals are spelled out below the table.
    table.add_column("evidence", no_wrap=True, overflow="ellipsis", max_width=60)
    table.add_column("configuration", no_wrap=True, min_width=8)
    pairs = sorted(
        plan.pairs, key=lambda p: (p.server.wave, p.server.name or "", p.server.source_server_id)
    )
    for pair in pairs[:MAX_PAIR_ROWS]:
        result = results.get(pair.server.source_server_id)
        verdict: str = "—" if result is None else result.outcome
        if result is not None and result.outcome not in READY:
            verdict = f"[magenta]{result.outcome}[/]"
        target = pair.target.instance_id if pair.target else "standard launch"
        table.add_row(
            str(pair.server.wave),
            pair.server.name or pair.server.source_server_id,
            pair.server.account_id,
            target,
            pair.method or "—",
            pair.evidence[0] if pair.evidence else "",
            verdict,
        )
    if len(pairs) > MAX_PAIR_ROWS:
        table.caption = f"... and {len(pairs) - MAX_PAIR_ROWS} more (all are in the plan file)"
    return table


def print_plan(console: Console, plan: Plan, saved: Path | None) -> None:
    """The plan in full, ending with its hash and the command that approves it."""
    console.print(_pairs_table(plan))
    names = {p.server.source_server_id: p.server.name for p in plan.pairs}
    for r in plan.configuration:
        if r.outcome not in READY:
            name = names.get(r.source_server_id) or r.source_server_id
            console.print(f"[magenta]refused[/] {name}: {r.reason}")
    for u in plan.unmatched:
        console.print(
            f"[orange4]unmatched[/] {u.server.name or u.server.source_server_id}: {u.reason}"
        )
    for a in plan.ambiguous:
        console.print(
            f"[deep_pink3]ambiguous[/] {a.server.name or a.server.source_server_id}: {a.reason} "
            f"({', '.join(a.candidate_instance_ids)})"
        )
    for p in plan.problems:
        where = p.source_server_id or f"account {p.account_id}"
        console.print(f"[grey50]problem[/] {p.kind} {where}: {p.reason}")
    _print_overrides(console, plan)
    if plan.changes:
        console.print("[bold]Launch settings to change[/]")
        for c in plan.changes:
            console.print(f"  {c.setting}: {c.before} -> {c.after} on {c.servers} servers")
    console.print("[bold]Waves and jobs[/]")
    for wave in plan.waves:
        sizes = ", ".join(f"{j.servers} in {j.account_id}/{j.region}" for j in wave.jobs)
        console.print(
            f"  wave {wave.wave}: {wave.servers} servers in {len(wave.jobs)} jobs ({sizes})"
        )
    console.print(f"Estimate: about {plan.estimate_minutes} min ({plan.estimate_reason}).")
    _print_pipeline(console, plan)
    launching = len(plan.launching())
    console.print(
        f"[bold]Plan {plan.plan_hash}[/]: {launching} of {len(plan.pairs)} pairs launch, "
        f"{len(plan.unmatched)} unmatched, {len(plan.ambiguous)} ambiguous."
    )
    if saved is not None:
        console.print(f"Saved to {saved}.")


def _print_pipeline(console: Console, plan: Plan) -> None:
    """A failback's replication slots: each FAILBACK server replicates only in its turn."""
    if not plan.pipeline and not plan.unplaced:
        return
    console.print("[bold]Replication slots (reverse replication in turns)[/]")
    for p in plan.pipeline:
        limit = f", slot limit {p.slot_limit}" if p.slot_limit is not None else ""
        minutes = math.ceil(p.estimate_seconds / 60)
        console.print(
            f"  {p.account_id}/{p.region}: {p.servers} servers through at most {p.slots} slots"
            f" in {p.batches} batches, about {minutes} min at {p.assumed_sync_seconds} s of"
            f" sync per batch (quota {p.quota}{limit}, {p.replicating_outside} held outside"
            " the request)" + (f"; {p.unplaced} cannot be placed" if p.unplaced else "")
        )
    names = {pair.server.source_server_id: pair.server.name for pair in plan.pairs}
    for server_id in plan.unplaced:
        console.print(f"  [red]cannot be placed[/] {names.get(server_id) or server_id}")


def _print_overrides(console: Console, plan: Plan) -> None:
    """The operator's choices, each beside the lineage it overrules (design §4)."""
    for pair in plan.pairs:
        if pair.method == "override" and pair.target is not None:
            console.print(
                f"[bold yellow]override[/] {pair.server.name or pair.server.source_server_id} "
                f"-> {pair.target.instance_id}: {'; '.join(pair.evidence)}"
            )


def summary_table(report: Report) -> Table:
    """Per wave, how many servers ended in each outcome; then the totals."""
    outcomes = [o for o, n in report.summary.by_outcome.items() if n]
    table = Table(
        title=f"{report.operation} {report.request_id}: {report.status}", title_justify="left"
    )
    table.add_column("wave", justify="right")
    for outcome in outcomes:
        table.add_column(f"[{RICH_STYLES.get(outcome, '')}]{outcome}[/]", justify="right")
    table.add_column("jobs", justify="right")
    waves = sorted({s.server.wave for s in report.servers})
    for wave in waves:
        counted = Counter(s.outcome for s in report.servers if s.server.wave == wave)
        jobs = sum(1 for j in report.jobs if j.wave == wave)
        table.add_row(str(wave), *(str(counted.get(o, 0)) for o in outcomes), str(jobs))
    totals = report.summary.by_outcome
    table.add_row("all", *(str(totals[o]) for o in outcomes), str(len(report.jobs)), style="bold")
    return table


def print_summary(console: Console, report: Report) -> None:
    """The summary table, the servers that did not land, and the headline."""
    console.print(summary_table(report))
    misses = [s for s in report.servers if s.outcome not in {"recovered", "planned"}]
    for server in misses[:50]:
        style = RICH_STYLES.get(server.outcome, "")
        ref = server.server
        console.print(
            f"  [{style}]{server.outcome}[/] {ref.name or '?'} ({ref.source_server_id}): "
            f"{server.reason or ''}"
        )
    if len(misses) > 50:
        console.print(f"  ... and {len(misses) - 50} more (see the report)")
    for u in report.unmatched:
        console.print(
            f"  [orange4]unmatched[/] {u.server.name or u.server.source_server_id}: {u.reason}"
        )
    for a in report.ambiguous:
        console.print(
            f"  [deep_pink3]ambiguous[/] {a.server.name or a.server.source_server_id}: {a.reason}"
        )
    s = report.summary
    console.print(
        f"[bold]{report.status}[/]: {s.landed_where_expected} of {s.servers} servers landed where "
        f"expected; {len(report.jobs)} jobs; "
        f"{sum(report.api_calls.values())} DRS API calls; {report.timings.duration_seconds:.0f} s."
    )
    if report.reason:
        console.print(f"Reason: {report.reason}")
    if report.trace_id:
        console.print(f"Trace ID: {report.trace_id}")
