"""The monitor's DRS and EC2 adapters against the local endpoint's DRS emulator.

Real aiobotocore clients over HTTP; the emulator's clock is frozen and moved by hand.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

from drsorch.contracts import Accounts
from drsorch.contracts.types import Place
from drsorch.local.drs.emulator import default_emulator
from drsorch.local.estate import SeededServer
from drsorch.local.server import LocalEndpoint
from drsorch.monitor.adapters.cloud import NO_RETRIES, AwsCloud
from drsorch.monitor.errors import StartRefused, Throttled
from drsorch.runtime.accounts import AccountClients
from support.monitor_world import (
    calls,
    configure_launch_into,
    emulator_settings,
    private_ips,
    seed,
)

pytestmark = pytest.mark.integration

HUB = "123456789012"
HERE = Place(HUB, "us-east-1")
ESTATE = """
version: 1
name: x5moncloud
seed: 3
regions: {primary: us-east-1, recovery: us-west-2}
phase: failed_over
reverse_replication: {state: CONTINUOUS, lag_seconds: 12}
drs:
  seed: 3
  clock: {scale: 0}
  faults:
    servers:
      mon-bad-01: {launch_failure: "Insufficient capacity in us-east-1a"}
accounts:
  - kind: hub
    servers:
      - {name: mon-good-01, wave: 1}
      - {name: mon-bad-01, wave: 1}
      - {name: mon-spare-01, wave: 1}
"""


@pytest.fixture(scope="module")
def estate(endpoint: LocalEndpoint) -> dict[str, SeededServer]:
    endpoint.reset()
    servers = seed(ESTATE, "x5moncloud")
    configure_launch_into(servers.values())
    return servers


@pytest.fixture
async def aws(estate: dict[str, SeededServer]) -> AsyncIterator[AwsCloud]:
    config = AioConfig(retries={"mode": "standard", "total_max_attempts": 1})
    async with contextlib.AsyncExitStack() as stack:
        session = get_session()
        clients = AccountClients(session, stack, config)
        once = AccountClients(session, stack, config.merge(NO_RETRIES))
        yield AwsCloud(clients, once, Accounts(hub=HUB))


def _failback(estate: dict[str, SeededServer], name: str) -> str:
    server_id = estate[name].failback_source_server_id
    assert server_id is not None
    return server_id


async def test_a_launch_into_job_from_start_to_landing(
    aws: AwsCloud, estate: dict[str, SeededServer]
) -> None:
    drs = aws.drs(HERE)
    good, bad = _failback(estate, "mon-good-01"), _failback(estate, "mon-bad-01")
    before = timedelta(days=1)
    known = {job.job_id for job in await drs.recent_jobs(before)}

    started = await drs.start_recovery([good, bad], drill=False)

    assert started.status == "PENDING" and started.server_ids == {good, bad}
    [call] = [c for c in calls("StartRecovery") if c["region"] == "us-east-1"]
    assert "tags" not in call["arguments"], "tags passed to a launch-into StartRecovery"
    assert {job.job_id for job in await drs.recent_jobs(before)} - known == {started.job_id}
    default_emulator().advance(3600)
    [done] = await drs.jobs([started.job_id])
    assert done.status == "COMPLETED" and done.ended_at is not None
    statuses = {p.source_server_id: p.launch_status for p in done.participants}
    assert statuses == {good: "LAUNCHED", bad: "FAILED"}
    log = await drs.job_log(done.job_id)
    assert log.failures == {bad: "LAUNCH_FAILED: Insufficient capacity in us-east-1a"}
    assert log.launched_into[good] == estate["mon-good-01"].original_instance_id
    [landed] = await drs.recovery_instances([good])
    assert landed.ec2_instance_id == estate["mon-good-01"].original_instance_id
    assert landed.job_id == done.job_id
    original = estate["mon-good-01"].original_instance_id
    seen = await aws.ec2(HERE).instances([original, "i-0000000000000dead"])
    assert list(seen) == [original]
    assert seen[original].private_ip == private_ips([original])[original]
    assert aws.calls["StartRecovery"] == 1 and aws.calls["DescribeJobs"] == 3


async def test_replication_reads_state_and_lag(
    aws: AwsCloud, estate: dict[str, SeededServer]
) -> None:
    spare = _failback(estate, "mon-spare-01")
    seen = await aws.drs(HERE).replication([spare, "s-00000000000000000"])
    assert list(seen) == [spare]
    assert seen[spare].state == "CONTINUOUS"
    assert seen[spare].lag_seconds == 12


async def test_a_server_already_in_an_active_job_is_refused_without_a_job(
    aws: AwsCloud, estate: dict[str, SeededServer]
) -> None:
    drs = aws.drs(HERE)
    spare = _failback(estate, "mon-spare-01")
    first = await drs.start_recovery([spare], drill=False)
    with pytest.raises(StartRefused, match="ConflictException"):
        await drs.start_recovery([spare], drill=False)
    jobs = [j for j in await drs.recent_jobs(timedelta(days=1)) if spare in j.server_ids]
    assert [j.job_id for j in jobs if j.active] == [first.job_id]
    default_emulator().advance(3600)


async def test_throttling_past_the_client_retries_says_when_to_come_back(aws: AwsCloud) -> None:
    emulator_settings(
        {
            "faults": {
                "operations": {"DescribeJobs": {"throttle_first": 1, "retry_after_seconds": 7}}
            }
        }
    )
    try:
        with pytest.raises(Throttled) as caught:
            await aws.drs(HERE).jobs(["drsjob-00000000000000001"])
        assert caught.value.retry_after == 7
    finally:
        emulator_settings({"faults": {"operations": {}}})
