"""Failover, reverse replication, then failback into the original stopped instance."""

from __future__ import annotations

import pytest
from mypy_boto3_drs import DrsClient

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


def _protected_server(world: DrsWorld) -> tuple[str, str, str]:
    """A1 running in the primary region, protected by B1 in the recovery region."""
    original, private_ip = run_instance(world.ec2(PRIMARY), name="app-1")
    world.drs(PRIMARY).initialize_service()
    world.drs(RECOVERY).initialize_service()
    server_id = seed.add_source_server(
        ACCOUNT,
        RECOVERY,
        seed.SourceServerSeed(
            hostname="app-1",
            origin_instance_id=original,
            origin_account_id=ACCOUNT,
            origin_region=PRIMARY,
            origin_availability_zone=f"{PRIMARY}a",
            private_ip=private_ip,
            tags={"dr:wave": "1"},
        ),
    )
    return original, private_ip, server_id


def _fail_over(world: DrsWorld, server_id: str) -> str:
    drs = world.drs(RECOVERY)
    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=False)["job"]
    done = world.finish_job(drs, job["jobID"])
    assert [s["launchStatus"] for s in done["participatingServers"]] == ["LAUNCHED"]
    return done["participatingServers"][0]["recoveryInstanceID"]


def _reverse(world: DrsWorld, recovery_instance_id: str) -> str:
    drs = world.drs(RECOVERY)
    with pytest.raises(drs.exceptions.ConflictException):  # still initializing
        drs.reverse_replication(recoveryInstanceID=recovery_instance_id)
    world.advance(300)
    arn = drs.reverse_replication(recoveryInstanceID=recovery_instance_id)[
        "reversedDirectionSourceServerArn"
    ]
    return arn.rsplit("/", 1)[-1]


def _wait_continuous(world: DrsWorld, drs: DrsClient, server_id: str) -> list[str]:
    states: list[str] = []
    for _ in range(100):
        server = drs.describe_source_servers(filters={"sourceServerIDs": [server_id]})["items"][0]
        state = server["dataReplicationInfo"]["dataReplicationState"]
        if not states or states[-1] != state:
            states.append(state)
        if state == "CONTINUOUS":
            return states
        world.advance(60)
    raise AssertionError(f"replication of {server_id} went {states}")


def test_failback_lands_in_the_original_instance_keeping_id_and_ip(world: DrsWorld) -> None:
    original, private_ip, forward_id = _protected_server(world)
    recovery_instance_id = _fail_over(world, forward_id)
    recovery = world.drs(RECOVERY).describe_recovery_instances()["items"][0]
    assert recovery["recoveryInstanceID"] == recovery_instance_id
    assert recovery["ec2InstanceID"] != original

    failback_id = _reverse(world, recovery_instance_id)
    primary = world.drs(PRIMARY)
    back = primary.describe_source_servers(filters={"sourceServerIDs": [failback_id]})["items"][0]
    forward = world.drs(RECOVERY).describe_source_servers()["items"][0]
    assert back["replicationDirection"] == "FAILBACK"
    assert (
        back["sourceProperties"]["identificationHints"]["awsInstanceID"]
        == recovery["ec2InstanceID"]
    )
    assert back["sourceCloudProperties"]["originRegion"] == RECOVERY
    assert back["reversedDirectionSourceServerArn"] == forward["arn"]
    assert forward["reversedDirectionSourceServerArn"] == back["arn"]
    assert _wait_continuous(world, primary, failback_id) == [
        "INITIATING",
        "INITIAL_SYNC",
        "CONTINUOUS",
    ]

    ec2 = world.ec2(PRIMARY)
    before = instance(ec2, original)
    ec2.stop_instances(InstanceIds=[original])
    ec2.create_tags(Resources=[original], Tags=[LAUNCH_INTO_TAG])
    primary.update_launch_configuration(
        sourceServerID=failback_id,
        launchIntoInstanceProperties={"launchIntoEC2InstanceID": original},
    )
    job = primary.start_recovery(sourceServers=[{"sourceServerID": failback_id}])["job"]
    done = world.finish_job(primary, job["jobID"])

    assert done["participatingServers"][0]["launchStatus"] == "LAUNCHED"
    landed = primary.describe_recovery_instances(filters={"sourceServerIDs": [failback_id]})[
        "items"
    ][0]
    assert landed["ec2InstanceID"] == original
    after = instance(ec2, original)
    assert after["PrivateIpAddress"] == private_ip
    assert after["State"]["Name"] == "running"
    assert (
        after["NetworkInterfaces"][0]["NetworkInterfaceId"]
        == before["NetworkInterfaces"][0]["NetworkInterfaceId"]
    )
    old_volumes = {m["Ebs"]["VolumeId"] for m in before["BlockDeviceMappings"]}
    new_volumes = {m["Ebs"]["VolumeId"] for m in after["BlockDeviceMappings"]}
    assert new_volumes and not new_volumes & old_volumes
    failed_over = world.drs(RECOVERY).describe_recovery_instances()["items"][0]
    assert failed_over["failback"]["state"] == "FAILBACK_COMPLETED"


