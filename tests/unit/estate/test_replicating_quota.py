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
    plan = plan_estate(estate)
    return [i for a in plan.accounts for i in checks._replicating_quota(estate, a)]


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


def test_the_bundled_thousand_estate_declares_its_raised_quota() -> None:
    path = Path(__file__).parents[3] / "infra/local/estates/thousand.yaml"
    estate = Estate.model_validate(yaml.safe_load(path.read_text()))
    assert _quota_issues(estate) == []
