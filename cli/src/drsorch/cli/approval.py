"""Signing an approval: the approver's own `kms:Sign` with the deployment's approvals key.

The statement binds the request ID, the plan hash, the approver as AWS knows them
(`sts:GetCallerIdentity`), an expiry and how many distinct approvers the approver
demands. The services verify it themselves; the CLI's word counts for nothing.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from botocore.exceptions import ClientError

from drsorch.cli.errors import Refused, Unreachable
from drsorch.contracts import ApprovalStatement, SignedApproval, signed_message
from drsorch.runtime.approvals import APPROVALS_KEY_OUTPUT

if TYPE_CHECKING:
    from collections.abc import Mapping

    from types_aiobotocore_kms import KMSClient

DEFAULT_VALID_MINUTES = 60


class Signer(Protocol):
    """Signs bytes with a KMS asymmetric key (ECDSA_SHA_256)."""

    async def sign(self, key_arn: str, message: bytes) -> bytes: ...


class KmsSigner:
    """`kms:Sign` as the caller: only approvers' roles may (the key's policy)."""

    def __init__(self, kms: KMSClient) -> None:
        self._kms = kms

    async def sign(self, key_arn: str, message: bytes) -> bytes:
        try:
            answer = await self._kms.sign(
                KeyId=key_arn,
                Message=message,
                MessageType="RAW",
                SigningAlgorithm="ECDSA_SHA_256",
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise Refused(
                f"could not sign the approval with the approvals key ({error.get('Code')}: "
                f"{error.get('Message')}); approvers need ApproverPolicy and a role the key's "
                "policy names"
            ) from exc
        return answer["Signature"]


def approvals_key(outputs: Mapping[str, str], configured: str | None) -> str:
    """The deployment's approvals key: the setting, else the stack's output."""
    key = configured or outputs.get(APPROVALS_KEY_OUTPUT)
    if not key:
        raise Unreachable(
            f"the stack has no {APPROVALS_KEY_OUTPUT} output: deploy the current template "
            "(or set DRSORCH_APPROVALS_KEY_ARN) to approve applies"
        )
    return key


async def sign_approval(
    signer: Signer,
    *,
    key_arn: str,
    request_id: str,
    plan_hash: str,
    approver: str,
    now: datetime,
    valid_minutes: int = DEFAULT_VALID_MINUTES,
    required: int = 1,
) -> SignedApproval:
    """The approver's signed statement for this request and plan."""
    statement = ApprovalStatement(
        request_id=request_id,
        plan_hash=plan_hash,
        approver=approver,
        expires_at=now + timedelta(minutes=valid_minutes),
        approvals_required=required,
        key_arn=key_arn,
    )
    signature = await signer.sign(key_arn, signed_message(statement))
    return SignedApproval(statement=statement, signature=base64.b64encode(signature).decode())
