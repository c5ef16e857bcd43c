"""The DRS replicating-servers quota per account and region, checked on the estate."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from drsorch.local.estate import checks
from drsorch.local.estate.models import Estate
from drsorch.local.estate.plan import plan_estate


def _estate(count: int, quota: int | None = None) -> Estate:
    data: dict[str, object] = {
        "name": "quota",
        "accounts": [
            {
                "kind": "hub",
                "name": "hub",
                "generators": [{"count": count, "name": "s-{index:04d}"}],
            }
        ],
    }
    if quota is not None:
        data["drs"] = {"quotas": {"replicating_servers": quota}}
    return Estate.model_validate(data)


def _quota_issues(estate: Estate) -> list[checks.Issue]:
    return list(checks._replicating_quota(plan_estate(estate)))


def _staged(count: int, staging: list[str], quota: int) -> Estate:
    return Estate.model_validate(
        {
            "name": "staged",
            "drs": {"quotas": {"replicating_servers": quota}},
            "accounts": [
                {
                    "kind": "hub",
                    "staging_accounts": staging,
                    "generators": [
                        {"count": count, "name": "s-{index:04d}", "staging_accounts": staging}
                    ],
                }
            ],
        }
    )


def test_above_the_default_quota_is_refused_naming_account_region_and_count() -> None:
    issues = _quota_issues(_estate(301))
    assert len(issues) == 1
    loc, message = issues[0]
    assert loc == ("accounts", 0)
    assert message.startswith(
        "account 123456789012 has 301 replicating source servers in us-west-2"
    )
    assert "drs.quotas.replicating_servers" in message


@pytest.mark.parametrize(("count", "quota"), [(300, None), (400, 400)])
def test_at_or_below_the_quota_passes(count: int, quota: int | None) -> None:
    assert _quota_issues(_estate(count, quota)) == []


def test_servers_spread_over_staging_accounts_count_in_each_staging_account() -> None:
    assert _quota_issues(_staged(60, ["111111111111", "222222222222", "333333333333"], 20)) == []
    issues = _quota_issues(_staged(61, ["111111111111", "222222222222", "333333333333"], 20))
    assert [message.split(",")[0] for _, message in issues] == [
        "account 111111111111 has 21 replicating source servers in us-west-2"
    ]
    assert "staging accounts" in issues[0][1]


def test_a_staging_account_the_server_s_account_does_not_declare_is_refused() -> None:
    estate = _staged(2, ["111111111111"], 300)
    account = estate.accounts[0].model_copy(update={"staging_accounts": []})
    plan = plan_estate(estate.model_copy(update={"accounts": [account]}))
    messages = [message for _, message in checks._staging(plan)]
    assert (
        messages == ["staging account 111111111111 is not in this account's staging_accounts"] * 2
    )


def test_the_bundled_thousand_estate_holds_within_the_real_quota() -> None:
    path = Path(__file__).parents[3] / "infra/local/estates/thousand.yaml"
    estate = Estate.model_validate(yaml.safe_load(path.read_text()))
    assert estate.drs.quotas.replicating_servers == 300
    assert _quota_issues(estate) == []
