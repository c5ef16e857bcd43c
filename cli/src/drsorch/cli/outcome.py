"""The end of a followed request: print the plan or the summary, write the report, pick the code."""

from __future__ import annotations

import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from drsorch.cli.errors import ExitCode
from drsorch.cli.output import emit
from drsorch.cli.plan import PlanQuotas, build_plan
from drsorch.cli.plan_diff import diff_plans
from drsorch.cli.plan_store import load_plan, save_plan
from drsorch.cli.report import Report, build_report
from drsorch.cli.report_files import write_report
from drsorch.cli.tracker import RequestTracker
from drsorch.cli.views import print_plan, print_summary
from drsorch.contracts import RequestSpec

CODES = {
    "SUCCEEDED": ExitCode.OK,
    "PLANNED": ExitCode.OK,
    "PARTIAL": ExitCode.FAILED,
    "FAILED": ExitCode.FAILED,
    "REJECTED": ExitCode.REFUSED,
}


def approve_command(argv: list[str], plan_hash: str) -> str:
    """The command that approves this plan: the same flags, `--plan` swapped for `--approve`."""
    kept = [arg for arg in argv if arg != "--plan"]
    return shlex.join(["drsorch", *kept, "--approve", plan_hash])


def report_of(tracker: RequestTracker, spec: RequestSpec | None) -> Report:
    """The report of a finished request the CLI followed."""
    return build_report(
        tracker.request_id,
        tracker.completed.ordered(),
        generated_at=datetime.now(UTC),
        spec=spec,
        trace_id=tracker.trace_id,
        milestones=tracker.milestones,
    )


def finish_plan(
    tracker: RequestTracker, spec: RequestSpec, console: Console, report_path: Path | None = None
) -> ExitCode:
    """Print and save the plan of a finished plan-only request (and its report when asked)."""
    status = tracker.completed.ordered()[0]
    if status.status != "PLANNED" or tracker.plan_hash is None:
        console.print(f"[bold]No plan[/]: the request ended {status.status}: {status.reason or ''}")
        return CODES.get(status.status, ExitCode.FAILED)
    plan = build_plan(tracker, spec, PlanQuotas())
    saved = save_plan(plan)
    print_plan(console, plan, saved)
    emit(plan)
    if report_path is not None:
        _write(console, report_of(tracker, spec), report_path)
    console.print("Approve and apply it with:")
    console.print(f"  {approve_command(sys.argv[1:], plan.plan_hash)} --wait", markup=False)
    return ExitCode.OK


def _drift(tracker: RequestTracker, spec: RequestSpec, console: Console) -> None:
    approved = load_plan(spec.approved_plan_hash or "")
    if not tracker.matched.complete:
        return
    current = build_plan(tracker, spec, PlanQuotas())
    console.print(f"The plan now hashes to {current.plan_hash}.")
    if approved is None:
        console.print(
            "The approved plan is not saved on this machine: run --plan to review the new one."
        )
        return
    # The hash covers the matcher's plan; the configurator refused everything for drift,
    # so its verdicts would only repeat that: compare pairs and what matching left out.
    lines = diff_plans(
        approved.model_copy(update={"configuration": ()}),
        current.model_copy(update={"configuration": ()}),
    )
    console.print(f"What changed since the approved plan ({len(lines)} differences):")
    for line in lines:
        console.print(f"  {line}", markup=False)


def finish_apply(
    tracker: RequestTracker, spec: RequestSpec, console: Console, report_path: Path | None
) -> ExitCode:
    """Summary, drift explanation when refused, and the report files when asked for."""
    report = report_of(tracker, spec)
    if report.status == "REJECTED":
        console.print(f"[bold red]Refused[/]: {report.reason or 'the request was rejected'}")
        if spec.approved_plan_hash:
            _drift(tracker, spec, console)
    else:
        print_summary(console, report)
    if report_path is not None:
        _write(console, report, report_path)
    emit(report)
    return CODES.get(report.status, ExitCode.FAILED)


def _write(console: Console, report: Report, path: Path) -> None:
    """Write the report files; a failure now (the path was checked before) is one line."""
    try:
        files = write_report(report, path)
    except OSError as error:
        console.print(
            f"Could not write the report to {path}: {error.strerror or error}. "
            f"The request's outcome stands; write it with: drsorch report {report.request_id} "
            "--out DIR",
            markup=False,
        )
        return
    console.print(f"Report: {files.json}  page: {files.html}  picture: {files.picture}")
