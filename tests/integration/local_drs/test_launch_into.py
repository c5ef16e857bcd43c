"""Launch-into-instance as DRS does it, and drills that never touch production instances."""

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
ALLOW = {LAUNCH_INTO_TAG["Key"]: LAUNCH_INTO_TAG["Value"]}


def _server(world: DrsWorld, hostname: str = "db-1", **extra: object) -> str:
    world.drs(RECOVERY).initialize_service()
    return seed.add_source_server(
        ACCOUNT,
        RECOVERY,
        seed.SourceServerSeed(
            hostname=hostname,
            origin_instance_id="i-0aaaaaaaaaaaaaaa1",
            origin_account_id=ACCOUNT,
            origin_region=PRIMARY,
            origin_availability_zone=f"{PRIMARY}a",
            tags={"Name": hostname, "dr:wave": "1"},
            **extra,  # type: ignore[arg-type]
        ),
    )


def _launch(
    world: DrsWorld, drs: DrsClient, server_id: str, *, drill: bool = False
) -> tuple[str, str]:
    job_id = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=drill)[
        "job"
    ]["jobID"]
    job = world.finish_job(drs, job_id)
    assert job["status"] == "COMPLETED"
    return job_id, job["participatingServers"][0]["launchStatus"]


def _raw_errors(world: DrsWorld, drs: DrsClient, job_id: str) -> list[str]:
    return [
        data["rawError"] for event, data in world.job_log(drs, job_id) if event == "LAUNCH_FAILED"
    ]


def test_launch_into_an_untagged_instance_fails_the_server_not_the_job(world: DrsWorld) -> None:
    # A running target is refused at StartRecovery itself (test_round_trip_fidelity, D2).
    reason = "AWSDRS=AllowLaunchingIntoThisInstance"
    drs, ec2 = world.drs(), world.ec2()
    target, _ = run_instance(ec2, name="db-1", tags={}, stopped=True)
    before = instance(ec2, target)
    server_id = _server(world)
    drs.update_launch_configuration(
        sourceServerID=server_id, launchIntoInstanceProperties={"launchIntoEC2InstanceID": target}
    )

    job_id, status = _launch(world, drs, server_id)

    assert status == "FAILED"
    errors = _raw_errors(world, drs, job_id)
    assert len(errors) == 1
    assert reason in errors[0]
    assert target in errors[0]
    assert drs.describe_source_servers()["items"][0]["lastLaunchResult"] == "FAILED"
    assert drs.describe_recovery_instances()["items"] == []
    after = instance(ec2, target)
    assert after["State"] == before["State"]
    assert after["BlockDeviceMappings"] == before["BlockDeviceMappings"]


def test_failover_into_a_pre_provisioned_stopped_instance_keeps_it_stopped_when_asked(
    world: DrsWorld,
) -> None:
    drs, ec2 = world.drs(), world.ec2()
    target, private_ip = run_instance(ec2, name="db-1", tags=ALLOW, stopped=True)
    server_id = _server(world)
    drs.update_launch_configuration(
        sourceServerID=server_id,
        launchDisposition="STOPPED",
        launchIntoInstanceProperties={"launchIntoEC2InstanceID": target},
    )

    job_id, status = _launch(world, drs, server_id)

    assert status == "LAUNCHED"
    events = [event for event, _ in world.job_log(drs, job_id)]
    assert events == [
        "JOB_START",
        "SNAPSHOT_START",
        "SNAPSHOT_END",
        "CONVERSION_START",
        "CONVERSION_END",
        "LAUNCH_START",
        "JOB_END",
    ]
    landed = drs.describe_recovery_instances()["items"][0]
    assert landed["ec2InstanceID"] == target
    assert landed["ec2InstanceState"] == "STOPPED"
    after = instance(ec2, target)
    assert (after["InstanceId"], after["PrivateIpAddress"], after["State"]["Name"]) == (
        target,
        private_ip,
        "stopped",
    )


