"""Requests held for more approvers: the first approver holds one, the last one sends it.

`drsorch failback|failover ... --approve HASH --approvals N` signs and holds the
request in the deployment's approvals table instead of sending it; each other
approver runs `drsorch approve REQUEST_ID --hash HASH`, which signs with their own
identity and, once N distinct approvers have signed, sends the request with every
signature. The table is a mailbox, not a trust anchor: the services verify each
signature themselves, so an item altered in it launches nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict

from drsorch.cli.errors import Refused, RequestNotFound, Unreachable
from drsorch.contracts import RequestSpec, SignedApproval

if TYPE_CHECKING:
    from drsorch.cli.aws import Aws

TABLE_OUTPUT = "ApprovalsTableName"


class PendingRequest(BaseModel):
    """A request waiting for approvers: its spec with the approvals so far."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    spec: RequestSpec
    version: int = 1
    sent: bool = False

    @property
    def plan_hash(self) -> str:
        return self.spec.approvals[0].statement.plan_hash

    @property
    def required(self) -> int:
        return max(a.statement.approvals_required for a in self.spec.approvals)

    @property
    def approvers(self) -> list[str]:
        return sorted({a.statement.approver for a in self.spec.approvals})

    @property
    def expires_at(self) -> datetime:
        return min(a.statement.expires_at for a in self.spec.approvals)

    @property
    def complete(self) -> bool:
        return len(self.approvers) >= self.required


class PendingStore(Protocol):
    """Where held requests wait (the approvals table; a dict in unit tests)."""

    async def get(self, request_id: str) -> PendingRequest | None: ...

    async def put(self, pending: PendingRequest, replaces: int | None) -> bool:
        """Store it if the stored version is `replaces` (None: none stored); False if not."""
        ...


class PendingTable:
    """The approvals table: one item per held request, expiring with its first approval."""

    def __init__(self, aws: Aws) -> None:
        table = aws.topology.outputs.get(TABLE_OUTPUT)
        if not table:
            raise Unreachable(
                f"the stack has no {TABLE_OUTPUT} output: deploy the current template to "
                "hold requests for more approvers"
            )
        self._dynamodb, self._table = aws.dynamodb, table

    async def get(self, request_id: str) -> PendingRequest | None:
        answer = await self._dynamodb.get_item(
            TableName=self._table, Key={"request_id": {"S": request_id}}, ConsistentRead=True
        )
        item = answer.get("Item")
        if item is None:
            return None
        return PendingRequest.model_validate_json(item["body"]["S"])

    async def put(self, pending: PendingRequest, replaces: int | None) -> bool:
        condition = (
            {"ConditionExpression": "attribute_not_exists(request_id)"}
            if replaces is None
            else {
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": str(replaces)}},
            }
        )
        try:
            await self._dynamodb.put_item(
                TableName=self._table,
                Item={
                    "request_id": {"S": pending.request_id},
                    "version": {"N": str(pending.version)},
                    "body": {"S": pending.model_dump_json()},
                    "expires_at": {"N": str(int(pending.expires_at.timestamp()) + 86_400)},
                },
                **condition,
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True


async def hold(
    store: PendingStore, spec: RequestSpec, request_id: str, first: SignedApproval
) -> None:
    """Keep the request, signed by its first approver, for the others."""
    pending = PendingRequest(
        request_id=request_id, spec=spec.model_copy(update={"approvals": (first,)})
    )
    if not await store.put(pending, None):
        raise Refused(f"request {request_id} is already held")


def check_can_sign(
    pending: PendingRequest | None, request_id: str, plan_hash: str, approver: str, now: datetime
) -> PendingRequest:
    """The held request this approver may sign, or why not."""
    if pending is None:
        raise RequestNotFound(
            f"no request {request_id} waits for approvers (held requests are kept until "
            "their first approval expires)"
        )
    if plan_hash != pending.plan_hash:
        raise Refused(
            f"request {request_id} applies plan {pending.plan_hash}, not {plan_hash}: review "
            "that plan before approving it"
        )
    if now >= pending.expires_at:
        raise Refused(
            f"request {request_id} expired at {pending.expires_at:%Y-%m-%d %H:%M} UTC, before "
            "enough approvers signed: plan and approve again"
        )
    if approver in pending.approvers:
        raise Refused(
            f"{approver} already approved request {request_id}: it needs "
            f"{pending.required} distinct approvers"
        )
    return pending


def sent(pending: PendingRequest) -> PendingRequest:
    """The held request marked sent, one version on."""
    return pending.model_copy(update={"sent": True, "version": pending.version + 1})


def with_approval(pending: PendingRequest, approval: SignedApproval) -> PendingRequest:
    """The held request with one more signature, one version on."""
    approvals = (*pending.spec.approvals, approval)
    return pending.model_copy(
        update={
            "spec": pending.spec.model_copy(update={"approvals": approvals}),
            "version": pending.version + 1,
        }
    )


def summary(pending: PendingRequest) -> str:
    """One line for the approver: who signed, how many more are needed."""
    more = pending.required - len(pending.approvers)
    signed = ", ".join(pending.approvers)
    if more <= 0:
        return f"approved by {len(pending.approvers)} of {pending.required} ({signed})"
    return (
        f"approved by {len(pending.approvers)} of {pending.required} ({signed}); "
        f"{more} more must run: drsorch approve {pending.request_id} --hash {pending.plan_hash}"
    )


def waiting(pending: PendingRequest) -> str:
    """What `drsorch status` says of a held request: what is missing, and who signed."""
    if pending.sent:
        return (
            f"request {pending.request_id} was sent with every approval "
            f"({', '.join(pending.approvers)}); the services have not recorded it yet"
        )
    more = max(0, pending.required - len(pending.approvers))
    return (
        f"request {pending.request_id} is held, not sent: waiting for {more} more "
        f"approval{'s' if more != 1 else ''} of plan {pending.plan_hash} "
        f"(needs {pending.required} distinct approvers); approved by "
        f"{', '.join(pending.approvers)}; the approvals expire at "
        f"{pending.expires_at:%Y-%m-%d %H:%M} UTC. Each other approver runs: "
        f"drsorch approve {pending.request_id} --hash {pending.plan_hash}"
    )


def held_state(pending: PendingRequest) -> dict[str, Any]:
    """`--output json` for a held request: who signed, how many more, until when."""
    return {
        "request_id": pending.request_id,
        "status": "SENT" if pending.sent else "HELD",
        "plan_hash": pending.plan_hash,
        "approvals_required": pending.required,
        "approved_by": pending.approvers,
        "approvals_missing": max(0, pending.required - len(pending.approvers)),
        "expires_at": pending.expires_at.isoformat(),
    }
