"""Running the round trip's steps: reverse replication (prepare a failback, re-protect) and retire.

Each step publishes its request (under a request ID of its own) and follows the
configurator's answer through the CLI's own queue: per-server progress of a reverse
replication until every server is protected or failed; a retire's plan (its hash is
what `--approve` binds), its refusal when the plan drifted, or what it did.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from drsorch.cli.answers import Answer, ask_configurator, own_approval
from drsorch.cli.approval import DEFAULT_VALID_MINUTES
from drsorch.cli.aws import Aws, open_aws
from drsorch.cli.checks import endpoint_urls, timeout_seconds
from drsorch.cli.errors import ExitCode, InputError
from drsorch.cli.follow import new_request_id
from drsorch.cli.plan_store import plan_dir
from drsorch.cli.report import Step, StepKind
from drsorch.contracts import (
    Envelope,
    Event,
    RetireAction,
    Retired,
    RetirePlanned,
    RetireRequested,
    ReverseReplicationReported,
    ReverseReplicationRequested,
    SignedApproval,
)
from drsorch.contracts.events.roundtrip import ReversePurpose
from drsorch.runtime import tracing

Purpose = Literal["prepare_failback", "reprotect"]
TABLE_ROWS = 40
"""Longer retire plans are summed up here and written whole to the plan folder."""


def save_retire_plan(plan_hash: str, actions: Sequence[RetireAction]) -> Path:
    """The plan's actions as JSON in `<plan folder>/retire/<hash>.json`; the path."""
    target = plan_dir() / "retire" / f"{plan_hash}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    body = [action.model_dump(mode="json") for action in actions]
    target.write_text(json.dumps(body, indent=2), encoding="utf-8")
    return target


TITLES = {"prepare_failback": "Reverse replication", "reprotect": "Re-protection"}


def reverse_request(
    of: str, purpose: ReversePurpose, requested_by: str, lag: int, deadline: int
) -> ReverseReplicationRequested:
    try:
        return ReverseReplicationRequested(
            of_request_id=of,
            purpose=purpose,
            requested_by=requested_by,
            max_replication_lag_seconds=lag,
            deadline_seconds=deadline,
        )
    except ValidationError as exc:
        raise InputError("REQUEST_ID", str(exc.errors()[0]["msg"])) from exc


def retire_request(
    of: str,
    approve: str | None,
    requested_by: str,
    lag: int,
    launch_tag: str = "as_found",
    *,
    approvals: tuple[SignedApproval, ...] = (),
) -> RetireRequested:
    try:
        return RetireRequested.model_validate(
            {"launch_tag": launch_tag, "of_request_id": of, "approvals": approvals}
            | _retire_fields(approve, requested_by, lag)
        )
    except ValidationError as exc:
        loc = exc.errors()[0]["loc"]
        flag = {"approved_plan_hash": "--approve", "launch_tag": "--launch-tag"}.get(
            str(loc[0]) if loc else "", "REQUEST_ID"
        )
        raise InputError(flag, str(exc.errors()[0]["msg"])) from exc


def _retire_fields(approve: str | None, requested_by: str, lag: int) -> dict[str, object]:
    return {
        "plan_only": approve is None,
        "approved_plan_hash": approve.lower() if approve else None,
        "requested_by": requested_by,
        "max_replication_lag_seconds": lag,
    }


async def _publish(aws: Aws, event: Event, kind: str) -> Envelope[Event]:
    own_id = new_request_id(kind, datetime.now(UTC))
    return Envelope.wrap(event, request_id=own_id, step=kind, producer="cli")


async def _follow(
    aws: Aws, envelope: Envelope[Event], seconds: float | None, console: Console, answer: Answer
) -> list[Event] | None:
    sent_line = f"{envelope.payload.event_type} sent ({envelope.request_id})."
    return await ask_configurator(aws, envelope, seconds, console, answer, sent_line=sent_line)


