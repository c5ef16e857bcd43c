"""`drsorch failback` and `drsorch failover`: plan, approve, apply and follow a request.

Exit codes are those of `drsorch.cli.errors.ExitCode`.
"""

from __future__ import annotations

import asyncio
import signal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from drsorch.cli import output
from drsorch.cli.crash import unexpected
from drsorch.cli.errors import CliError, ExitCode

if TYPE_CHECKING:
    from drsorch.cli.report import Step
    from drsorch.contracts.types import Operation


class LaunchInto(StrEnum):
    """`--launch-into`: launch into existing instances?"""

    required = "required"
    preferred = "preferred"
    never = "never"


def _option(*names: str, **kwargs: Any) -> Any:
    return typer.Option(*names, **kwargs)


ScopeOpt = Annotated[
    list[str] | None,
    _option("--scope", metavar="KEY=VALUE", help="Servers with this tag (repeatable; all match)."),
]
ServersOpt = Annotated[
    list[str] | None,
    _option("--servers", metavar="ID,...", help="DRS source server IDs (instead of --scope)."),
]
AccountsOpt = Annotated[
    list[str] | None,
    _option(
        "--accounts",
        metavar="HUB,SPOKE[:ROLE[:EXTERNAL_ID]],...",
        help="Hub first, then spokes reached by AssumeRole (default: the caller's account).",
    ),
]
PrimaryOpt = Annotated[
    str,
    _option(
        "--primary-region",
        envvar="DRSORCH_PRIMARY_REGION",
        help="Where the workloads normally run.",
    ),
]
RecoveryOpt = Annotated[
    str,
    _option("--recovery-region", envvar="DRSORCH_RECOVERY_REGION", help="Where DRS replicates to."),
]
DrillOpt = Annotated[
    bool, _option("--drill", help="A drill: standard launches, no production instance touched.")
]
LaunchIntoOpt = Annotated[
    LaunchInto | None,
    _option(
        "--launch-into",
        case_sensitive=False,
        help="Launch into existing instances (default: required for failback, preferred for "
        "failover, never for a drill).",
    ),
]
SetOpt = Annotated[
    list[str] | None,
    _option(
        "--set",
        metavar="KEY=VALUE",
        help="Launch setting: copyPrivateIp, copyTags (true|false), licensing "
        "(BYOL|LICENSE_INCLUDED), rightSizing (NONE|BASIC|IN_AWS), launchDisposition "
        "(STOPPED|STARTED). Repeatable.",
    ),
]
OptionOpt = Annotated[
    list[str] | None,
    _option(
        "--option",
        metavar="KEY=VALUE",
        help="Pacing and matching: batchSize (1-100), waveSuccessRatio (0-1), "
        "maxReplicationLagSeconds, readinessDeadlineSeconds, jobTimeoutSeconds, namePrefix, "
        "nameSuffix (repeatable), tagLineageTargets (true|false). Repeatable.",
    ),
]
TargetOpt = Annotated[
    list[str] | None,
    _option(
        "--target",
        metavar="SERVER=INSTANCE",
        help="Launch this server into this instance, whatever its lineage or Name says: the "
        "plan shows it beside the evidence it overrules, and the approval covers it. Never an "
        "instance another server's lineage claims. Repeatable.",
    ),
]
PlanOpt = Annotated[
    bool, _option("--plan", help="Plan only: print the plan and its hash, change nothing.")
]
ApproveOpt = Annotated[
    str | None,
    _option(
        "--approve", metavar="HASH", help="Apply the plan with this hash; refused if it changed."
    ),
]
ApprovalsOpt = Annotated[
    int,
    _option(
        "--approvals",
        metavar="N",
        min=1,
        max=5,
        help="With --approve: N distinct approvers must sign before anything launches; the "
        "others run `drsorch approve REQUEST_ID --hash HASH`.",
    ),
]
ValidForOpt = Annotated[
    int,
    _option(
        "--valid-for",
        metavar="MINUTES",
        min=1,
        max=1440,
        help="With --approve: the approval expires after this long; an apply that has not "
        "started by then is refused.",
    ),
]
WaitOpt = Annotated[bool, _option("--wait", help="Follow the request to its end, live.")]
TimeoutOpt = Annotated[
    float | None,
    _option(
        "--timeout",
        metavar="SECONDS",
        min=1,
        help="Stop following after this long; the request keeps running (exit code 4). "
        "Implies --wait.",
    ),
]
ReportOpt = Annotated[
    Path | None,
    _option(
        "--report",
        metavar="FILE",
        dir_okay=False,
        help="Write the JSON report to FILE, and its page and picture beside it (.html, .svg). "
        "Implies --wait.",
    ),
]
ReasonOpt = Annotated[str | None, _option("--reason", help="Why: kept with the request.")]
PrepareOpt = Annotated[
    bool,
    _option(
        "--prepare-failback",
        help="Once the failover is done, start reverse replication for every recovered server "
        "(retried while its recovery instance initializes) and wait until each FAILBACK server "
        "is CONTINUOUS: ready for the failback. Implies --wait.",
    ),
]
ThenOpt = Annotated[
    str | None,
    _option(
        "--then",
        metavar="reprotect[,retire]",
        help="After the failback: re-protect the originals (drsorch reprotect), then plan the "
        "retire (drsorch retire --plan); the retire is applied only with its own --approve.",
    ),
]


