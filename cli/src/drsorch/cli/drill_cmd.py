"""`drsorch drill` and `drsorch drill-cleanup`: drills that clean up after themselves.

`drill --plan` plans a failover drill of the scope (standard launches only, never into an
original or pre-provisioned instance); `--approve HASH` applies exactly that plan. With
`--wait` it follows the launches live and writes the evidence pack (JSON and page). The
configurator terminates the drill's instances after `--keep-for`; `drill-cleanup ID` does
it now. Clean-up needs no approval of its own: it terminates only what DRS shows the
approved drill launched, and proves none is left.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated, Any

import typer

from drsorch.cli.crash import unexpected
from drsorch.cli.errors import CliError, ExitCode
from drsorch.cli.request_cmd import (
    EXIT_CODES,
    AccountsOpt,
    ApprovalsOpt,
    ApproveOpt,
    OptionOpt,
    PlanOpt,
    PrimaryOpt,
    ReasonOpt,
    RecoveryOpt,
    ReportOpt,
    ScopeOpt,
    ServersOpt,
    SetOpt,
    TimeoutOpt,
    ValidForOpt,
    WaitOpt,
    _console,
)

SnapshotOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--snapshot",
        metavar="pit-ID",
        help="Launch each server from this recovery snapshot of its own (repeatable; every "
        "server in scope needs one).",
    ),
]
BeforeOpt = Annotated[
    str | None,
    typer.Option(
        "--before",
        metavar="TIME",
        help="Launch each server from its latest snapshot at or before TIME (ISO-8601, with "
        "a zone).",
    ),
]
KeepForOpt = Annotated[
    str | None,
    typer.Option(
        "--keep-for",
        metavar="DURATION",
        help="Terminate the drill instances this long after they are verified (90s, 30m, "
        "2h; default 1h, at most 7d). The services keep the timer: the CLI need not stay.",
    ),
]
EvidenceOpt = Annotated[
    Path | None,
    typer.Option(
        "--evidence",
        metavar="FILE",
        dir_okay=False,
        help="Write the evidence pack here (and its page beside it, .html); default "
        "./DRILL_ID.evidence.json.",
    ),
]


def _run(command: str, run: Any) -> None:
    errors = _console(stderr=True)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        code = asyncio.run(run)
    except CliError as exc:
        errors.print(f"drsorch {command}: {exc}", markup=False)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - no traceback reaches the operator: one line, a log
        line, code = unexpected(command, exc)
        errors.print(line, markup=False)
    raise typer.Exit(int(code))


def drill(  # noqa: PLR0917 - typer reads the flags from the signature
    primary_region: PrimaryOpt,
    recovery_region: RecoveryOpt,
    scope: ScopeOpt = None,
    servers: ServersOpt = None,
    accounts: AccountsOpt = None,
    set_: SetOpt = None,
    option: OptionOpt = None,
    snapshot: SnapshotOpt = None,
    before: BeforeOpt = None,
    keep_for: KeepForOpt = None,
    plan: PlanOpt = False,
    approve: ApproveOpt = None,
    approvals: ApprovalsOpt = 1,
    valid_for: ValidForOpt = 60,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = None,
    report: ReportOpt = None,
    evidence: EvidenceOpt = None,
    reason: ReasonOpt = None,
) -> None:
    """A drill of the servers in scope: drill instances launched, checked, then cleaned up."""
    from drsorch.cli.drill_run import run_drill  # noqa: PLC0415 - heavy: AWS clients

    options = dict(locals())
    if evidence is not None:
        options["wait"] = True
    _run("drill", run_drill(options, _console()))


def drill_cleanup(
    drill_id: Annotated[str, typer.Argument(metavar="DRILL_ID", help="The drill to clean up.")],
    evidence: EvidenceOpt = None,
    timeout: TimeoutOpt = None,
) -> None:
    """Terminate a drill's instances now (not waiting for its keep-for); prove none is left."""
    from drsorch.cli.drill_run import run_cleanup  # noqa: PLC0415 - heavy: AWS clients

    _run(
        "drill-cleanup",
        run_cleanup(drill_id, evidence=evidence, seconds=timeout, console=_console()),
    )


__all__ = ["EXIT_CODES", "drill", "drill_cleanup"]