async def run_reverse(
    of: str,
    purpose: ReversePurpose,
    *,
    lag: int,
    deadline: int,
    seconds: float | None,
    console: Console,
    steps: list[Step] | None = None,
) -> ExitCode:
    """Send the reverse replication request and follow it to the end; the exit code. What it
    did is added to `steps` when given."""
    reverse_request(of, purpose, "drsorch-cli", lag, deadline)
    timeout_seconds("--timeout", seconds)
    endpoint_urls()
    tracing.configure_tracing("drsorch-cli", instrument_aws=False)
    async with open_aws() as aws:
        event = reverse_request(of, purpose, aws.caller.arn, lag, deadline)
        envelope = await _publish(aws, event, "reprotect" if purpose == "reprotect" else "prepare")
        answer = Answer(console, kinds=(ReverseReplicationReported,))
        last = await _follow(aws, envelope, seconds, console, answer)
    if last is None:
        console.print(f"No end within {seconds:g} s; {envelope.request_id} goes on.")
        return ExitCode.STILL_RUNNING
    if steps is not None:
        servers = [s for e in last if isinstance(e, ReverseReplicationReported) for s in e.servers]
        counted = Counter(s.outcome for s in servers)
        words = ", ".join(f"{n} {k}" for k, n in sorted(counted.items())) or "nothing done"
        steps.append(_step(purpose, envelope, event.requested_by, words))
    return show_reverse(console, of, purpose, last)


def show_reverse(
    console: Console, of: str, purpose: ReversePurpose, answer: Sequence[Event]
) -> ExitCode:
    """The servers that did not make it, and the exit code: 0 when every one is protected."""
    reports = [e for e in answer if isinstance(e, ReverseReplicationReported)]
    reason = next((r.reason for r in reports if r.reason), None)
    servers = [s for r in reports for s in r.servers]
    if not servers:
        console.print(f"{TITLES[purpose]} of {of}: nothing done: {reason or 'no servers'}")
        return ExitCode.FAILED
    failed = [s for s in servers if s.outcome != "protected"]
    if failed:
        table = Table(title=f"{TITLES[purpose]} of {of}: not protected", title_justify="left")
        for column in ("server", "account", "reversed server", "state", "lag", "reason"):
            table.add_column(column)
        for s in failed:
            table.add_row(
                s.source_server_id,
                s.account_id,
                s.reversed_server_id or "",
                s.replication_state or "",
                "" if s.lag_seconds is None else f"{s.lag_seconds} s",
                s.reason or "",
            )
        console.print(table)
    console.print(
        f"{TITLES[purpose]} of {of}: {len(servers) - len(failed)} of {len(servers)} servers "
        "protected (CONTINUOUS, within the lag)"
    )
    return ExitCode.FAILED if failed else ExitCode.OK


async def run_retire(
    of: str,
    *,
    approve: str | None,
    lag: int,
    seconds: float | None,
    console: Console,
    launch_tag: str = "as_found",
    steps: list[Step] | None = None,
    valid_for: int = DEFAULT_VALID_MINUTES,
) -> tuple[ExitCode, str | None]:
    """Plan or apply a retire and show the answer; the exit code and the plan hash. An
    apply carries the caller's signed approval of the plan (`--approve`), which the
    configurator verifies before any call: a retire terminates instances."""
    retire_request(of, approve, "drsorch-cli", lag, launch_tag)
    timeout_seconds("--timeout", seconds)
    endpoint_urls()
    tracing.configure_tracing("drsorch-cli", instrument_aws=False)
    async with open_aws() as aws:
        own_id = new_request_id("retire", datetime.now(UTC))
        approvals = await own_approval(aws, own_id, approve, valid_for)
        event = retire_request(of, approve, aws.caller.arn, lag, launch_tag, approvals=approvals)
        envelope = Envelope.wrap(event, request_id=own_id, step="retire", producer="cli")
        answer = await _follow(
            aws, envelope, seconds, console, Answer(console, kinds=(RetirePlanned, Retired))
        )
    if answer is None:
        console.print(f"No answer within {seconds:g} s; {envelope.request_id} goes on.")
        return ExitCode.STILL_RUNNING, None
    code, plan_hash = show_retire(console, of, answer)
    if steps is not None:
        steps.append(_step("retire", envelope, event.requested_by, _retire_words(answer)))
    return code, plan_hash


