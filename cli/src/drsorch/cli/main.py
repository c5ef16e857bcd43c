"""The `drsorch` command. Each command group lives in its own module and is added here."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from drsorch.cli.approve_cmd import approve
from drsorch.cli.cancel_cmd import cancel
from drsorch.cli.crash import unexpected
from drsorch.cli.drill_cmd import drill, drill_cleanup
from drsorch.cli.errors import ExitCode
from drsorch.cli.history_cmd import history
from drsorch.cli.lookup_cmd import report, status
from drsorch.cli.output import OUTPUT_VARIABLE, Output
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


def _version(shown: bool) -> None:
    if shown:
        typer.echo(f"drsorch {importlib.metadata.version('drsorch-cli')}")
        raise typer.Exit(0)


@app.callback()
def options(
    profile: Annotated[
        str | None,
        typer.Option("--profile", metavar="NAME", help="AWS profile (as AWS_PROFILE)."),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region", metavar="REGION", help="Region of the drsorch hub stack (as AWS_REGION)."
        ),
    ] = None,
    stack_name: Annotated[
        str | None,
        typer.Option(
            "--stack-name",
            metavar="NAME",
            help="The drsorch hub stack (as DRSORCH_STACK_NAME; default drsorch).",
        ),
    ] = None,
    output: Annotated[
        Output,
        typer.Option(
            "--output",
            envvar=OUTPUT_VARIABLE,
            case_sensitive=False,
            help="json: one JSON document on stdout (the plan, the request's status or its "
            "report); everything else on stderr.",
        ),
    ] = Output.text,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_version, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Fail over and fail back servers protected by AWS Elastic Disaster Recovery."""
    # The commands read the standard variables, as the services do: the options set them.
    if profile:
        os.environ["AWS_PROFILE"] = profile
    if region:
        os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = region
    if stack_name:
        os.environ["DRSORCH_STACK_NAME"] = stack_name
    os.environ[OUTPUT_VARIABLE] = output.value


def _without_local_endpoint() -> None:
    """The local endpoint (moto and the DRS emulator) is an extra this install left out."""
    typer.echo(
        "drsorch local: the local endpoint is not installed with this drsorch. Install it "
        "with: uv tool install 'drsorch-cli[local]' (or pipx install 'drsorch-cli[local]').",
        err=True,
    )
    raise typer.Exit(int(ExitCode.USAGE))


if importlib.util.find_spec("drsorch.local") is not None:
    from drsorch.cli.local import local_app  # only with the [local] extra

    app.add_typer(local_app, name="local")
else:
    app.command(
        "local",
        help="The local AWS endpoint (needs the drsorch-cli extra named local).",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(_without_local_endpoint)
app.command("failback", epilog=EXIT_CODES)(failback)
app.command("failover", epilog=EXIT_CODES)(failover)
app.command("approve", epilog=EXIT_CODES)(approve)
app.command("restore")(restore)
app.command("reprotect")(reprotect)
app.command("retire")(retire)
app.command("drill", epilog=EXIT_CODES)(drill)
app.command("drill-cleanup")(drill_cleanup)
app.command("status")(status)
app.command("report")(report)
app.command("history")(history)
app.command("cancel")(cancel)

if __name__ == "__main__":
    app()
