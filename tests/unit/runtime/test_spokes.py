"""Spoke access from the deployment's configuration: the settings, and the partition."""

from __future__ import annotations

import pytest

from drsorch.runtime.accounts import Spoke, SpokeSettings, partition_of, role_arn


def test_every_listed_spoke_gets_the_default_role_unless_it_names_its_own() -> None:
    settings = SpokeSettings(
        role_name="drsorch-spoke",
        external_id="ext-1",
        accounts=" 210987654321 , 310987654321:dr-role, 410987654321:dr:x:with:colons",
    )
    directory = settings.directory()
    assert directory.get("210987654321") == Spoke("210987654321", "drsorch-spoke", "ext-1")
    assert directory.get("310987654321") == Spoke("310987654321", "dr-role", "ext-1")
    assert directory.get("410987654321") == Spoke("410987654321", "dr", "x:with:colons")
    assert directory.get("510987654321") is None
    assert "210987654321, 310987654321, 410987654321" in directory.refusal("510987654321")


def test_the_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRSORCH_SPOKE_ROLE_NAME", "drsorch-spoke-access")
    monkeypatch.setenv("DRSORCH_SPOKE_EXTERNAL_ID", "drsorch-hub-123456789012")
    monkeypatch.setenv("DRSORCH_SPOKE_ACCOUNTS", "210987654321")
    spoke = SpokeSettings().directory().get("210987654321")
    assert spoke == Spoke("210987654321", "drsorch-spoke-access", "drsorch-hub-123456789012")


def test_no_spoke_is_reachable_unless_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRSORCH_SPOKE_ACCOUNTS", raising=False)
    assert SpokeSettings().directory().spokes == {}


def test_a_malformed_account_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="not an account ID"):
        SpokeSettings(accounts="21098765432x").directory()


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", "aws"),
        ("eu-west-1", "aws"),
        ("us-gov-west-1", "aws-us-gov"),
        ("cn-north-1", "aws-cn"),
    ],
)
def test_the_role_arn_carries_the_partition_of_the_hub_region(region: str, partition: str) -> None:
    assert partition_of(region) == partition
    assert role_arn(region, "210987654321", "r") == f"arn:{partition}:iam::210987654321:role/r"
