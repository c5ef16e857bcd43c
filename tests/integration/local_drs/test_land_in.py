"""The land_in fault: a launch lands where the fault says, whatever the launch configuration says.

drsorch must prove where a server landed from DRS and EC2 facts; this is how a test makes
the emulator land it in the wrong place on purpose.
"""

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

pytestmark = pytest.mark.integration


def _server_launching_into(world: DrsWorld, hostname: str, target_id: str) -> str:
    world.drs().initialize_service()
    server_id = seed.add_source_server(
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
    world.drs().update_launch_configuration(
        sourceServerID=server_id,
        launchIntoInstanceProperties={"launchIntoEC2InstanceID": target_id},
    )
    return server_id


def _volumes(world: DrsWorld, instance_id: str) -> set[str]:
    mappings = instance(world.ec2(), instance_id).get("BlockDeviceMappings", [])
    return {m["Ebs"]["VolumeId"] for m in mappings}


def test_a_launch_lands_in_the_faulted_instance_not_the_configured_target(world: DrsWorld) -> None:
    ec2, drs = world.ec2(), world.drs()
    target, _ = run_instance(
        ec2, name="app-1", tags={"AWSDRS": LAUNCH_INTO_TAG["Value"]}, stopped=True
    )
    decoy, decoy_ip = run_instance(ec2, name="app-1")  # running, untagged: DRS would refuse it
    server_id = _server_launching_into(world, "app-1", target)
    target_volumes, decoy_volumes = _volumes(world, target), _volumes(world, decoy)
    world.settings({"faults": {"servers": {server_id: {"land_in": decoy}}}})

    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}])["job"]
    done = world.finish_job(drs, job["jobID"])

    assert [s["launchStatus"] for s in done["participatingServers"]] == ["LAUNCHED"]
    recovery = drs.describe_recovery_instances(filters={"sourceServerIDs": [server_id]})["items"]
    assert [r["ec2InstanceID"] for r in recovery] == [decoy]
    landed = instance(ec2, decoy)
    assert landed["PrivateIpAddress"] == decoy_ip
    assert _volumes(world, decoy).isdisjoint(decoy_volumes)  # its volumes were swapped
    assert _volumes(world, target) == target_volumes  # the configured target is untouched
    assert instance(ec2, target)["State"]["Name"] == "stopped"
    config = drs.get_launch_configuration(sourceServerID=server_id)
    assert config["launchIntoInstanceProperties"]["launchIntoEC2InstanceID"] == target
    starts = [data for event, data in world.job_log(drs, job["jobID"]) if event == "LAUNCH_START"]
    assert [data.get("targetInstanceID") for data in starts] == [target]


def test_land_in_new_launches_a_new_instance_whatever_the_launch_configuration(
    world: DrsWorld,
) -> None:
    ec2, drs = world.ec2(), world.drs()
    target, _ = run_instance(
        ec2, name="app-2", tags={"AWSDRS": LAUNCH_INTO_TAG["Value"]}, stopped=True
    )
    server_id = _server_launching_into(world, "app-2", target)
    target_volumes = _volumes(world, target)
    world.settings({"faults": {"servers": {"app-2": {"land_in": "new"}}}})

    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}])["job"]
    world.finish_job(drs, job["jobID"])

    recovery = drs.describe_recovery_instances(filters={"sourceServerIDs": [server_id]})["items"]
    landed = [r["ec2InstanceID"] for r in recovery]
    assert len(landed) == 1
    assert landed[0] != target
    assert instance(ec2, landed[0])["State"]["Name"] == "running"
    assert _volumes(world, target) == target_volumes


def test_land_in_an_instance_that_does_not_exist_fails_the_launch(world: DrsWorld) -> None:
    ec2, drs = world.ec2(), world.drs()
    target, _ = run_instance(
        ec2, name="app-3", tags={"AWSDRS": LAUNCH_INTO_TAG["Value"]}, stopped=True
    )
    server_id = _server_launching_into(world, "app-3", target)
    world.settings({"faults": {"servers": {server_id: {"land_in": "i-0123456789abcdef0"}}}})

    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}])["job"]
    done = world.finish_job(drs, job["jobID"])

    assert [s["launchStatus"] for s in done["participatingServers"]] == ["FAILED"]
    failures = [d for e, d in world.job_log(drs, job["jobID"]) if e == "LAUNCH_FAILED"]
    assert "i-0123456789abcdef0" in failures[0]["rawError"]
