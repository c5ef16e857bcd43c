"""Running `drsorch restore`: publish RestoreRequested, wait for the configurator's answer.

Publishes `RestoreRequested` (under a request ID of its own): a plan, or with `--approve`
an apply carrying the caller's signed approval of that plan. Unless told not to wait, it
follows the configurator's `LaunchSettingsRestored` through the CLI's own queue and
prints what would be, or was, put back, server by server, or why the apply was refused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from drsorch.cli.answers import Answer, ask_configurator, own_approval
from drsorch.cli.approval import DEFAULT_VALID_MINUTES
from drsorch.cli.args import split_list
from drsorch.cli.aws import AWS_ERRORS, SnsRequestBus, lost_contact, open_aws
from drsorch.cli.checks import endpoint_urls, timeout_seconds
from drsorch.cli.errors import ExitCode, InputError
from drsorch.cli.follow import new_request_id, publish_request
from drsorch.contracts import (
    Envelope,
    Event,
    LaunchSettingsRestored,
    RestoreRequested,
    SignedApproval,
)
from drsorch.runtime import tracing


def restore_request(  # noqa: PLR0917 - the event's fields, as the flags give them
    request_id: str,
    servers: list[str],
    requested_by: str,
    reason: str | None,
    approve: str | None = None,
    approvals: tuple[SignedApproval, ...] = (),
) -> RestoreRequested:
    """The event, or an `InputError` naming the bad argument."""
    ids = tuple(split_list(servers)) or None
    try:
        return RestoreRequested(
            restore_request_id=request_id,
            source_server_ids=ids,
            requested_by=requested_by,
            reason=reason,
            plan_only=approve is None,
            approved_plan_hash=approve.lower() if approve else None,
            approvals=approvals,
        )
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else ""
        flag = {
            "restore_request_id": "REQUEST_ID",
            "source_server_ids": "--servers",
            "approved_plan_hash": "--approve",
        }.get(field, "restore")
        raise InputError(flag, str(exc.errors()[0]["msg"])) from exc


def unknown_servers(answer: list[LaunchSettingsRestored], asked: Sequence[str]) -> list[str]:
    """The server IDs asked for that the answer does not cover (none kept for them)."""
    known = {
        server_id
        for chunk in answer
        for r in chunk.results
        for server_id in (r.source_server_id, r.launching_server_id)
    }
    return [server_id for server_id in split_list(asked) if server_id not in known]


def show(
    console: Console,
    target: str,
    answer: list[LaunchSettingsRestored],
    asked: Sequence[str] = (),
) -> ExitCode:
    """The per-server table and the exit code: 0 when nothing failed and something was kept.

    Servers asked for (`--servers`) that the request kept nothing for are named, and make
    the exit code 2: the request's other servers still had their settings kept.
    """
    results = [r for chunk in answer for r in chunk.results]
    reason = next((chunk.reason for chunk in answer if chunk.reason), None)
    if any(chunk.refused for chunk in answer):
        console.print(f"Restore of {target} refused, nothing written: {reason}", markup=False)
        return ExitCode.REFUSED
    unknown = unknown_servers(answer, asked)
    if unknown:
        console.print(
            f"--servers: {target} kept no launch settings for {', '.join(unknown)}: not a server "
            f"of that request, or not one it changed (drsorch report {target} lists its servers)"
        )
    if not results:
        if not unknown:
            console.print(f"Nothing restored for {target}: {reason or 'no servers'}")
        return ExitCode.USAGE if unknown else ExitCode.FAILED
    table = Table(title=f"Launch settings of {target}", title_justify="left")
    for column in ("server", "launching server", "account", "region", "outcome", "reason"):
        table.add_column(column)
    for r in results:
        table.add_row(
            r.source_server_id,
            r.launching_server_id,
            r.account_id,
            r.region,
            r.outcome,
            r.reason or "",
        )
    console.print(table)
    counted = Counter(r.outcome for r in results)
    console.print(", ".join(f"{n} {outcome}" for outcome, n in sorted(counted.items())))
    plan_hash = answer[0].plan_hash
    if counted.get("planned") and plan_hash:
        console.print(f"Restore plan {plan_hash}")
        console.print(f"Apply it with: drsorch restore {target} --approve {plan_hash}")
    if counted.get("failed"):
        return ExitCode.FAILED
    return ExitCode.USAGE if unknown else ExitCode.OK


async def run_restore(
    target: str,
    *,
    servers: list[str],
    reason: str | None,
    approve: str | None = None,
    valid_for: int = DEFAULT_VALID_MINUTES,
    wait: bool,
    seconds: float | None,
    console: Console,
) -> ExitCode:
    """Send the restore (a plan, or an approved apply), and wait for its answer when asked
    to; the exit code."""
    restore_request(target, servers, "drsorch-cli", reason, approve)  # flags checked offline
    timeout_seconds("--timeout", seconds)
    endpoint_urls()
    # Only the CLI's own spans: its polling of its queue would make a trace a receive.
    tracing.configure_tracing("drsorch-cli", instrument_aws=False)
    async with open_aws() as aws:
        own_id = new_request_id("restore", datetime.now(UTC))
        approvals = await own_approval(aws, own_id, approve, valid_for)
        event = restore_request(target, servers, aws.caller.arn, reason, approve, approvals)
        envelope: Envelope[Event] = Envelope.wrap(
            event, request_id=own_id, step="restore", producer="cli"
        )
        if not wait:
            try:
                await publish_request(SnsRequestBus(aws), envelope)
            except AWS_ERRORS as exc:
                raise lost_contact(exc, own_id, sent=False) from exc
            console.print(f"Restore of {target} requested ({own_id}).")
            return ExitCode.OK
        answer = await ask_configurator(
            aws,
            envelope,
            seconds,
            console,
            Answer(console, kinds=(LaunchSettingsRestored,)),
            sent_line=f"Restore of {target} requested ({own_id}); waiting for the configurator.",
            then=f"the restore goes on; drsorch restore {target} again shows what it put back",
        )
    if answer is None:
        console.print(f"No answer within {seconds:g} s; the restore ({own_id}) goes on.")
        return ExitCode.STILL_RUNNING
    restored = [e for e in answer if isinstance(e, LaunchSettingsRestored)]
    return show(console, target, restored, servers)
