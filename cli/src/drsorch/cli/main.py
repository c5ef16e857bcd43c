"""The `drsorch` command. Each command group lives in its own module and is added here."""

from __future__ import annotations

import typer

from drsorch.cli.local import local_app

app = typer.Typer(
    name="drsorch",
    help="Fail over and fail back servers protected by AWS Elastic Disaster Recovery.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(local_app, name="local")

if __name__ == "__main__":
    app()
