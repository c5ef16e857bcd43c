"""DRS quotas and conflicts, answered as modelled (402 with quota codes, 409, 400)."""

from __future__ import annotations

import pytest
from mypy_boto3_drs.type_defs import StartRecoveryRequestSourceServerTypeDef

from drsorch.local.drs import seed
from integration.local_drs.drs_world import ACCOUNT, PRIMARY, RECOVERY, DrsWorld

pytestmark = pytest.mark.integration


def _servers(world: DrsWorld, count: int) -> list[str]:
    world.drs(RECOVERY).initialize_service()
    return [
        seed.add_source_server(
            ACCOUNT,
            RECOVERY,
            seed.SourceServerSeed(
                hostname=f"q-{n}",
                origin_instance_id=f"i-{n:017x}",
                origin_account_id=ACCOUNT,
                origin_region=PRIMARY,
                origin_availability_zone=f"{PRIMARY}a",
            ),
        )
        for n in range(count)
    ]


def _job(ids: list[str]) -> list[StartRecoveryRequestSourceServerTypeDef]:
    return [{"sourceServerID": server_id} for server_id in ids]


def test_more_than_100_servers_in_a_job_is_a_quota_error_and_more_than_200_a_validation_error(
    world: DrsWorld,
) -> None:
    drs = world.drs()
    ids = _servers(world, 201)
    with pytest.raises(drs.exceptions.ServiceQuotaExceededException) as quota:
        drs.start_recovery(sourceServers=_job(ids[:101]))
    response = quota.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 402
    assert (response["quotaCode"], response["serviceCode"]) == ("L-B827C881", "drs")  # type: ignore[typeddict-item]
    with pytest.raises(drs.exceptions.ValidationException) as invalid:
        drs.start_recovery(sourceServers=_job(ids))
    assert invalid.value.response["reason"] == "fieldValidationFailed"  # type: ignore[typeddict-item]
    assert invalid.value.response["fieldList"][0]["name"] == "sourceServers"  # type: ignore[typeddict-item]
    assert drs.start_recovery(sourceServers=_job(ids[:100]))["job"]["status"] == "PENDING"


def test_a_server_in_an_active_job_conflicts_until_the_job_completes(world: DrsWorld) -> None:
    drs = world.drs()
    ids = _servers(world, 2)
    job = drs.start_recovery(sourceServers=_job(ids), isDrill=True)["job"]
    with pytest.raises(drs.exceptions.ConflictException) as conflict:
        drs.start_recovery(sourceServers=_job(ids[1:]), isDrill=True)
    assert conflict.value.response["resourceId"] == ids[1]  # type: ignore[typeddict-item]
    assert conflict.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409

    world.finish_job(drs, job["jobID"])
    assert (
        drs.start_recovery(sourceServers=_job(ids[1:]), isDrill=True)["job"]["jobID"]
        != job["jobID"]
    )


def test_concurrent_jobs_and_servers_in_active_jobs_are_settable_quotas(world: DrsWorld) -> None:
    drs = world.drs()
    ids = _servers(world, 6)
    world.settings({"quotas": {"concurrent_jobs": 2, "servers_in_active_jobs": 3}})
    drs.start_recovery(sourceServers=_job(ids[0:1]), isDrill=True)
    drs.start_recovery(sourceServers=_job(ids[1:2]), isDrill=True)
    with pytest.raises(drs.exceptions.ServiceQuotaExceededException) as jobs:
        drs.start_recovery(sourceServers=_job(ids[2:3]), isDrill=True)
    assert jobs.value.response["quotaCode"] == "L-D88FAC3A"  # type: ignore[typeddict-item]

    world.settings({"quotas": {"concurrent_jobs": 20}})
    with pytest.raises(drs.exceptions.ServiceQuotaExceededException) as servers:
        drs.start_recovery(sourceServers=_job(ids[2:4]), isDrill=True)
    assert servers.value.response["quotaCode"] == "L-05AFA8C6"  # type: ignore[typeddict-item]
    assert (
        drs.start_recovery(sourceServers=_job(ids[2:3]), isDrill=True)["job"]["status"] == "PENDING"
    )
