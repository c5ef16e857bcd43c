"""`drsorch approve REQUEST_ID --hash HASH`: another approver signs a held request.

A request made with `--approvals N` waits, signed by its first approver, until N
distinct approvers have signed; the one who completes it sends it (and, with
`--wait`, follows it as `drsorch failback --wait` does).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from drsorch.cli.crash import unexpected
from drsorch.cli.errors import CliError, ExitCode
from drsorch.cli.request_cmd import ReportOpt, TimeoutOpt, ValidForOpt, WaitOpt, _console


def approve(  # noqa: PLR0917 - typer reads the flags from the signature
    request_id: Annotated[
        str, typer.Argument(metavar="REQUEST_ID", help="The held request to approve.")
    ],
    plan_hash: Annotated[
        str,
        typer.Option(
            "--hash",
            metavar="HASH",
            help="The plan you reviewed; refused unless the held request applies exactly it.",
        ),
    ],
    valid_for: ValidForOpt = 60,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = None,
    report: ReportOpt = None,
) -> None:
    """Add your signed approval to a request held for more approvers; the last one sends it."""
    from drsorch.cli.approve_run import run_approve  # noqa: PLC0415 - heavy: AWS clients

    console, errors = _console(), _console(stderr=True)
    options = {"valid_for": valid_for, "wait": wait, "timeout": timeout, "report": report}
    try:
        code = asyncio.run(run_approve(request_id, plan_hash.lower(), options, console))
    except CliError as exc:
        errors.print(f"drsorch approve: {exc}", markup=False)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - one line and a log, never a traceback
        line, code = unexpected("approve", exc)
        errors.print(line, markup=False)
    raise typer.Exit(int(code))
