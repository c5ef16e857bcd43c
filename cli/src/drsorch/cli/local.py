"""`drsorch local up|down|status`: the local AWS endpoint, with drsorch's topology deployed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from drsorch.local.estate import EstateError, default_estate_path, parse_estate
from drsorch.local.estate.loader import read_estate_text
from drsorch.local.process import (
    LocalEndpointError,
    UpResult,
    down,
    shell_exports,
    status,
    up,
)
from drsorch.local.statefiles import default_state_dir

local_app = typer.Typer(
    help="Run the local AWS endpoint (moto and the DRS emulator) with drsorch's topology.",
    no_args_is_help=True,
)

StateDirOption = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        file_okay=False,
        help="Folder for the PID file and log [default: $DRSORCH_STATE_DIR or ./.drsorch/local].",
    ),
]


@local_app.command("up")
def up_command(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port on 127.0.0.1.")] = 4566,
    estate: Annotated[
        Path | None,
        typer.Option(help="Estate file to seed [default: the small example estate]."),
    ] = None,
    no_estate: Annotated[
        bool, typer.Option("--no-estate", help="Start empty: seed no estate at all.")
    ] = False,
    state_dir: StateDirOption = None,
) -> None:
    """Start the endpoint in the background and deploy drsorch's topology into it."""
    if estate is not None and no_estate:
        typer.echo("drsorch local up: --estate and --no-estate exclude each other.", err=True)
        raise typer.Exit(2)
    if estate is None and not no_estate:
        estate = default_estate_path()
    if estate is not None:
        # Checked here, before anything starts: the same answer and exit code as
        # `python -m drsorch.local.estate check`, and no endpoint left half-started.
        estate = checked_estate(estate, state_dir or default_state_dir())
    try:
        result = up(port, state_dir, estate)
    except LocalEndpointError as exc:
        typer.echo(f"drsorch local up failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    _print_up(result)


def checked_estate(path: Path, state_dir: Path) -> Path:
    """The estate to seed, checked; a pipe's text is kept in the state folder for the endpoint."""
    try:
        text = read_estate_text(path)
        parse_estate(text, source=str(path))
    except EstateError as error:
        typer.echo(f"drsorch local up --estate: nothing was started.\n{error.render()}", err=True)
        raise typer.Exit(2) from None
    if path.is_file():
        return path
    state_dir.mkdir(parents=True, exist_ok=True)
    kept = state_dir / "estate-from-pipe.yaml"
    kept.write_text(text, encoding="utf-8")
    return kept


@local_app.command("down")
def down_command(state_dir: StateDirOption = None) -> None:
    """Stop the endpoint started by `drsorch local up`."""
    try:
        result = down(state_dir)
    except LocalEndpointError as exc:
        typer.echo(f"drsorch local down failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    if result.record is None:
        typer.echo("drsorch local endpoint is not running.")
        return
    how = "killed after SIGTERM went unanswered" if result.killed else "stopped"
    typer.echo(
        f"drsorch local endpoint {how} (pid {result.record.pid}, port {result.record.port})."
    )


@local_app.command("status")
def status_command(state_dir: StateDirOption = None) -> None:
    """Say whether the endpoint runs and is healthy. Exit code 1 when it is not."""
    result = status(state_dir)
    if result.record is None:
        typer.echo(f"drsorch local endpoint is not running (state folder {result.state_dir}).")
        raise typer.Exit(1)
    health = "healthy" if result.healthy else "NOT answering its health check"
    record = result.record
    typer.echo(
        f"drsorch local endpoint running: {record.url} (pid {record.pid}, port {record.port}), "
        f"{health}."
    )
    if not result.healthy:
        raise typer.Exit(1)


def _print_up(result: UpResult) -> None:
    record = result.record
    if result.already_running:
        typer.echo(
            f"drsorch local endpoint already running: {record.url} "
            f"(pid {record.pid}, port {record.port}); nothing started."
        )
        return
    typer.echo(
        f"drsorch local endpoint running: {record.url} (pid {record.pid}; "
        f"ready in {result.ready_seconds:.1f} s, topology deployed in "
        f"{result.deploy_seconds:.1f} s)."
    )
    typer.echo("Point a shell at it:")
    typer.echo(f"  {shell_exports(record.url)}")
    if result.outputs is not None:
        typer.echo(f"Stack {result.outputs.stack_name} outputs:")
        width = max(map(len, result.outputs.outputs), default=0)
        for name, value in result.outputs.outputs.items():
            typer.echo(f"  {name:<{width}}  {value}")
    typer.echo(f"Log: {result.log_file}. Stop it with: drsorch local down")
