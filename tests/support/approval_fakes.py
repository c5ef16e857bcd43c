"""Hand-written fakes of the approvals ports: a signing key, and an already-approved port.

`FakeKey` signs and verifies as a KMS asymmetric key would, with an HMAC standing in
for ECDSA: only a signature made with the same key and over the same bytes verifies.
`ApprovedAlready` is for the unit tests whose subject is not approvals (the rules are
proven in tests/unit/approvals with the real `ApprovalCheck`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from drsorch.contracts import ApprovalStatement, RequestSpec, SignedApproval, signed_message

DEPLOYMENT_KEY = "arn:aws:kms:eu-west-2:111122223333:key/0a1b2c3d-0000-4000-8000-000000000001"
OTHER_KEY = "arn:aws:kms:eu-west-2:999988887777:key/0a1b2c3d-0000-4000-8000-000000000002"
APPROVER = "arn:aws:sts::111122223333:assumed-role/drsorch-approver/alice"
SECOND = "arn:aws:sts::111122223333:assumed-role/drsorch-approver/bob"


@dataclass
class FakeKey:
    """An asymmetric signing key by ARN; verifies only what it (or a key of that ARN) signed."""

    secrets: dict[str, bytes] = field(
        default_factory=lambda: {DEPLOYMENT_KEY: b"deployment", OTHER_KEY: b"elsewhere"}
    )
    verified: list[str] = field(default_factory=list)

    def sign(self, key_arn: str, message: bytes) -> bytes:
        return hmac.new(self.secrets[key_arn], message, hashlib.sha256).digest()

    async def verify(self, key_arn: str, message: bytes, signature: bytes) -> bool:
        self.verified.append(key_arn)
        return hmac.compare_digest(self.sign(key_arn, message), signature)

    def approve(
        self,
        request_id: str,
        plan_hash: str,
        *,
        now: datetime,
        approver: str = APPROVER,
        key_arn: str = DEPLOYMENT_KEY,
        signed_with: str | None = None,
        expires_in: timedelta = timedelta(hours=1),
        required: int = 1,
    ) -> SignedApproval:
        """An approval as `drsorch ... --approve` makes it (signed with `signed_with`, if given)."""
        statement = ApprovalStatement(
            request_id=request_id,
            plan_hash=plan_hash,
            approver=approver,
            expires_at=now + expires_in,
            approvals_required=required,
            key_arn=key_arn,
        )
        signature = self.sign(signed_with or key_arn, signed_message(statement))
        return SignedApproval(statement=statement, signature=base64.b64encode(signature).decode())


class ApprovedAlready:
    """The approvals port of a request whose approvals verified: refuses nothing."""

    async def refusal(
        self, spec: RequestSpec, request_id: str, plan_hashes: Iterable[str], started_at: datetime
    ) -> str | None:
        return None

    async def apply_refusal(
        self,
        approvals: tuple[SignedApproval, ...],
        request_id: str,
        plan_hashes: Iterable[str],
        started_at: datetime,
    ) -> str | None:
        return None
