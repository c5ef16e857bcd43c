"""When the local endpoint refuses AssumeRole: the trust-policy rules of `sts_guard`."""

from __future__ import annotations

from typing import Any

import pytest

from drsorch.local.sts_guard import refusal

ROLE = "arn:aws:iam::210987654321:role/drsorch-spoke"
HUB = "123456789012"


def policy(principal: Any = None, external_id: Any = None, **statement: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{HUB}:root"} if principal is None else principal,
        "Action": "sts:AssumeRole",
        **statement,
    }
    if external_id is not None:
        body["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [body]}


def test_a_role_that_trusts_the_caller_is_granted() -> None:
    assert refusal(HUB, ROLE, policy(), None) is None
    assert refusal(HUB, ROLE, policy(external_id="ext-1"), "ext-1") is None
    assert refusal(HUB, ROLE, policy(external_id=["a", "ext-1"]), "ext-1") is None
    assert refusal(HUB, ROLE, policy(principal={"AWS": HUB}), None) is None
    assert refusal(HUB, ROLE, policy(principal="*"), None) is None
    assert refusal(HUB, ROLE, policy(Action=["sts:TagSession", "sts:AssumeRole"]), None) is None


@pytest.mark.parametrize(
    ("document", "external_id", "why"),
    [
        (None, None, "does not exist"),
        (policy(external_id="ext-1"), None, "does not let"),
        (policy(external_id="ext-1"), "ext-2", "does not let"),
        (policy(principal={"AWS": "arn:aws:iam::999999999999:root"}), None, "does not let"),
        (policy(principal={"Service": "ec2.amazonaws.com"}), None, "does not let"),
        (policy(Effect="Deny"), None, "does not let"),
        (policy(Action="sts:TagSession"), None, "does not let"),
    ],
)
def test_what_aws_would_refuse_is_refused(
    document: dict[str, Any] | None, external_id: str | None, why: str
) -> None:
    reason = refusal(HUB, ROLE, document, external_id)
    assert reason is not None and why in reason


def test_something_that_is_not_a_role_arn_is_refused() -> None:
    assert refusal(HUB, "arn:aws:iam::210987654321:user/someone", policy(), None) is not None
