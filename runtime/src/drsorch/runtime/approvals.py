"""Approvals the services enforce: an apply runs only with signatures they verify themselves.

The configurator (before its first write) and the monitor (before every launch) ask
`ApprovalCheck.refusal` why an apply may not run. The rules, in order:

- a plan-only request needs no approval; an apply without one is refused;
- every approval must name this request, the hash of what the apply launches (the
  configurator's launch-set hash), this deployment's approvals key, and must not have
  expired when the apply started;
- every signature must verify with this deployment's key (`kms:Verify`, never a key
  the approval names); one that does not refuses the apply;
- the distinct approvers must number at least what any approver demanded and what
  the deployment demands (`DRSORCH_APPROVALS_REQUIRED`).

Signatures are verified with `kms:Verify` rather than offline with the public key:
KMS refuses a disabled or deleted key at once (so disabling the key revokes every
outstanding approval), each check is in CloudTrail, and no crypto code ships in the
functions. A signature that verified is remembered for the life of the process.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from botocore.exceptions import ClientError

from drsorch.contracts import RequestSpec, SignedApproval, signed_message

if TYPE_CHECKING:
    from types_aiobotocore_kms import KMSClient

    from drsorch.runtime.bootstrap import Resources

APPROVALS_KEY_OUTPUT = "ApprovalsKeyArn"
NO_KEY = "this deployment has no approvals key (stack output ApprovalsKeyArn): no apply may run"


class SignatureVerifier(Protocol):
    """Checks a signature with the deployment's approvals key."""

    async def verify(self, key_arn: str, message: bytes, signature: bytes) -> bool:
        """True when `signature` is the key's signature of `message`; transient errors raise."""
        ...


class KmsVerifier:
    """`kms:Verify` with the deployment's key."""

    def __init__(self, kms: KMSClient) -> None:
        self._kms = kms

    async def verify(self, key_arn: str, message: bytes, signature: bytes) -> bool:
        try:
            answer = await self._kms.verify(
                KeyId=key_arn,
                Message=message,
                MessageType="RAW",
                Signature=signature,
                SigningAlgorithm="ECDSA_SHA_256",
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("KMSInvalidSignatureException", "ValidationException"):
                return False
            raise
        return bool(answer.get("SignatureValid"))


def statement_refusal(
    approval: SignedApproval,
    *,
    request_id: str,
    plan_hash: str | None,
    key_arn: str,
    started_at: datetime,
) -> str | None:
    """Why this approval's statement does not cover the apply (its signature aside)."""
    statement = approval.statement
    who = statement.approver
    if statement.key_arn != key_arn:
        return (
            f"the approval by {who} is signed with key {statement.key_arn}, "
            f"not this deployment's approvals key {key_arn}"
        )
    if statement.request_id != request_id:
        return f"the approval by {who} is for request {statement.request_id}, not {request_id}"
    if plan_hash is not None and statement.plan_hash != plan_hash:
        return (
            f"plan drift: what this apply would launch now hashes to {plan_hash}, not the "
            f"{statement.plan_hash} {who} approved"
        )
    if started_at >= statement.expires_at:
        return (
            f"the approval by {who} expired at {statement.expires_at.isoformat()}, before "
            f"the apply started ({started_at.isoformat()})"
        )
    return None


def shortfall(approvals: Iterable[SignedApproval], deployment_minimum: int) -> str | None:
    """Why the approvers are too few: fewer distinct identities than anyone demands."""
    approvals = tuple(approvals)
    approvers = sorted({a.statement.approver for a in approvals})
    needed = max([deployment_minimum, *(a.statement.approvals_required for a in approvals)])
    if len(approvers) >= needed:
        return None
    return (
        f"needs {needed} distinct approvers, has {len(approvers)} ({', '.join(approvers)}): "
        f"another approver must run drsorch approve"
    )


@dataclass
class ApprovalCheck:
    """The rules above over one deployment's key; verified signatures remembered."""

    verifier: SignatureVerifier
    key_arn: str | None
    minimum: int = 1
    _verified: set[tuple[bytes, str]] = field(default_factory=set)

    async def refusal(
        self, spec: RequestSpec, request_id: str, plan_hashes: Iterable[str], started_at: datetime
    ) -> str | None:
        """Why this apply may not write or launch anything, or None when it is approved.

        `plan_hashes` are the launch-set hashes the writes would be made under (one,
        normally; none yet means only the hash-free rules apply).
        """
        if spec.plan_only:
            return None
        return await self.apply_refusal(spec.approvals, request_id, plan_hashes, started_at)

    async def apply_refusal(
        self,
        approvals: tuple[SignedApproval, ...],
        request_id: str,
        plan_hashes: Iterable[str],
        started_at: datetime,
    ) -> str | None:
        """Why an apply carrying `approvals` may not write, or None: the rules above."""
        if not approvals:
            return (
                "no approval: an apply runs only with a signed approval of its plan hash "
                "(drsorch failback|failover|restore ... --approve HASH)"
            )
        if self.key_arn is None:
            return NO_KEY
        hashes: list[str | None] = [*sorted(set(plan_hashes))] or [None]
        for approval in approvals:
            for plan_hash in hashes:
                why = statement_refusal(
                    approval,
                    request_id=request_id,
                    plan_hash=plan_hash,
                    key_arn=self.key_arn,
                    started_at=started_at,
                )
                if why is not None:
                    return why
        for approval in approvals:
            if not await self._signed(approval):
                return (
                    f"the approval by {approval.statement.approver} does not verify with this "
                    "deployment's approvals key: forged or altered"
                )
        return shortfall(approvals, self.minimum)

    async def _signed(self, approval: SignedApproval) -> bool:
        message = signed_message(approval.statement)
        key = (message, approval.signature)
        if key in self._verified:
            return True
        try:
            signature = base64.b64decode(approval.signature, validate=True)
        except ValueError:
            return False
        assert self.key_arn is not None
        valid = await self.verifier.verify(self.key_arn, message, signature)
        if valid:
            self._verified.add(key)
        return valid


async def approval_check(resources: Resources) -> ApprovalCheck:
    """The check over the deployment's key, named by the settings or the stack's outputs."""
    settings = resources.settings
    key_arn = settings.approvals_key_arn or resources.topology.outputs.get(APPROVALS_KEY_OUTPUT)
    verifier = KmsVerifier(await resources.client("kms"))
    return ApprovalCheck(verifier, key_arn, settings.approvals_required)
