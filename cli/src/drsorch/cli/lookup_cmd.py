"""`drsorch status REQUEST_ID` and `drsorch report REQUEST_ID`: requests started anywhere.

Both read the monitor's table (the record of requests), never write it, so they work
for a request an alarm or another operator started. Exit codes as for a request:
0 succeeded (or planned), 1 partial or failed, 2 unknown request ID, 3 rejected,
4 still running.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from drsorch.cli import output
from drsorch.cli.crash import unexpected
from drsorch.cli.errors import CliError, ExitCode

RequestIdArg = Annotated[str, typer.Argument(metavar="REQUEST_ID", help="The request's ID.")]


def _finish(command: str, run: Callable[[Console], Coroutine[Any, Any, ExitCode]]) -> None:
    console = output.console()
    try:
        code = asyncio.run(run(console))
    except CliError as exc:
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"drsorch {command}: {exc}", markup=False
        )
        code = exc.exit_code
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - no traceback reaches the operator: one line, a log
        line, code = unexpected(command, exc)
        Console(stderr=True, highlight=False, soft_wrap=True).print(line, markup=False)
    raise typer.Exit(int(code))


def status(
    request_id: RequestIdArg,
    wait: Annotated[bool, typer.Option("--wait", help="Poll until the request ends.")] = False,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", metavar="SECONDS", min=1, help="Stop waiting after this long."),
    ] = None,
) -> None:
    """Where a request stands: its wave, servers and jobs; the summary once it has ended."""
    from drsorch.cli.lookup_run import run_status  # noqa: PLC0415 - heavy: AWS clients

    _finish(
        "status",
        lambda console: run_status(request_id, wait=wait, seconds=timeout, console=console),
    )


def report(
    request_id: RequestIdArg,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Folder for the report files; it must exist [default: .drsorch/reports, "
            "made when missing].",
        ),
    ] = None,
) -> None:
    """Write an ended request's report: REQUEST_ID.json, .html and .svg in DIR."""
    from drsorch.cli.lookup_run import run_report  # noqa: PLC0415 - heavy: AWS clients

    _finish("report", lambda console: run_report(request_id, out=out, console=console))
