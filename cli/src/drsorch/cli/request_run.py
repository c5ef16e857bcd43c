"""Running one request command: check the flags, send the request, follow it, finish.

Imported only when a request command runs, so `drsorch --help` and flag errors stay quick.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from drsorch.cli.approval import DEFAULT_VALID_MINUTES, KmsSigner, approvals_key, sign_approval
from drsorch.cli.args import RequestFlags, build_spec
from drsorch.cli.aws import AWS_ERRORS, Aws, SnsRequestBus, lost_contact, open_aws
from drsorch.cli.checks import endpoint_urls, report_file, timeout_seconds
from drsorch.cli.errors import ExitCode, InputError, Refused
from drsorch.cli.feed import SqsQueueDepths, event_feed
from drsorch.cli.follow import Followed, follow, new_request_id, publish_request, request_envelope
from drsorch.cli.live import LiveProgress
from drsorch.cli.liveness import Liveness, queues_of, quiet_seconds
from drsorch.cli.outcome import finish_apply, finish_plan
from drsorch.cli.output import emit
from drsorch.cli.pending import PendingRequest, PendingTable, held_state, hold
from drsorch.cli.tracker import RequestTracker
from drsorch.contracts import Envelope, Event, RequestSpec, SignedApproval
from drsorch.contracts.types import Operation
from drsorch.runtime import tracing

FOLLOWED = ("discovery", "matcher", "configurator", "monitor")
"""The services whose events show a request's plan and progress."""

PLACEHOLDER_ACCOUNT = "000000000000"


def spec_of(operation: Operation, options: dict[str, Any], caller: tuple[str, str]) -> RequestSpec:
    launch_into = options["launch_into"]
    flags = RequestFlags(
        operation=operation,
        scope=tuple(options["scope"] or ()),
        servers=tuple(options["servers"] or ()),
        accounts=tuple(options["accounts"] or ()),
        primary_region=options["primary_region"],
        recovery_region=options["recovery_region"],
        drill=options["drill"],
        launch_into=launch_into.value if launch_into else None,
        settings=tuple(options["set_"] or ()),
        options=tuple(options["option"] or ()),
        plan=options["plan"],
        approve=options["approve"],
        reason=options["reason"],
        targets=tuple(options.get("target") or ()),
    )
    account, arn = caller
    return build_spec(
        flags, caller_account=account, requested_by=arn, requested_at=datetime.now(UTC)
    )


async def run_request(operation: Operation, options: dict[str, Any], console: Console) -> ExitCode:
    """Send the request and follow it as the flags say; the exit code."""
    # Flags are checked before anything is asked of AWS, so a typo fails fast and offline.
    checked = spec_of(operation, options, (PLACEHOLDER_ACCOUNT, "drsorch-cli"))
    timeout_seconds("--timeout", options["timeout"])
    report_file("--report", options["report"])
    endpoint_urls()
    if checked.plan_only and (options.get("approvals") or 1) > 1:
        raise InputError("--approvals", "needs --approve: a plan is made without approvers")
    if not checked.plan_only and checked.approved_plan_hash is None:
        raise Refused(
            "approval missing: run with --plan first, review the plan, then run again "
            "with --approve HASH"
        )
    # Only the CLI's own spans: its polling of its queue would make a trace a receive.
    tracing.configure_tracing("drsorch-cli", instrument_aws=False)
    async with open_aws() as aws:
        spec = spec_of(operation, options, (aws.caller.account_id, aws.caller.arn))
        request_id = new_request_id(operation, datetime.now(UTC))
        options["request_id"] = request_id  # for the steps chained after it
        if not spec.plan_only:
            signed = await _approve(aws, spec, request_id, options)
            required = signed.statement.approvals_required
            if required > 1:
                await hold(PendingTable(aws), spec, request_id, signed)
                console.print(
                    f"Request {request_id} is held for {required - 1} more approver(s) of plan "
                    f"{signed.statement.plan_hash} until {signed.statement.expires_at:%H:%M} UTC. "
                    f"Each runs: drsorch approve {request_id} --hash "
                    f"{signed.statement.plan_hash}",
                    markup=False,
                )
                held = spec.model_copy(update={"approvals": (signed,)})
                emit(held_state(PendingRequest(request_id=request_id, spec=held)))
                return ExitCode.OK
            spec = spec.model_copy(update={"approvals": (signed,)})
        envelope = request_envelope(spec, request_id)
        if not (spec.plan_only or options["wait"] or options["timeout"] or options["report"]):
            try:
                await publish_request(SnsRequestBus(aws), envelope)
            except AWS_ERRORS as exc:
                raise lost_contact(exc, request_id, sent=False) from exc
            console.print(f"Request {request_id} sent. Follow it with: drsorch status {request_id}")
            emit({"request_id": request_id, "status": "SENT"})
            return ExitCode.OK
        followed = await send_and_follow(aws, envelope, spec, options["timeout"], console)
    return finish(followed, spec, options, console)


async def _approve(
    aws: Aws, spec: RequestSpec, request_id: str, options: dict[str, Any]
) -> SignedApproval:
    """The caller's signed approval of the plan the request applies."""
    assert spec.approved_plan_hash is not None
    try:
        return await sign_approval(
            KmsSigner(aws.kms),
            key_arn=approvals_key(aws.topology.outputs, aws.settings.approvals_key_arn),
            request_id=request_id,
            plan_hash=spec.approved_plan_hash,
            approver=aws.caller.arn,
            now=datetime.now(UTC),
            valid_minutes=options.get("valid_for") or DEFAULT_VALID_MINUTES,
            required=options.get("approvals") or 1,
        )
    except AWS_ERRORS as exc:
        raise lost_contact(exc, request_id, sent=False) from exc


async def send_and_follow(
    aws: Aws, envelope: Envelope[Event], spec: RequestSpec, seconds: float | None, console: Console
) -> Followed:
    request_id = envelope.request_id
    # Each event believed only from its producer's topic: an outcome only from the monitor's.
    topic = {s: aws.topology.producer_topics[s] for s in FOLLOWED}
    sent = False
    try:
        async with event_feed(aws.sqs, aws.sns, topic, request_id) as feed:
            trace_id = await publish_request(SnsRequestBus(aws), envelope)
            sent = True
            kind = "plan only" if spec.plan_only else "apply"
            console.print(f"Request {request_id} sent ({kind}); trace {trace_id}.")
            tracker = RequestTracker(request_id, trace_id=trace_id)
            deadline = None if seconds is None else time.monotonic() + seconds
            queues = queues_of(aws.topology.outputs, aws.topology.queue_url)
            quiet = quiet_seconds(os.environ)
            watch = Liveness(queues, SqsQueueDepths(aws.sqs), time.monotonic, quiet)
            with LiveProgress(console, launches=not spec.plan_only) as view:
                return await follow(feed, tracker, view, deadline, liveness=watch)
    except AWS_ERRORS as exc:
        raise lost_contact(exc, request_id, sent=sent) from exc


def finish(
    followed: Followed, spec: RequestSpec, options: dict[str, Any], console: Console
) -> ExitCode:
    request_id = followed.tracker.request_id
    if followed.timed_out:
        console.print(
            f"--timeout {options['timeout']:g} s expired; request {request_id} is still running. "
            f"Follow it with: drsorch status {request_id} "
            f"(and drsorch report {request_id} once it is done)."
        )
        emit({"request_id": request_id, "status": "RUNNING"})
        return ExitCode.STILL_RUNNING
    if spec.plan_only:
        return finish_plan(followed.tracker, spec, console, options["report"])
    return finish_apply(followed.tracker, spec, console, options["report"])