def test_launch_into_source_instance_is_filled_in_when_the_reversed_server_is_created(
    world: DrsWorld,
) -> None:
    original, _, forward_id = _protected_server(world)
    world.ec2(PRIMARY).create_tags(Resources=[original], Tags=[LAUNCH_INTO_TAG])
    primary = world.drs(PRIMARY)
    template = primary.describe_launch_configuration_templates()["items"][0]
    primary.update_launch_configuration_template(
        launchConfigurationTemplateID=template["launchConfigurationTemplateID"],
        launchIntoSourceInstance=True,
    )
    failback_id = _reverse(world, _fail_over(world, forward_id))

    configuration = primary.get_launch_configuration(sourceServerID=failback_id)
    assert configuration["launchIntoInstanceProperties"]["launchIntoEC2InstanceID"] == original
    assert configuration["copyPrivateIp"] is False
    assert configuration["copyTags"] is False


def test_reverse_replication_of_a_drill_instance_is_refused_until_initialized_then_reused(
    world: DrsWorld,
) -> None:
    _, _, forward_id = _protected_server(world)
    first = _reverse(world, _fail_over(world, forward_id))
    primary = world.drs(PRIMARY)
    primary.stop_replication(sourceServerID=first)

    second_instance = _fail_over(world, forward_id)
    second = _reverse(world, second_instance)

    assert second == first  # the FAILBACK server is reused, re-pointed at the new instance
    server = primary.describe_source_servers(filters={"sourceServerIDs": [second]})["items"][0]
    assert server["dataReplicationInfo"]["dataReplicationState"] == "RESCAN"


def test_a_failback_drill_never_touches_the_original_instance(world: DrsWorld) -> None:
    original, _, forward_id = _protected_server(world)
    failback_id = _reverse(world, _fail_over(world, forward_id))
    primary, ec2 = world.drs(PRIMARY), world.ec2(PRIMARY)
    _wait_continuous(world, primary, failback_id)
    ec2.stop_instances(InstanceIds=[original])
    ec2.create_tags(Resources=[original], Tags=[LAUNCH_INTO_TAG])
    primary.update_launch_configuration(
        sourceServerID=failback_id,
        launchIntoInstanceProperties={"launchIntoEC2InstanceID": original},
    )
    before = instance(ec2, original)

    job = primary.start_recovery(sourceServers=[{"sourceServerID": failback_id}], isDrill=True)[
        "job"
    ]
    done = world.finish_job(primary, job["jobID"])

    assert done["participatingServers"][0]["launchStatus"] == "LAUNCHED"
    drill = primary.describe_recovery_instances()["items"][0]
    assert drill["isDrill"] is True
    assert drill["ec2InstanceID"] != original
    assert instance(ec2, original) == before
