"""The seed API: fast, deterministic, and seen over HTTP exactly as seeded."""

from __future__ import annotations

import time

import pytest

from drsorch.local.drs import seed
from drsorch.local.drs.emulator import default_emulator
from integration.local_drs.drs_world import ACCOUNT, PRIMARY, RECOVERY, DrsWorld, run_instance

pytestmark = pytest.mark.integration


def _seed_servers(count: int) -> list[str]:
    seed.initialize_service(ACCOUNT, RECOVERY)
    return [
        seed.add_source_server(
            ACCOUNT,
            RECOVERY,
            seed.SourceServerSeed(
                hostname=f"app-{n:04d}",
                origin_instance_id=f"i-{n + 1:017x}",
                origin_account_id=ACCOUNT,
                origin_region=PRIMARY,
                origin_availability_zone=f"{PRIMARY}{'abc'[n % 3]}",
                tags={"dr:wave": str(n % 5), "app": "estate"},
                disks=(
                    seed.DiskSeed("/dev/xvda", 8 * 2**30),
                    seed.DiskSeed("/dev/xvdb", 100 * 2**30),
                ),
            ),
        )
        for n in range(count)
    ]


def test_a_thousand_servers_seed_in_well_under_ten_seconds_with_repeatable_ids(
    world: DrsWorld,
) -> None:
    began = time.perf_counter()
    first = _seed_servers(1000)
    elapsed = time.perf_counter() - began
    assert elapsed < 5, f"seeding 1,000 servers took {elapsed:.1f}s"
    assert len(set(first)) == 1000

    default_emulator().reset()
    assert _seed_servers(3) == first[:3]
    pages = (
        world.drs()
        .get_paginator("describe_source_servers")
        .paginate(PaginationConfig={"PageSize": 1000})
    )
    assert [len(page["items"]) for page in pages] == [3]


def test_seeded_recovery_instances_and_reverse_replication_read_back_over_http(
    world: DrsWorld,
) -> None:
    server_id = _seed_servers(1)[0]
    ec2_id, _ = run_instance(world.ec2(RECOVERY), name="app-0000")
    recovery_id = seed.add_recovery_instance(ACCOUNT, RECOVERY, server_id, ec2_id)
    seed.set_launch_configuration_template(ACCOUNT, PRIMARY, launch_into_source_instance=True)
    failback_id = seed.start_reverse_replication(ACCOUNT, RECOVERY, recovery_id, lag_seconds=12)

    recovery = world.drs(RECOVERY).describe_recovery_instances()["items"][0]
    assert (recovery["recoveryInstanceID"], recovery["ec2InstanceID"]) == (recovery_id, ec2_id)
    assert recovery["failback"]["state"] == "FAILBACK_READY_FOR_LAUNCH"
    assert recovery["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS"
    back = world.drs(PRIMARY).describe_source_servers()["items"][0]
    assert back["sourceServerID"] == failback_id
    assert back["dataReplicationInfo"]["lagDuration"] == "PT12S"
    assert back["sourceProperties"]["identificationHints"]["awsInstanceID"] == ec2_id
    configuration = world.drs(PRIMARY).get_launch_configuration(sourceServerID=failback_id)
    assert configuration["launchIntoInstanceProperties"]["launchIntoEC2InstanceID"] == f"i-{1:017x}"
