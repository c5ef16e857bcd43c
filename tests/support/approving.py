"""Approving an apply as an approver does, for tests that publish requests themselves.

`sign` is the CLI's own signing (`drsorch.cli.approval`) with the deployment's
approvals key on the local endpoint, as the caller (or as the credentials given);
`plan_and_approve` runs the plan-only request first, as an operator must, and returns
the apply's spec carrying the approval of exactly the plan it produced.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiobotocore.session import get_session

from drsorch.cli.approval import KmsSigner, sign_approval
from drsorch.contracts import RequestSpec, SignedApproval
from drsorch.runtime.approvals import APPROVALS_KEY_OUTPUT

if TYPE_CHECKING:
    from drsorch.local.deploy import StackOutputs
    from support.monitor_e2e import Flow


async def sign(
    stack: StackOutputs,
    request_id: str,
    plan_hash: str,
    *,
    credentials: dict[str, str] | None = None,
    key_arn: str | None = None,
    required: int = 1,
    valid_minutes: int = 60,
    now: datetime | None = None,
) -> SignedApproval:
    """An approval signed with `kms:Sign`, as `drsorch ... --approve` makes it."""
    keys: dict[str, Any] = dict(credentials or {})
    session = get_session()
    async with (
        session.create_client("kms", **keys) as kms,
        session.create_client("sts", **keys) as sts,
    ):
        caller = await sts.get_caller_identity()
        return await sign_approval(
            KmsSigner(kms),
            key_arn=key_arn or stack.outputs[APPROVALS_KEY_OUTPUT],
            request_id=request_id,
            plan_hash=plan_hash,
            approver=caller["Arn"],
            now=now or datetime.now(UTC),
            valid_minutes=valid_minutes,
            required=required,
        )


async def plan_and_approve(
    flow: Flow, spec: RequestSpec, request_id: str, *, within: float = 600
) -> RequestSpec:
    """Plan first (request `<id>-plan`), then the apply's spec approving exactly that plan."""
    planning = f"{request_id}-plan"
    await flow.request(spec.model_copy(update={"plan_only": True}), planning)
    (first, *_) = await flow.completed(planning, within=within)
    assert first.status == "PLANNED", first.reason
    assert first.plan_hash is not None
    approval = await sign(flow.stack, request_id, first.plan_hash)
    return spec.model_copy(update={"approved_plan_hash": first.plan_hash, "approvals": (approval,)})
