"""`drsorch restore REQUEST_ID [--approve HASH]`: put back the launch settings a request
changed.

Without `--approve` it plans: the configurator says what it would put back, server by
server, and the hash of exactly that. With `--approve HASH` the caller signs an approval
of that plan (as `failback --approve` does) and the configurator applies it, after
verifying the approval itself. Publishes `RestoreRequested` (under a request ID of its
own) and, unless told not to wait, follows the configurator's `LaunchSettingsRestored`
through the CLI's own queue.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console

from drsorch.cli.crash import unexpected
from drsorch.cli.errors import CliError, ExitCode
from drsorch.cli.request_cmd import ValidForOpt


def restore(  # noqa: PLR0917 - typer reads the flags from the signature
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
    approve: Annotated[
        str | None,
        typer.Option(
            "--approve",
            metavar="HASH",
            help="Apply the restore plan with this hash, signed by you (plan it first "
            "without --approve).",
        ),
    ] = None,
    valid_for: ValidForOpt = 60,
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
    """Plan, or apply with --approve, putting back the launch settings drsorch changed for
    REQUEST_ID (all its servers, or some)."""
    from drsorch.cli.restore_run import run_restore  # noqa: PLC0415 - heavy: AWS clients

    console = Console(highlight=False, soft_wrap=True)
    try:
        code = asyncio.run(
            run_restore(
                request_id,
                servers=servers or [],
                reason=reason,
                approve=approve,
                valid_for=valid_for,
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