EXIT_CODES = (
    "Exit codes: 0 every server in scope landed where expected (or: plan made, request sent); "
    "1 partial or failed; 2 bad flag or value; 3 refused (plan changed, approval missing); "
    "4 --timeout expired, the request still runs; 130 interrupted."
)


def _console(*, stderr: bool = False) -> Console:
    if not stderr:
        return output.console()  # stderr too with --output json: stdout is the JSON
    # Messages are never wrapped mid-line: logs and tests read them whole.
    return Console(highlight=False, soft_wrap=True, stderr=True)


def execute(operation: Operation, options: dict[str, Any]) -> None:
    """Run one request command and exit with its code; errors in one line on stderr."""
    from drsorch.cli.request_run import run_request  # noqa: PLC0415 - heavy: AWS clients, tracing

    console, errors = _console(), _console(stderr=True)
    # SIGTERM (a CI job cancelled, a container stopped) cleans up as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    then = _then(options)
    try:
        code = asyncio.run(run_request(operation, options, console))
    except CliError as exc:
        errors.print(f"drsorch {operation}: {exc}", markup=False)
        code = exc.exit_code
    except KeyboardInterrupt:
        errors.print(
            f"drsorch {operation}: interrupted; a request already sent keeps running "
            "(drsorch status REQUEST_ID follows it). The CLI's queue was deleted."
        )
        code = ExitCode.INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - no traceback reaches the operator: one line, a log
        line, code = unexpected(operation, exc)
        errors.print(line, markup=False)
    request_id = options.get("request_id")
    # A partial request (exit 1) still landed servers: the chained steps take those.
    if code in (ExitCode.OK, ExitCode.FAILED) and then and request_id and not options["plan"]:
        steps: list[Step] = []
        chained = _chain(request_id, then, steps)
        if options.get("report") and steps:
            _add_steps(Path(options["report"]), steps)
        code = chained if code == ExitCode.OK else code
    raise typer.Exit(int(code))


def _add_steps(path: Path, steps: list[Step]) -> None:
    """The chained steps written into the request's report (JSON, page and picture)."""
    from drsorch.cli.report import Report  # noqa: PLC0415
    from drsorch.cli.report_files import write_report  # noqa: PLC0415

    if not path.exists():
        return  # the request wrote no report (it ended without one)
    report = Report.model_validate_json(path.read_text(encoding="utf-8"))
    write_report(report.model_copy(update={"steps": (*report.steps, *steps)}), path)


def _then(options: dict[str, Any]) -> list[str]:
    """The steps chained after the request: `--prepare-failback`, `--then reprotect,retire`."""
    steps = ["prepare_failback"] if options.pop("prepare_failback", False) else []
    text = options.pop("then", None)
    if text:
        asked = [part.strip() for part in text.split(",") if part.strip()]
        if asked not in (["reprotect"], ["reprotect", "retire"], ["retire"]):
            _console(stderr=True).print(
                f"drsorch: --then takes reprotect and retire, in that order, not {text!r}"
            )
            raise typer.Exit(int(ExitCode.USAGE))
        steps.extend(asked)
    if steps:
        options["wait"] = True
    return steps


def _chain(request_id: str, steps: list[str], done: list[Step]) -> ExitCode:
    from drsorch.cli.roundtrip_cmd import retire_step, reverse_step  # noqa: PLC0415

    code = ExitCode.OK
    for step in steps:
        code = (
            retire_step(request_id, None, steps=done)
            if step == "retire"
            else reverse_step(request_id, step, steps=done)
        )
        if code != ExitCode.OK:
            return code
    return code


def failback(  # noqa: PLR0917 - typer reads the flags from the signature
    primary_region: PrimaryOpt,
    recovery_region: RecoveryOpt,
    scope: ScopeOpt = None,
    servers: ServersOpt = None,
    accounts: AccountsOpt = None,
    drill: DrillOpt = False,
    launch_into: LaunchIntoOpt = None,
    set_: SetOpt = None,
    option: OptionOpt = None,
    target: TargetOpt = None,
    plan: PlanOpt = False,
    approve: ApproveOpt = None,
    approvals: ApprovalsOpt = 1,
    valid_for: ValidForOpt = 60,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = None,
    report: ReportOpt = None,
    reason: ReasonOpt = None,
    then: ThenOpt = None,
) -> None:
    """Fail the servers in scope back into their original instances in the primary region."""
    execute("failback", dict(locals()))


def failover(  # noqa: PLR0917 - typer reads the flags from the signature
    primary_region: PrimaryOpt,
    recovery_region: RecoveryOpt,
    scope: ScopeOpt = None,
    servers: ServersOpt = None,
    accounts: AccountsOpt = None,
    drill: DrillOpt = False,
    launch_into: LaunchIntoOpt = None,
    set_: SetOpt = None,
    option: OptionOpt = None,
    target: TargetOpt = None,
    plan: PlanOpt = False,
    approve: ApproveOpt = None,
    approvals: ApprovalsOpt = 1,
    valid_for: ValidForOpt = 60,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = None,
    report: ReportOpt = None,
    reason: ReasonOpt = None,
    prepare_failback: PrepareOpt = False,
) -> None:
    """Fail the servers in scope over to the recovery region, into pre-provisioned instances."""
    execute("failover", dict(locals()))
