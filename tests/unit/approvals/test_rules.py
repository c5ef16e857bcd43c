"""The rules of an approval the services enforce, on the real check over a fake key.

Each rule has a case that an apply breaking it is refused with the reason, and the
signature is verified with the deployment's key, never with the key an approval names.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from drsorch.contracts import RequestSpec, SignedApproval
from drsorch.runtime.approvals import NO_KEY, ApprovalCheck
from support.approval_fakes import APPROVER, DEPLOYMENT_KEY, OTHER_KEY, SECOND, FakeKey
from support.monitor_builders import spec

NOW = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)
REQUEST = "req-approve-0001"
HASH, OTHER_HASH = "ab" * 32, "cd" * 32


def apply(*approvals: SignedApproval) -> RequestSpec:
    return spec(approved_plan_hash=HASH).model_copy(update={"approvals": approvals})


async def refusal(
    check: ApprovalCheck, request: RequestSpec, hashes: tuple[str, ...] = (HASH,)
) -> str | None:
    return await check.refusal(request, REQUEST, hashes, NOW)


@pytest.fixture
def key() -> FakeKey:
    return FakeKey()


@pytest.fixture
def check(key: FakeKey) -> ApprovalCheck:
    return ApprovalCheck(key, DEPLOYMENT_KEY)


async def test_a_valid_approval_of_the_launch_hash_passes(
    key: FakeKey, check: ApprovalCheck
) -> None:
    assert await refusal(check, apply(key.approve(REQUEST, HASH, now=NOW))) is None
    assert key.verified == [DEPLOYMENT_KEY]


async def test_a_plan_needs_no_approval(check: ApprovalCheck) -> None:
    assert await refusal(check, spec(plan_only=True)) is None


async def test_an_apply_without_approval_is_refused(check: ApprovalCheck) -> None:
    assert "no approval" in str(await refusal(check, spec(approved_plan_hash=HASH)))
    assert "no approval" in str(await refusal(check, spec()))


async def test_an_approval_of_another_hash_is_drift(key: FakeKey, check: ApprovalCheck) -> None:
    why = await refusal(check, apply(key.approve(REQUEST, OTHER_HASH, now=NOW)))
    assert why is not None and "plan drift" in why and HASH in why


async def test_every_hash_results_were_configured_under_must_be_the_approved_one(
    key: FakeKey, check: ApprovalCheck
) -> None:
    request = apply(key.approve(REQUEST, HASH, now=NOW))
    assert "plan drift" in str(await refusal(check, request, (HASH, OTHER_HASH)))


async def test_an_approval_of_another_request_is_refused(
    key: FakeKey, check: ApprovalCheck
) -> None:
    copied = key.approve("req-approve-0002", HASH, now=NOW)
    assert "for request req-approve-0002" in str(await refusal(check, apply(copied)))


async def test_an_expired_approval_is_refused(key: FakeKey, check: ApprovalCheck) -> None:
    old = key.approve(REQUEST, HASH, now=NOW - timedelta(hours=2))
    assert "expired" in str(await refusal(check, apply(old)))


async def test_an_approval_signed_with_another_key_is_refused(
    key: FakeKey, check: ApprovalCheck
) -> None:
    foreign = key.approve(REQUEST, HASH, now=NOW, key_arn=OTHER_KEY)
    why = str(await refusal(check, apply(foreign)))
    assert OTHER_KEY in why and "not this deployment's approvals key" in why
    assert key.verified == []


async def test_a_forged_signature_is_refused(key: FakeKey, check: ApprovalCheck) -> None:
    # Names the deployment's key, but was signed with another one.
    forged = key.approve(REQUEST, HASH, now=NOW, signed_with=OTHER_KEY)
    assert "forged or altered" in str(await refusal(check, apply(forged)))
    assert key.verified == [DEPLOYMENT_KEY]


async def test_an_altered_statement_no_longer_verifies(key: FakeKey, check: ApprovalCheck) -> None:
    signed = key.approve(REQUEST, OTHER_HASH, now=NOW)
    altered = signed.model_copy(
        update={"statement": signed.statement.model_copy(update={"plan_hash": HASH})}
    )
    assert "forged or altered" in str(await refusal(check, apply(altered)))


async def test_a_signature_that_is_not_base64_is_refused(
    key: FakeKey, check: ApprovalCheck
) -> None:
    signed = key.approve(REQUEST, HASH, now=NOW)
    garbled = signed.model_copy(update={"signature": "AAAA" + signed.signature[4:-4] + "A==="})
    assert "forged or altered" in str(await refusal(check, apply(garbled)))


async def test_one_approver_where_two_are_demanded_is_refused(
    key: FakeKey, check: ApprovalCheck
) -> None:
    first = key.approve(REQUEST, HASH, now=NOW, required=2)
    assert "needs 2 distinct approvers, has 1" in str(await refusal(check, apply(first)))
    # The same approver twice is still one identity.
    again = key.approve(REQUEST, HASH, now=NOW, required=2, expires_in=timedelta(minutes=30))
    assert "has 1" in str(await refusal(check, apply(first, again)))
    second = key.approve(REQUEST, HASH, now=NOW, approver=SECOND)
    assert await refusal(check, apply(first, second)) is None


async def test_the_deployment_minimum_holds_whatever_the_approvers_demand(key: FakeKey) -> None:
    strict = ApprovalCheck(key, DEPLOYMENT_KEY, minimum=2)
    one = key.approve(REQUEST, HASH, now=NOW)
    assert "needs 2" in str(await refusal(strict, apply(one)))
    two = key.approve(REQUEST, HASH, now=NOW, approver=SECOND)
    assert await refusal(strict, apply(one, two)) is None


async def test_a_deployment_without_an_approvals_key_applies_nothing(key: FakeKey) -> None:
    keyless = ApprovalCheck(key, None)
    assert await refusal(keyless, apply(key.approve(REQUEST, HASH, now=NOW))) == NO_KEY


async def test_a_verified_signature_is_asked_of_kms_once(
    key: FakeKey, check: ApprovalCheck
) -> None:
    request = apply(key.approve(REQUEST, HASH, now=NOW))
    for _ in range(3):
        assert await refusal(check, request) is None
    assert key.verified == [DEPLOYMENT_KEY]


def test_the_signature_is_base64_of_the_key_signature(key: FakeKey) -> None:
    from drsorch.contracts import signed_message  # noqa: PLC0415

    signed = key.approve(REQUEST, HASH, now=NOW, approver=APPROVER)
    raw = base64.b64decode(signed.signature)
    assert raw == key.sign(DEPLOYMENT_KEY, signed_message(signed.statement))
    assert signed_message(signed.statement).startswith(b"drsorch-approval-v1\n")
