"""Running `drsorch approve`: sign the held request; send it once enough have signed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from drsorch.cli.approval import KmsSigner, approvals_key, sign_approval
from drsorch.cli.aws import AWS_ERRORS, SnsRequestBus, lost_contact, open_aws
from drsorch.cli.errors import ExitCode, Refused
from drsorch.cli.follow import publish_request, request_envelope
from drsorch.cli.output import emit
from drsorch.cli.pending import (
    PendingRequest,
    PendingStore,
    PendingTable,
    check_can_sign,
    held_state,
    sent,
    summary,
    with_approval,
)
from drsorch.cli.request_run import finish, send_and_follow
from drsorch.runtime import tracing

ATTEMPTS = 3  # approvers signing at the same moment: re-read and sign the newer version


async def run_approve(
    request_id: str, plan_hash: str, options: dict[str, Any], console: Console
) -> ExitCode:
    """Sign, store, and send the request if this approval completes it."""
    tracing.configure_tracing("drsorch-cli", instrument_aws=False)
    async with open_aws() as aws:
        store = PendingTable(aws)
        try:
            pending = await _sign(aws.caller.arn, store, request_id, plan_hash, options, aws)
        except AWS_ERRORS as exc:
            raise lost_contact(exc, request_id, sent=False) from exc
        console.print(f"Request {request_id}: {summary(pending)}.", markup=False)
        if not pending.complete:
            emit(held_state(pending))
            return ExitCode.OK
        envelope = request_envelope(pending.spec, request_id)
        follow = options["wait"] or options["timeout"] or options["report"]
        if not follow:
            try:
                await publish_request(SnsRequestBus(aws), envelope)
            except AWS_ERRORS as exc:
                raise lost_contact(exc, request_id, sent=False) from exc
            await store.put(sent(pending), pending.version)
            console.print(f"Request {request_id} sent. Follow it with: drsorch status {request_id}")
            emit(held_state(sent(pending)))
            return ExitCode.OK
        followed = await send_and_follow(aws, envelope, pending.spec, options["timeout"], console)
        await store.put(sent(pending), pending.version)
    return finish(followed, pending.spec, options, console)


async def _sign(  # noqa: PLR0917 - the approver, the store, what they approve
    approver: str,
    store: PendingStore,
    request_id: str,
    plan_hash: str,
    options: dict[str, Any],
    aws: Any,
) -> PendingRequest:
    for _ in range(ATTEMPTS):
        now = datetime.now(UTC)
        stored = await store.get(request_id)
        if stored is not None and stored.sent:
            raise Refused(
                f"request {request_id} was already sent; follow it with: "
                f"drsorch status {request_id}"
            )
        pending = check_can_sign(stored, request_id, plan_hash, approver, now)
        approval = await sign_approval(
            KmsSigner(aws.kms),
            key_arn=approvals_key(aws.topology.outputs, aws.settings.approvals_key_arn),
            request_id=request_id,
            plan_hash=plan_hash,
            approver=approver,
            now=now,
            valid_minutes=options["valid_for"],
            required=pending.required,
        )
        updated = with_approval(pending, approval)
        if await store.put(updated, pending.version):
            return updated
    raise Refused(f"request {request_id} kept changing while signing; run drsorch approve again")
