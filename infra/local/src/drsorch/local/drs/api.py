"""Answering one DRS API call: faults, validation, initialization, the operation, the call log.

`handle` is what the HTTP layer calls; it never raises. Each operation is a function
`(OpContext, params) -> body` (`context.py`) registered in an `ops_*` module's
OPERATIONS table; `operations.py` gathers the tables.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drsorch.local.drs import faults, model, raw, validation
from drsorch.local.drs.calls import CallRecord
from drsorch.local.drs.clock import iso
from drsorch.local.drs.context import OpContext
from drsorch.local.drs.core import Emulator
from drsorch.local.drs.errors import (
    AccessDeniedError,
    DrsError,
    InternalServerError,
    UninitializedAccountError,
    ValidationError,
)
from drsorch.local.drs.operations import OPERATIONS, implemented

__all__ = ["ApiCall", "OpContext", "Reply", "handle", "implemented", "summarize"]

log = logging.getLogger(__name__)

NO_INITIALIZATION_NEEDED = frozenset(
    {"InitializeService", "TagResource", "UntagResource", "ListTagsForResource"}
)


@dataclass(frozen=True)
class ApiCall:
    """A parsed request: which operation, for whom, with what."""

    operation: str | None
    account_id: str
    region: str
    params: Mapping[str, Any]
    denied: str | None = None  # why IAM refuses the caller this call (None: allowed)


@dataclass(frozen=True)
class Reply:
    """What to answer: status, JSON body (None for an empty body), headers."""

    status: int
    body: dict[str, Any] | None
    headers: Mapping[str, str] = field(default_factory=dict)


def _execute(emu: Emulator, call: ApiCall) -> Reply:
    name = call.operation
    if name is None or model.operation(name) is None:
        raise ValidationError("Unknown operation", reason="unknownOperation")
    if call.denied is not None:
        raise AccessDeniedError(call.denied)
    fault = faults.injected(emu, name)
    if fault is not None:
        raise fault
    operation = OPERATIONS.get(name)
    if operation is None:
        raise ValidationError(
            f"{name} is not implemented by drsorch's DRS emulator", reason="unknownOperation"
        )
    op_model = model.operation(name)
    problems = validation.validate(op_model.input_shape if op_model else None, dict(call.params))
    if problems:
        raise ValidationError(f"Invalid request to {name}", fields=problems)
    context = OpContext(emu, call.account_id, call.region, emu.now_ms())
    if name not in NO_INITIALIZATION_NEEDED and not context.state.initialized:
        raise UninitializedAccountError()
    body = raw.applied(emu.raw_records, name, operation(context, call.params))
    return Reply(model.success_status(name), body)


def handle(emu: Emulator, call: ApiCall) -> Reply:
    """Answer one call (never raises) and record it in the call log."""
    with emu.lock:
        emu.run_due()
        try:
            reply = _execute(emu, call)
        except DrsError as error:
            reply = Reply(error.status, error.body(), error.headers())
        except Exception:  # an emulator bug must answer 500, never kill the endpoint
            log.exception("DRS emulator failed on %s", call.operation)
            failure = InternalServerError(f"drsorch's DRS emulator failed on {call.operation}")
            reply = Reply(failure.status, failure.body(), failure.headers())
        _record(emu, call, reply)
        return reply


def summarize(body: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the call log keeps of a response: lists by count, jobs by ID and status."""
    if body is None:
        return None
    summary: dict[str, Any] = {}
    for key, value in body.items():
        if isinstance(value, list):
            summary[key] = len(value)
        elif key == "job" and isinstance(value, dict):
            summary[key] = {"jobID": value.get("jobID"), "status": value.get("status")}
        elif isinstance(value, dict) and len(str(value)) > 512:
            summary[key] = "..."
        else:
            summary[key] = value
    return summary


def _record(emu: Emulator, call: ApiCall, reply: Reply) -> None:
    failed = reply.status >= 300
    emu.calls.append(
        CallRecord(
            seq=emu.calls.next_seq(),
            operation=call.operation or "",
            account_id=call.account_id,
            region=call.region,
            arguments=dict(call.params),
            status=reply.status,
            error_code=reply.headers.get("x-amzn-ErrorType") if failed else None,
            error_message=str((reply.body or {}).get("message")) if failed else None,
            result=None if failed else summarize(reply.body),
            simulated_time=iso(emu.now_ms()),
            real_time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
    )