def _step(kind: StepKind, envelope: Envelope[Event], by: str, outcome: str) -> Step:
    return Step(
        kind=kind,
        request_id=envelope.request_id,
        at=datetime.now(UTC),
        by=by,
        outcome=outcome,
    )


def _retire_words(answer: Sequence[Event]) -> str:
    """A retire's answer in a few words: its plan, or what the apply did."""
    results = [r for e in answer if isinstance(e, Retired) for r in e.results]
    if results:
        counted = Counter(r.outcome for r in results)
        return "applied: " + ", ".join(f"{n} {k}" for k, n in sorted(counted.items()))
    planned = [e for e in answer if isinstance(e, RetirePlanned)]
    actions = [a for e in planned for a in e.actions if a.kind != "leave"]
    refused = next((e.refused for e in planned if e.refused), None)
    if refused:
        return f"refused: {refused}"
    plan_hash = planned[0].plan_hash if planned else "?"
    held = sum(1 for a in actions if a.held)
    return f"planned {plan_hash}: {len(actions)} actions, {held} held"


def _actions_table(title: str, rows: Sequence[tuple[RetireAction, str]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("action", "server", "account/region", "resource", "EC2", "why", "status"):
        table.add_column(column)
    for action, status in rows:
        table.add_row(
            action.kind,
            action.source_server_id,
            f"{action.account_id}/{action.region}",
            action.resource_id,
            action.ec2_instance_id or "",
            "; ".join(action.evidence),
            status,
        )
    return table


def show_retire(console: Console, of: str, answer: Sequence[Event]) -> tuple[ExitCode, str | None]:
    planned = [e for e in answer if isinstance(e, RetirePlanned)]
    if planned:
        plan_hash = planned[0].plan_hash
        refused = planned[0].refused
        actions = [a for p in planned for a in p.actions]
        rows = [(a, a.held or ("never touched" if a.kind == "leave" else "")) for a in actions]
        if actions and len(actions) <= TABLE_ROWS:
            console.print(_actions_table(f"Retire plan of {of}", rows))
        if actions and plan_hash:
            saved = save_retire_plan(plan_hash, actions)
            console.print(f"Every action with its evidence: {saved}")
        counted = Counter(a.kind for a in actions if a.held is None and a.kind != "leave")
        held = sum(1 for a in actions if a.held)
        console.print(
            ", ".join(f"{n} {k}" for k, n in sorted(counted.items())) or "nothing to retire"
        )
        if held:
            console.print(f"{held} actions held: their servers are not proven re-protected")
        if refused:
            console.print(f"Refused: {refused}")
            return ExitCode.REFUSED, plan_hash
        console.print(f"Retire plan {plan_hash}")
        console.print(f"Apply it with: drsorch retire {of} --approve {plan_hash}")
        return ExitCode.OK, plan_hash
    done = [e for e in answer if isinstance(e, Retired) and e.final]
    results = [r for chunk in done for r in chunk.results]
    outcomes = Counter(r.outcome for r in results)
    bad = [r for r in results if r.outcome in ("failed", "held")]
    if bad:
        rows = [(r.action, f"{r.outcome}: {r.reason or ''}") for r in bad]
        console.print(_actions_table(f"Retire of {of}: not done", rows))
    console.print(
        f"Retired {of} (plan {done[0].plan_hash if done else '?'}): "
        + (", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "nothing to do")
    )
    return (ExitCode.FAILED if bad else ExitCode.OK), None
