"""`drsorch restore REQUEST_ID`: put back the launch settings a request changed.

Publishes `RestoreRequested` (under a request ID of its own) and, unless told not
to wait, follows the configurator's `LaunchSettingsRestored` through the CLI's own
queue and prints what was put back, server by server.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console

from drsorch.cli.crash import unexpected
from drsorch.cli.errors import CliError, ExitCode


def restore(
    request_id: Annotated[
        str,
        typer.Argument(metavar="REQUEST_ID", help="The request whose launch settings to put back."),
    ],
    servers: Annotated[
        list[str] | None,
        typer.Option(
            "--servers", metavar="ID,...", help="Only these servers (paired or launching IDs)."
        ),
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why: kept with the restore.")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait for the configurator's answer.")
    ] = True,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            min=1,
            help="Stop waiting after this long (exit code 4).",
        ),
    ] = 120.0,
) -> None:
    """Put back the launch settings drsorch changed for REQUEST_ID (all its servers, or some)."""
    from drsorch.cli.restore_run import run_restore  # noqa: PLC0415 - heavy: AWS clients

    console = Console(highlight=False, soft_wrap=True)
    try:
        code = asyncio.run(
            run_restore(
                request_id,
                servers=servers or [],
                reason=reason,
                wait=wait,
                seconds=timeout,
                console=console,
            )
        )
    except CliError as exc:
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"drsorch restore: {exc}", markup=False
        )
        code = exc.exit_code
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - no traceback reaches the operator: one line, a log
        line, code = unexpected("restore", exc)
        Console(stderr=True, highlight=False, soft_wrap=True).print(line, markup=False)
    raise typer.Exit(int(code))
