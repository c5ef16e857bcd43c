"""`drsorch reprotect` and `drsorch retire`: the round trip after a failback.

`reprotect FAILBACK_ID` starts replication again from each landed original to the
recovery region through the same FAILOVER-direction server, and waits until DRS
shows every one CONTINUOUS within the lag. `retire FAILBACK_ID --plan` lists what
the clean-up would stop, terminate and delete, with the evidence; `--approve HASH`
applies exactly that plan, refused if it changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console

from drsorch.cli.crash import unexpected
from drsorch.cli.errors import CliError, ExitCode
from drsorch.cli.report import Step

RequestArg = Annotated[
    str, typer.Argument(metavar="REQUEST_ID", help="The failback request of the round trip.")
]
LagOpt = Annotated[
    int,
    typer.Option(
        "--max-lag", metavar="SECONDS", min=0, help="Protected means CONTINUOUS within this lag."
    ),
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option("--timeout", metavar="SECONDS", min=1, help="Stop following (exit code 4)."),
]


def _console(*, stderr: bool = False) -> Console:
    return Console(highlight=False, soft_wrap=True, stderr=stderr)


def guarded(command: str, run: Awaitable[ExitCode]) -> ExitCode:
    """Run one step; its exit code, errors in one line on stderr."""
    try:
        return asyncio.run(run)  # type: ignore[arg-type]
    except CliError as exc:
        _console(stderr=True).print(f"drsorch {command}: {exc}", markup=False)
        return exc.exit_code
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - no traceback reaches the operator: one line, a log
        line, code = unexpected(command, exc)
        _console(stderr=True).print(line, markup=False)
        return code


async def _reverse(  # noqa: PLR0917 - the command's options, in its order
    of: str,
    purpose: str,
    lag: int,
    deadline: int,
    seconds: float | None,
    steps: list[Step] | None = None,
) -> ExitCode:
    from drsorch.cli.roundtrip_run import run_reverse  # noqa: PLC0415 - heavy: AWS clients

    return await run_reverse(
        of,
        "reprotect" if purpose == "reprotect" else "prepare_failback",
        lag=lag,
        deadline=deadline,
        seconds=seconds,
        console=_console(),
        steps=steps,
    )


async def _retire(  # noqa: PLR0917 - the command's options, in its order
    of: str,
    approve: str | None,
    lag: int,
    seconds: float | None,
    launch_tag: str = "as_found",
    steps: list[Step] | None = None,
) -> ExitCode:
    from drsorch.cli.roundtrip_run import run_retire  # noqa: PLC0415 - heavy: AWS clients

    code, _ = await run_retire(
        of,
        approve=approve,
        lag=lag,
        seconds=seconds,
        console=_console(),
        launch_tag=launch_tag,
        steps=steps,
    )
    return code


class LaunchTag(StrEnum):
    """`--launch-tag`."""

    as_found = "as-found"
    remove = "remove"
    keep = "keep"


def reverse_step(
    of: str,
    purpose: str,
    *,
    lag: int = 60,
    deadline: int = 14_400,
    steps: list[Step] | None = None,
) -> ExitCode:
    """One reverse replication step, as `reprotect` or a chained `--prepare-failback` runs it;
    what it did is added to `steps` (for the request's report)."""
    return guarded(purpose, _reverse(of, purpose, lag, deadline, None, steps))


def retire_step(
    of: str, approve: str | None, *, lag: int = 60, steps: list[Step] | None = None
) -> ExitCode:
    return guarded("retire", _retire(of, approve, lag, 600.0, steps=steps))


def reprotect(
    request_id: RequestArg,
    max_lag: LagOpt = 60,
    deadline: Annotated[
        int,
        typer.Option(
            "--deadline",
            metavar="SECONDS",
            min=60,
            help="A server not protected this long after the start fails, with DRS's error.",
        ),
    ] = 14_400,
    timeout: TimeoutOpt = None,
) -> None:
    """Protect the originals REQUEST_ID failed back into, through their same DRS servers."""
    code = guarded("reprotect", _reverse(request_id, "reprotect", max_lag, deadline, timeout))
    raise typer.Exit(int(code))


def retire(  # noqa: PLR0917 - typer reads the flags from the signature
    request_id: RequestArg,
    plan: Annotated[
        bool, typer.Option("--plan", help="Plan only: list and hash, change nothing.")
    ] = False,
    approve: Annotated[
        str | None,
        typer.Option("--approve", metavar="HASH", help="Apply the retire plan with this hash."),
    ] = None,
    max_lag: LagOpt = 60,
    timeout: TimeoutOpt = 600.0,
    launch_tag: Annotated[
        LaunchTag,
        typer.Option(
            "--launch-tag",
            case_sensitive=False,
            help="The AWSDRS=AllowLaunchingIntoThisInstance tag on the originals: as-found "
            "removes it only where the failback added it; remove takes it off every one; keep "
            "leaves every one. Give the same value to --plan and --approve.",
        ),
    ] = LaunchTag.as_found,
) -> None:
    """Clean up after REQUEST_ID: stop failback replication, terminate the failover's recovery
    instances, delete their records and the FAILBACK servers, put back the launch settings
    drsorch changed, and (as-found) remove the launch-into tags it added. Planned, then
    approved."""
    if plan == (approve is not None):
        _console(stderr=True).print("drsorch retire: give exactly one of --plan or --approve HASH")
        raise typer.Exit(int(ExitCode.USAGE))
    tag = LaunchTag(launch_tag).value.replace("-", "_")
    code = guarded("retire", _retire(request_id, approve, max_lag, timeout, tag))
    raise typer.Exit(int(code))