def test_a_drill_launches_a_new_instance_and_leaves_the_launch_into_target_alone(
    world: DrsWorld,
) -> None:
    drs, ec2 = world.drs(), world.ec2()
    target, _ = run_instance(ec2, name="db-1", tags=ALLOW, stopped=True)
    before = instance(ec2, target)
    server_id = _server(world)
    drs.update_launch_configuration(
        sourceServerID=server_id, launchIntoInstanceProperties={"launchIntoEC2InstanceID": target}
    )

    _, status = _launch(world, drs, server_id, drill=True)

    assert status == "LAUNCHED"
    drill = drs.describe_recovery_instances()["items"][0]
    assert drill["isDrill"] is True
    assert drill["ec2InstanceID"] != target
    assert instance(ec2, target) == before
    tags = {t["Key"]: t["Value"] for t in instance(ec2, drill["ec2InstanceID"])["Tags"]}
    assert tags["AWSElasticDisasterRecoveryManaged"] == "drs.amazonaws.com"
    assert tags["AWSElasticDisasterRecoverySourceServerID"] == server_id


def test_a_new_launch_cleans_up_the_previous_recovery_instance(world: DrsWorld) -> None:
    drs, ec2 = world.drs(), world.ec2()
    server_id = _server(world)
    drs.update_launch_configuration(sourceServerID=server_id, copyTags=True)
    _launch(world, drs, server_id, drill=True)
    first = drs.describe_recovery_instances()["items"][0]["ec2InstanceID"]
    assert {t["Key"]: t["Value"] for t in instance(ec2, first)["Tags"]}["dr:wave"] == "1"

    job_id, status = _launch(world, drs, server_id)

    assert status == "LAUNCHED"
    events = [event for event, _ in world.job_log(drs, job_id)]
    assert events[:3] == ["JOB_START", "CLEANUP_START", "CLEANUP_END"]
    remaining = drs.describe_recovery_instances()["items"]
    assert len(remaining) == 1
    assert remaining[0]["isDrill"] is False
    assert remaining[0]["ec2InstanceID"] != first
    assert instance(ec2, first)["State"]["Name"] == "terminated"


def test_copy_private_ip_keeps_the_source_ip_or_fails_outside_the_subnet(world: DrsWorld) -> None:
    drs, ec2 = world.drs(), world.ec2()
    subnet = ec2.describe_subnets(
        Filters=[{"Name": "availability-zone", "Values": [f"{RECOVERY}a"]}]
    )["Subnets"][0]
    inside = subnet["CidrBlock"].rsplit(".", 2)[0] + ".3.33"
    good = _server(world, "web-1", private_ip=inside)
    bad = _server(world, "web-2", private_ip="10.99.0.5")
    for server_id in (good, bad):
        drs.update_launch_configuration(sourceServerID=server_id, copyPrivateIp=True)
    job = drs.start_recovery(sourceServers=[{"sourceServerID": good}, {"sourceServerID": bad}])[
        "job"
    ]

    done = world.finish_job(drs, job["jobID"])

    statuses = {s["sourceServerID"]: s["launchStatus"] for s in done["participatingServers"]}
    assert statuses == {good: "LAUNCHED", bad: "FAILED"}
    landed = drs.describe_recovery_instances()["items"][0]
    assert instance(ec2, landed["ec2InstanceID"])["PrivateIpAddress"] == inside
    assert any("10.99.0.5" in error for error in _raw_errors(world, drs, job["jobID"]))


def test_update_launch_configuration_validates_the_launch_into_target(world: DrsWorld) -> None:
    drs = world.drs()
    server_id = _server(world)
    arm, _ = run_instance(world.ec2(), name="arm", tags=ALLOW, stopped=True, arm=True)
    elsewhere, _ = run_instance(world.ec2(PRIMARY), name="far", tags=ALLOW, stopped=True)
    fine, _ = run_instance(world.ec2(), name="ok", tags=ALLOW, stopped=True)
    field = "launchIntoInstanceProperties.launchIntoEC2InstanceID"
    cases = [
        ({"launchIntoInstanceProperties": {"launchIntoEC2InstanceID": arm}}, "Architecture"),
        ({"launchIntoInstanceProperties": {"launchIntoEC2InstanceID": elsewhere}}, "not found"),
        (
            {
                "launchIntoInstanceProperties": {"launchIntoEC2InstanceID": fine},
                "copyPrivateIp": True,
            },
            "copyPrivateIp",
        ),
    ]
    for arguments, words in cases:
        with pytest.raises(drs.exceptions.ValidationException) as caught:
            drs.update_launch_configuration(sourceServerID=server_id, **arguments)  # type: ignore[arg-type]
        assert words in caught.value.response["Error"]["Message"]
        assert [f["name"] for f in caught.value.response["fieldList"]] == [field]  # type: ignore[typeddict-item]
    assert "launchIntoInstanceProperties" not in drs.get_launch_configuration(
        sourceServerID=server_id
    )
