"""An approval of an apply: what an approver signs with the deployment's approvals key.

The services launch nothing on a request's word: an apply carries signed approvals,
and the configurator and the monitor verify each signature with KMS against the
deployment's approvals key before any write. What is signed is `signed_message`: a
fixed prefix and the statement as canonical JSON, so the bytes are the same wherever
they are rebuilt.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from drsorch.contracts.envelope import RequestId
from drsorch.contracts.events.common import Record
from drsorch.contracts.types import PlanHash, Principal

MAX_APPROVERS = 5
SIGNATURE_PREFIX = b"drsorch-approval-v1\n"
SigningAlgorithm = Literal["ECDSA_SHA_256"]
KeyArn = Annotated[
    str, StringConstraints(pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
]
Signature = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9+/]+={0,2}$", min_length=8, max_length=1024)
]


class ApprovalStatement(Record):
    """What one approver vouches for: this plan, in this request, until then."""

    request_id: RequestId
    """The request the approval is for; a copy in another request is refused."""
    plan_hash: PlanHash
    """The configurator's hash of what the apply launches (`drsorch ... --plan`)."""
    approver: Principal
    """The approver as AWS knows them (`sts:GetCallerIdentity` ARN)."""
    expires_at: AwareDatetime
    """An apply that starts later is refused."""
    approvals_required: Annotated[int, Field(ge=1, le=MAX_APPROVERS)] = 1
    """Distinct approvers this approver demands before anything launches."""
    key_arn: KeyArn
    """The key the approver signed with (the services verify with their own)."""


class SignedApproval(Record):
    """A statement and its KMS signature (base64)."""

    statement: ApprovalStatement
    signature: Signature
    signing_algorithm: SigningAlgorithm = "ECDSA_SHA_256"


def signed_message(statement: ApprovalStatement) -> bytes:
    """The exact bytes an approver signs and the services verify."""
    body = json.dumps(
        statement.model_dump(mode="json"), sort_keys=True, separators=(",", ":")
    ).encode()
    return SIGNATURE_PREFIX + body
