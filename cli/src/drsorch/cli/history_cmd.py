"""`drsorch history`: past and running requests, newest first, from the monitor's table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from drsorch.cli.errors import ExitCode, InputError
from drsorch.cli.history import STATUSES, HistoryLine
from drsorch.cli.lookup_cmd import _finish


def check_statuses(given: list[str] | None) -> frozenset[str]:
    """`--status` values, upper-cased; an `InputError` naming a value that is none."""
    wanted = frozenset(s.strip().upper() for g in given or [] for s in g.split(",") if s.strip())
    unknown = sorted(wanted - set(STATUSES))
    if unknown:
        raise InputError("--status", f"{', '.join(unknown)}: not one of {', '.join(STATUSES)}")
    return wanted


def show(console: Console, lines: list[HistoryLine]) -> None:
    if not lines:
        console.print("No request found.")
        return
    table = Table(title="drsorch requests, newest first", title_justify="left")
    for column in (
        "request",
        "operation",
        "started",
        "status",
        "servers",
        "requested by",
        "approved by",
    ):
        table.add_column(column)
    for line in lines:
        operation = line.operation + (" drill" if line.drill else "")
        operation += " (plan)" if line.plan_only else ""
        status = line.status + (f" by {line.cancelled_by}" if line.cancelled_by else "")
        table.add_row(
            line.request_id,
            operation,
            line.started[:19].replace("T", " "),
            status,
            str(line.servers),
            line.requested_by,
            ", ".join(line.approved_by) or "-",
        )
    console.print(table)


async def run_history(*, limit: int, status: list[str] | None, console: Console) -> ExitCode:
    """List the requests; `--output json` emits `{"requests": [...]}`."""
    from drsorch.cli.aws import AWS_ERRORS, open_aws  # noqa: PLC0415 - heavy: AWS clients
    from drsorch.cli.checks import endpoint_urls  # noqa: PLC0415
    from drsorch.cli.errors import Unreachable  # noqa: PLC0415
    from drsorch.cli.history import RequestHistory, recent  # noqa: PLC0415
    from drsorch.cli.output import emit  # noqa: PLC0415

    statuses = check_statuses(status)
    endpoint_urls()
    async with open_aws() as aws:
        history = RequestHistory(aws.dynamodb, aws.topology.table_name)
        try:
            lines = await recent(history, datetime.now(UTC), limit=limit, statuses=statuses)
        except AWS_ERRORS as exc:
            raise Unreachable(f"the monitor's table could not be read: {exc}") from exc
    show(console, lines)
    emit({"requests": [line.as_json() for line in lines]})
    return ExitCode.OK


def history(
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=1000, help="At most this many requests.")
    ] = 20,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            metavar="STATUS,...",
            help=f"Only requests with one of these statuses ({', '.join(STATUSES)}).",
        ),
    ] = None,
) -> None:
    """Past and running requests, newest first: operation, start, status, servers, who."""
    _finish("history", lambda console: run_history(limit=limit, status=status, console=console))
