"""The live progress display: stage bars, a bar per wave and per job, and a line per milestone.

Bars: discovered, paired, configured, launched and failed for the whole request,
then one per wave (servers launched or failed of those planned) and one per DRS
job. Milestones (discovery done, plan made, a refusal, a job started or completed,
the end) are printed above the bars as lines, which is also all a terminal that is
not interactive (a log, a pipe) shows besides the final state of the bars.
"""

from __future__ import annotations

from collections import defaultdict
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from drsorch.cli.tracker import RequestTracker
from drsorch.contracts import (
    Envelope,
    Event,
    JobCompleted,
    JobStarted,
    PairsMatched,
    RequestCompleted,
    ServersDiscovered,
    TargetConfigured,
)


def _discovered(tracker: RequestTracker) -> str | None:
    if not tracker.discovered_chunks.complete:
        return None
    accounts = len({s.account_id for s in tracker.discovered.values()})
    problems = len(tracker.problems)
    return (
        f"discovered {len(tracker.discovered)} servers in {accounts} accounts; {problems} problems"
    )


def _matched(tracker: RequestTracker) -> str | None:
    if not tracker.matched.complete:
        return None
    pairs = tracker.pairs
    lineage = sum(1 for p in pairs if p.method == "lineage")
    name = sum(1 for p in pairs if p.method == "name")
    override = sum(1 for p in pairs if p.method == "override")
    standard = sum(1 for p in pairs if p.target is None)
    overridden = f", {override} by override" if override else ""
    return (
        f"matched {len(pairs)} pairs ({lineage} by lineage, {name} by name{overridden}, "
        f"{standard} standard launches), {len(tracker.unmatched)} unmatched, "
        f"{len(tracker.ambiguous)} ambiguous"
    )


def _configured(tracker: RequestTracker, payload: TargetConfigured) -> str:
    ready = sum(1 for r in payload.results if r.outcome != "rejected")
    refused = len(payload.results) - ready
    so_far = f" ({len(tracker.configured)} of {len(tracker.pairs)} pairs so far)"
    plan = f"; plan {payload.plan_hash[:12]}…" if payload.plan_hash else ""
    lines = [
        f"configured {len(payload.results)} launch settings: {ready} ready, {refused} refused"
        + (so_far if tracker.matched.complete else "")
        + plan
    ]
    names = {s.source_server_id: s.name for s in tracker.discovered.values()}
    names |= {p.server.source_server_id: p.server.name for p in tracker.pairs}
    by_reason: dict[str, list[str]] = defaultdict(list)
    for r in payload.results:
        if r.outcome == "rejected":
            by_reason[r.reason or "?"].append(names.get(r.source_server_id) or r.source_server_id)
    for reason, who in by_reason.items():
        many = f"{len(who)} servers ({', '.join(who[:3])}{', …' if len(who) > 3 else ''})"
        lines.append(f"  [magenta]refused[/] {who[0] if len(who) == 1 else many}: {reason}")
    return "\n".join(lines)


def _job(payload: JobStarted | JobCompleted) -> str:
    head = f"wave {payload.wave}: job {payload.job_id}"
    if isinstance(payload, JobStarted):
        return (
            f"{head} started with {len(payload.source_server_ids)} servers in "
            f"{payload.account_id}/{payload.region}"
        )
    launched = sum(1 for s in payload.servers if s.launch_status == "LAUNCHED")
    failed = sum(1 for s in payload.servers if s.launch_status == "FAILED")
    return f"{head} completed: {launched} launched, {failed} failed"


def describe(envelope: Envelope[Event], tracker: RequestTracker) -> str | None:
    """The milestone line an event makes, once the tracker holds it; None for no line."""
    payload = envelope.payload
    if isinstance(payload, ServersDiscovered):
        return _discovered(tracker)
    if isinstance(payload, PairsMatched):
        return _matched(tracker)
    if isinstance(payload, TargetConfigured):
        return _configured(tracker, payload)
    if isinstance(payload, JobStarted | JobCompleted):
        return _job(payload)
    if isinstance(payload, RequestCompleted) and tracker.done:
        return f"request {tracker.request_id} completed: {payload.status}"
    return None


class LiveProgress:
    """Rich progress bars fed by a `RequestTracker`."""

    def __init__(self, console: Console, *, launches: bool = True) -> None:
        self.progress = Progress(
            TextColumn("{task.description}", table_column=None),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        stages = ["discovered", "paired", "configured"] + (
            ["launched", "failed"] if launches else []
        )
        self.stages = {name: self.progress.add_task(f"{name:<11}", total=None) for name in stages}
        self.waves: dict[int, TaskID] = {}
        self.jobs: dict[str, TaskID] = {}

    def __enter__(self) -> LiveProgress:
        self.progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def on_event(self, envelope: Envelope[Event], tracker: RequestTracker) -> None:
        """Print the milestone this event makes, if any, then redraw the bars."""
        line = describe(envelope, tracker)
        if line:
            self.progress.console.print(line)
        self.refresh(tracker)

    def refresh(self, tracker: RequestTracker) -> None:
        counts = tracker.counts()
        update = self.progress.update
        discovered_total = counts.discovered if counts.discovery_done else None
        update(self.stages["discovered"], completed=counts.discovered, total=discovered_total)
        update(self.stages["paired"], completed=counts.paired, total=discovered_total)
        paired_total = counts.paired if counts.matching_done else None
        update(
            self.stages["configured"],
            completed=counts.configured + counts.rejected,
            total=paired_total,
            description=f"{'configured':<11}"
            + (f" ({counts.rejected} refused)" if counts.rejected else ""),
        )
        if "launched" in self.stages:
            launch_total = counts.configured or None
            update(self.stages["launched"], completed=counts.launched, total=launch_total)
            update(self.stages["failed"], completed=counts.failed, total=launch_total)
        self._waves(tracker)

    def _waves(self, tracker: RequestTracker) -> None:
        for wave in tracker.waves().values():
            if not wave.jobs:
                continue
            if wave.wave not in self.waves:
                self.waves[wave.wave] = self.progress.add_task("", total=wave.servers)
            self.progress.update(
                self.waves[wave.wave],
                description=f"wave {wave.wave:<3} jobs {wave.finished_jobs}/{len(wave.jobs)}",
                completed=wave.launched + wave.failed,
                total=max(wave.servers, wave.launched + wave.failed),
            )
            for job in wave.jobs:
                job_id = job.started.job_id
                if job_id not in self.jobs:
                    self.jobs[job_id] = self.progress.add_task(
                        f"  {job_id}", total=len(job.started.source_server_ids)
                    )
                done = job.launched + job.failed if job.completed else 0
                self.progress.update(self.jobs[job_id], completed=done)
