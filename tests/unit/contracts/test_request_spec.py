"""What a request means once its defaults are filled in."""

from __future__ import annotations

import pytest

from drsorch.contracts import RequestOptions
from unit.contracts.samples import PRIMARY, RECOVERY, spec


@pytest.mark.parametrize(
    ("operation", "drill", "explicit", "effective"),
    [
        ("failback", False, None, "required"),
        ("failover", False, None, "preferred"),
        ("failback", True, None, "never"),
        ("failover", True, None, "never"),
        ("failback", False, "preferred", "preferred"),
        ("failover", False, "never", "never"),
        ("failover", True, "never", "never"),
    ],
)
def test_the_effective_launch_into_mode_defaults_by_operation(
    operation: str, drill: bool, explicit: str | None, effective: str
) -> None:
    request = spec(operation, drill=drill, launch_into=explicit)
    assert request.effective_launch_into() == effective


def test_failback_launches_in_the_primary_region_and_failover_in_the_recovery_region() -> None:
    assert spec("failback").launch_region == PRIMARY
    assert spec("failover").launch_region == RECOVERY


def test_options_default_to_drs_quotas_and_the_documented_timeouts() -> None:
    options = RequestOptions()
    assert options.batch_size == 100
    assert options.max_replication_lag_seconds == 60
    assert options.job_timeout_seconds == 7200
    assert options.wave_success_ratio is None
    assert options.tag_lineage_targets is False


@pytest.mark.parametrize("size", [0, 101])
def test_batch_size_stays_within_one_drs_job(size: int) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        RequestOptions(batch_size=size)
