"""Injected faults: throttling with Retry-After, internal errors, failed launches, stalls."""

from __future__ import annotations

import pytest
from botocore.config import Config

from drsorch.local.drs import seed
from integration.local_drs.drs_world import ACCOUNT, PRIMARY, RECOVERY, DrsWorld

pytestmark = pytest.mark.integration
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


def _server(world: DrsWorld, hostname: str) -> str:
    world.drs().initialize_service()
    return seed.add_source_server(
        ACCOUNT,
        RECOVERY,
        seed.SourceServerSeed(
            hostname=hostname,
            origin_instance_id="i-0bbbbbbbbbbbbbbb1",
            origin_account_id=ACCOUNT,
            origin_region=PRIMARY,
            origin_availability_zone=f"{PRIMARY}a",
        ),
    )


def test_throttling_answers_429_with_retry_after_and_botocore_retries_through_it(
    world: DrsWorld,
) -> None:
    _server(world, "t-1")
    fault = {"throttle_first": 1, "retry_after_seconds": 7}
    world.settings({"faults": {"operations": {"DescribeSourceServers": fault}}})
    bare = world.drs(config=NO_RETRIES)
    with pytest.raises(bare.exceptions.ThrottlingException) as throttled:
        bare.describe_source_servers()
    response = throttled.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "7"
    assert response["retryAfterSeconds"] == "7"  # type: ignore[typeddict-item]

    world.settings({"faults": {"operations": {"DescribeSourceServers": fault}}})  # re-arm
    retrying = world.drs(config=Config(retries={"mode": "standard", "total_max_attempts": 3}))
    answer = retrying.describe_source_servers()
    assert len(answer["items"]) == 1
    assert answer["ResponseMetadata"]["RetryAttempts"] == 1
    codes = [call["error_code"] for call in world.calls("DescribeSourceServers")]
    assert codes == ["ThrottlingException", "ThrottlingException", None]


def test_internal_errors_and_a_throttling_rate_can_be_switched_on_and_off(world: DrsWorld) -> None:
    _server(world, "t-2")
    drs = world.drs(config=NO_RETRIES)
    world.settings({"faults": {"operations": {"*": {"internal_error_first": 1}}}})
    with pytest.raises(drs.exceptions.InternalServerException):
        drs.describe_jobs()
    drs.describe_jobs()
    world.settings({"faults": {"operations": {"*": {"throttle_rate": 1.0}}}})
    with pytest.raises(drs.exceptions.ThrottlingException):
        drs.describe_jobs()
    world.admin("PUT", "/settings", {"clock": {"scale": 0}})
    assert drs.describe_jobs()["items"] == []


def test_an_injected_launch_failure_fails_that_server_with_its_reason(world: DrsWorld) -> None:
    drs = world.drs()
    broken, healthy = _server(world, "t-3"), _server(world, "t-4")
    reason = "Insufficient capacity in us-west-2a (injected)"
    world.settings({"faults": {"servers": {"t-3": {"launch_failure": reason}}}})
    job = drs.start_recovery(
        sourceServers=[{"sourceServerID": broken}, {"sourceServerID": healthy}]
    )["job"]

    done = world.finish_job(drs, job["jobID"])

    assert done["status"] == "COMPLETED"
    statuses = {s["sourceServerID"]: s["launchStatus"] for s in done["participatingServers"]}
    assert statuses == {broken: "FAILED", healthy: "LAUNCHED"}
    failures = [
        data for event, data in world.job_log(drs, job["jobID"]) if event == "LAUNCH_FAILED"
    ]
    assert failures == [{"sourceServerID": broken, "rawError": reason}]


def test_a_stalled_server_reads_stalled_with_growing_lag_until_the_fault_is_lifted(
    world: DrsWorld,
) -> None:
    drs = world.drs()
    _server(world, "t-5")
    world.settings({"faults": {"servers": {"t-5": {"stall_replication": True}}}})
    world.advance(90)
    info = drs.describe_source_servers()["items"][0]["dataReplicationInfo"]
    assert (info["dataReplicationState"], info["lagDuration"]) == ("STALLED", "PT1M30S")
    assert info["dataReplicationError"]["error"] == "AGENT_NOT_SEEN"

    world.admin("PUT", "/settings", {"clock": {"scale": 0}})
    info = drs.describe_source_servers()["items"][0]["dataReplicationInfo"]
    assert (info["dataReplicationState"], info["lagDuration"]) == ("CONTINUOUS", "PT0S")
