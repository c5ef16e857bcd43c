"""The `drsorch` command. Each command group lives in its own module and is added here."""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.console import Console

from drsorch.cli.crash import unexpected
from drsorch.cli.errors import ExitCode
from drsorch.cli.local import local_app
from drsorch.cli.lookup_cmd import report, status
from drsorch.cli.request_cmd import EXIT_CODES, failback, failover
from drsorch.cli.restore_cmd import restore
from drsorch.cli.roundtrip_cmd import reprotect, retire


class GuardedTyper(typer.Typer):
    """The command, whose run never ends in a traceback: one line and a log file instead.

    The commands catch what they expect themselves; this catches what none of them did
    (the `local` commands, a bug), as the `drsorch` script runs them.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except KeyboardInterrupt:
            sys.exit(int(ExitCode.INTERRUPTED))
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            line, code = unexpected(" ".join(sys.argv[1:2]) or "", exc)
            Console(stderr=True, highlight=False, soft_wrap=True).print(line, markup=False)
            sys.exit(int(code))


app = GuardedTyper(
    name="drsorch",
    help="Fail over and fail back servers protected by AWS Elastic Disaster Recovery.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(local_app, name="local")
app.command("failback", epilog=EXIT_CODES)(failback)
app.command("failover", epilog=EXIT_CODES)(failover)
app.command("restore")(restore)
app.command("reprotect")(reprotect)
app.command("retire")(retire)
app.command("status")(status)
app.command("report")(report)

if __name__ == "__main__":
    app()
