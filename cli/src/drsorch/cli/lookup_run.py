"""Running `drsorch status` and `drsorch report`: the monitor's record of a request, read-only."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from rich.console import Console

from drsorch.cli.aws import AWS_ERRORS, Aws, lost_contact, open_aws
from drsorch.cli.checks import endpoint_urls, folder, timeout_seconds
from drsorch.cli.errors import ExitCode, InputError, RequestNotFound
from drsorch.cli.outcome import CODES
from drsorch.cli.output import emit
from drsorch.cli.pending import TABLE_OUTPUT, PendingRequest, PendingTable, held_state, waiting
from drsorch.cli.records import MonitorRecords, RequestRecord
from drsorch.cli.report import Report, Step, build_report
from drsorch.cli.report_files import write_report
from drsorch.cli.views import print_summary

POLL_SECONDS = 2.0
DEFAULT_REPORTS = Path(".drsorch/reports")
REQUEST_ID = re.compile(r"^[a-z0-9][a-z0-9-]{7,63}$")  # the envelope's RequestId


def _not_found(request_id: str) -> RequestNotFound:
    return RequestNotFound(
        f"REQUEST_ID: the monitor has no record of {request_id!r}: check the ID and the stack "
        "(DRSORCH_STACK_NAME); a request just sent may still be in discovery or matching"
    )


async def _held(aws: Aws, request_id: str) -> PendingRequest | None:
    """The request as the approvals table holds it for more approvers, if it does.

    A request sent with `--approvals N` waits there, signed, until N approvers have signed;
    the monitor knows it only once the last one sends it.
    """
    if not aws.topology.outputs.get(TABLE_OUTPUT):
        return None
    try:
        return await PendingTable(aws).get(request_id)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code", "").startswith("AccessDenied"):
            return None  # an operator who is no approver sees only what the monitor records
        raise lost_contact(exc, request_id, sent=False) from exc
    except AWS_ERRORS as exc:
        raise lost_contact(exc, request_id, sent=False) from exc


def report_of_record(record: RequestRecord) -> Report:
    """The report the monitor kept for an ended request, with its cancel if it had one."""
    return build_report(
        record.request_id,
        record.report,
        generated_at=datetime.now(UTC),
        spec=record.spec,
        steps=cancel_steps(record),
    )


def cancel_steps(record: RequestRecord) -> list[Step]:
    """The cancel the monitor recorded, as a step of the report (none when not cancelled)."""
    if record.cancelled_by is None:
        return []
    why = f"cancelled by {record.cancelled_by}"
    skipped = sum(
        1
        for chunk in record.report
        for s in chunk.servers
        if s.outcome == "skipped" and s.reason == why
    )
    jobs = sum(len(chunk.jobs) for chunk in record.report)
    at = datetime.fromisoformat(record.cancelled_at) if record.cancelled_at else None
    outcome = f"{skipped} servers never launched (skipped); {jobs} jobs ran to their end"
    return [Step(kind="cancel", at=at, by=record.cancelled_by, outcome=outcome)]


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{n} {name}" for name, n in sorted(counter.items())) or "none"


def print_running(console: Console, record: RequestRecord) -> None:
    """Where a running request stands: wave, servers by phase and outcome, batches."""
    wave = f", wave {record.wave}" if record.wave is not None else ""
    drill = " drill" if record.drill else ""
    console.print(
        f"{record.operation}{drill} {record.request_id}: {record.phase}{wave}; "
        f"plan {record.plan_hash or '?'}"
    )
    total = sum(record.servers_by_phase.values())
    console.print(f"  servers: {total} ({_counts(record.servers_by_phase)})")
    console.print(f"  outcomes so far: {_counts(record.servers_by_outcome)}")
    for batch in record.batches:
        console.print(
            f"  wave {batch.wave} batch {batch.key}: {batch.status}, {batch.servers} servers in "
            f"{batch.account_id}, job {batch.job_id or '-'}"
        )


def running_state(record: RequestRecord) -> dict[str, Any]:
    """`--output json` for a request still running: what `print_running` says."""
    return {
        "request_id": record.request_id,
        "operation": record.operation,
        "drill": record.drill,
        "status": "RUNNING",
        "phase": record.phase,
        "wave": record.wave,
        "plan_hash": record.plan_hash,
        "servers_by_phase": dict(record.servers_by_phase),
        "servers_by_outcome": dict(record.servers_by_outcome),
        "batches": [
            {
                "wave": b.wave,
                "key": b.key,
                "status": b.status,
                "servers": b.servers,
                "account_id": b.account_id,
                "job_id": b.job_id,
            }
            for b in record.batches
        ],
    }


def check_request_id(request_id: str) -> str:
    """A request ID as drsorch makes them, or `InputError` naming REQUEST_ID."""
    if not REQUEST_ID.match(request_id):
        raise InputError(
            "REQUEST_ID",
            f"{request_id!r} is not a request ID (they look like failback-20261125t195454-a72aab)",
        )
    return request_id


async def run_status(
    request_id: str, *, wait: bool, seconds: float | None, console: Console
) -> ExitCode:
    """Print the request's state; with `wait`, poll until it ends (or `seconds` pass)."""
    check_request_id(request_id)
    timeout_seconds("--timeout", seconds)
    endpoint_urls()
    async with open_aws() as aws:
        records = MonitorRecords(aws.dynamodb, aws.topology.table_name)
        deadline = None if seconds is None else time.monotonic() + seconds
        shown: object = None
        while True:
            try:
                record = await records.request(request_id)
            except AWS_ERRORS as exc:
                raise lost_contact(exc, request_id, sent=True) from exc
            if record is None:
                pending = await _held(aws, request_id)
                if pending is None:
                    raise _not_found(request_id)
                if pending != shown:
                    console.print(waiting(pending), markup=False)
                    shown = pending
                if not wait or (deadline is not None and time.monotonic() >= deadline):
                    emit(held_state(pending))
                    return ExitCode.STILL_RUNNING
                await asyncio.sleep(POLL_SECONDS)  # until the last approver sends it
                continue
            if record.done:
                report = report_of_record(record)
                print_summary(console, report)
                emit(report)
                console.print(f"Report files: drsorch report {request_id} --out DIR")
                return CODES.get(report.status, ExitCode.FAILED)
            state = (record.phase, record.wave, record.servers_by_outcome, record.batches)
            if state != shown:
                print_running(console, record)
                shown = state
            if not wait or (deadline is not None and time.monotonic() >= deadline):
                emit(running_state(record))
                console.print(f"Still running. Follow it with: drsorch status {request_id} --wait")
                return ExitCode.STILL_RUNNING
            await asyncio.sleep(POLL_SECONDS)  # polling the record: nothing signals a change


async def run_report(request_id: str, *, out: Path | None, console: Console) -> ExitCode:
    """Write the report files of an ended request into `out` (default `.drsorch/reports`)."""
    check_request_id(request_id)
    if out is not None:
        folder("--out", out)  # a folder named must exist: a typo never becomes a new folder
    endpoint_urls()
    async with open_aws() as aws:
        record = await MonitorRecords(aws.dynamodb, aws.topology.table_name).request(request_id)
    if record is None:
        raise _not_found(request_id)
    if not record.done:
        print_running(console, record)
        emit(running_state(record))
        console.print(f"No report yet: the request is still running (drsorch status {request_id}).")
        return ExitCode.STILL_RUNNING
    report = report_of_record(record)
    files = write_report(report, (out or DEFAULT_REPORTS) / f"{request_id}.json")
    print_summary(console, report)
    emit(report)
    console.print(f"Report: {files.json}  page: {files.html}  picture: {files.picture}")
    return CODES.get(report.status, ExitCode.FAILED)
