"""The local endpoint refuses AssumeRole as AWS does: missing role, wrong ExternalId, dark spoke."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from drsorch.local.estate.moto_ec2 import create_role
from drsorch.local.server import LocalEndpoint
from support.aws import client
from support.discovery_estates import (
    DARK_SPOKE,
    HUB,
    SPOKE,
    SPOKE_EXTERNAL_ID,
    SPOKE_ROLE,
    THREE_ACCOUNTS,
    forget_estate,
    fresh,
)

pytestmark = pytest.mark.integration


def assume(account: str, role: str = SPOKE_ROLE, external_id: str | None = None) -> str:
    """The account the assumed credentials act in."""
    extra = {"ExternalId": external_id} if external_id else {}
    credentials = client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="x4disc", **extra
    )["Credentials"]
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    return str(session.client("sts", region_name="us-east-1").get_caller_identity()["Account"])


def refused(account: str, role: str = SPOKE_ROLE, external_id: str | None = None) -> ClientError:
    with pytest.raises(ClientError) as caught:
        assume(account, role, external_id)
    return caught.value


def test_a_missing_role_is_access_denied_with_403(endpoint: LocalEndpoint) -> None:
    forget_estate()
    error = refused("555566667777")
    assert error.response["Error"]["Code"] == "AccessDenied"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert f"arn:aws:iam::555566667777:role/{SPOKE_ROLE}" in error.response["Error"]["Message"]


def test_the_external_id_must_match_the_trust_policy(endpoint: LocalEndpoint) -> None:
    forget_estate()
    create_role("555566667777", "guarded", HUB, "the-right-one")
    assert refused("555566667777", "guarded").response["Error"]["Code"] == "AccessDenied"
    assert refused("555566667777", "guarded", "a-wrong-one").response["Error"]["Code"] == (
        "AccessDenied"
    )
    assert assume("555566667777", "guarded", "the-right-one") == "555566667777"


def test_an_estate_reaches_its_spokes_but_not_a_dark_or_undeclared_one(
    endpoint: LocalEndpoint,
) -> None:
    fresh(THREE_ACCOUNTS)
    assert assume(SPOKE, external_id=SPOKE_EXTERNAL_ID) == SPOKE
    assert refused(DARK_SPOKE, external_id=SPOKE_EXTERNAL_ID).response["Error"]["Code"] == (
        "AccessDenied"
    )
    assert refused("666677778888", external_id=SPOKE_EXTERNAL_ID).response["Error"]["Code"] == (
        "AccessDenied"
    )
