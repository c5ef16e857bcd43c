"""`drsorch cancel REQUEST_ID`: stop a running request launching new batches.

Exit codes: 0 the cancel was taken (and, waiting, the running jobs ended); 2 the monitor
has no plan of that request; 3 it had already ended, nothing was changed; 4 jobs still run.
"""

from __future__ import annotations

from typing import Annotated

import typer

from drsorch.cli.lookup_cmd import RequestIdArg, _finish


def cancel(
    request_id: RequestIdArg,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why: kept with the cancel.")
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="Wait for the jobs already running to finish, then show the report.",
        ),
    ] = True,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout", metavar="SECONDS", min=1, help="Stop waiting after this long (exit 4)."
        ),
    ] = None,
) -> None:
    """Stop REQUEST_ID: no new batch starts, DRS jobs already running finish; what was and
    was not done is shown (the servers never launched are skipped, "cancelled by" you)."""
    from drsorch.cli.cancel_run import run_cancel  # noqa: PLC0415 - heavy: AWS clients

    _finish(
        "cancel",
        lambda console: run_cancel(
            request_id, reason=reason, wait=wait, seconds=timeout, console=console
        ),
    )
