"""DRS moves a job on by itself: what falls due is applied when due, not at the next call."""

from __future__ import annotations

import pytest

from drsorch.local.drs import seed
from integration.local_drs.drs_world import (
    ACCOUNT,
    LAUNCH_INTO_TAG,
    PRIMARY,
    RECOVERY,
    DrsWorld,
    instance,
    run_instance,
)
from support.aws import wait_for

pytestmark = pytest.mark.integration


def test_a_launch_into_an_instance_shows_in_ec2_with_no_drs_call_after_start(
    world: DrsWorld,
) -> None:
    drs, ec2 = world.drs(), world.ec2()
    drs.initialize_service()
    target, _ = run_instance(
        ec2, name="app-1", tags={LAUNCH_INTO_TAG["Key"]: LAUNCH_INTO_TAG["Value"]}, stopped=True
    )
    volumes = instance(ec2, target)["BlockDeviceMappings"]
    server_id = seed.add_source_server(
        ACCOUNT,
        RECOVERY,
        seed.SourceServerSeed(
            hostname="app-1",
            origin_instance_id="i-0aaaaaaaaaaaaaaa1",
            origin_account_id=ACCOUNT,
            origin_region=PRIMARY,
            origin_availability_zone=f"{PRIMARY}a",
        ),
    )
    drs.update_launch_configuration(
        sourceServerID=server_id, launchIntoInstanceProperties={"launchIntoEC2InstanceID": target}
    )
    world.settings({"clock": {"scale": 3600}})  # an hour a second: the job's steps in a second
    drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=False)
    started = len(world.calls())

    # Only EC2 is asked (moto, which never moves DRS's clock) until the volumes are swapped.
    wait_for(lambda: instance(ec2, target)["BlockDeviceMappings"] != volumes, timeout=30)

    assert world.calls()[started:] == [], "no DRS call moved the job on"
    world.settings({"clock": {"scale": 0}})
    (job,) = drs.describe_jobs()["items"]
    assert job["status"] == "COMPLETED"
    assert job["participatingServers"][0]["launchStatus"] == "LAUNCHED"
