"""The `drsorch` command. Each command group lives in its own module and is added here."""

from __future__ import annotations

import typer

from drsorch.cli.local import local_app
from drsorch.cli.lookup_cmd import report, status
from drsorch.cli.request_cmd import EXIT_CODES, failback, failover
from drsorch.cli.restore_cmd import restore

app = typer.Typer(
    name="drsorch",
    help="Fail over and fail back servers protected by AWS Elastic Disaster Recovery.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(local_app, name="local")
app.command("failback", epilog=EXIT_CODES)(failback)
app.command("failover", epilog=EXIT_CODES)(failover)
app.command("restore")(restore)
app.command("status")(status)
app.command("report")(report)

if __name__ == "__main__":
    app()
