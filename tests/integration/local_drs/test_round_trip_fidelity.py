"""What the round trip depends on, as live DRS does it (drs-api-facts.md, appendix D1-D3).

D1: ReverseReplication refuses to create the FAILBACK server when launch into source
    instance is on and the original cannot be launched into.
D2: StartRecovery refuses a launch-into target that is running (ConflictException); a
    target stopped at the call and started before the launch still fails the launch.
D3: a server whose source machine is stopped goes STALLED / AGENT_NOT_SEEN, RESCAN once
    it runs again, then CONTINUOUS with every disk rescanned and no lag.
"""

from __future__ import annotations

from typing import Any

import pytest
from mypy_boto3_drs import DrsClient

from drsorch.local.drs import seed
from integration.local_drs.drs_world import (
    ACCOUNT,
    LAUNCH_INTO_TAG,
    PRIMARY,
    RECOVERY,
    DrsWorld,
    run_instance,
)

pytestmark = pytest.mark.integration


def _protected(world: DrsWorld, *, arm: bool = False, tagged: bool = True) -> tuple[str, str]:
    """An original running in the primary region and its FAILOVER server (x86_64)."""
    ec2 = world.ec2(PRIMARY)
    original, private_ip = run_instance(ec2, name="app-1", arm=arm)
    if tagged:
        ec2.create_tags(Resources=[original], Tags=[LAUNCH_INTO_TAG])
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
        ),
    )
    return original, server_id


def _failed_over(world: DrsWorld, server_id: str) -> str:
    """Fail the server over; returns its recovery instance, ready for ReverseReplication."""
    drs = world.drs(RECOVERY)
    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}])["job"]
    done = world.finish_job(drs, job["jobID"])
    world.advance(300)  # past the recovery instance's initialization
    return str(done["participatingServers"][0]["recoveryInstanceID"])


def _launch_into_source_instance(world: DrsWorld) -> None:
    primary = world.drs(PRIMARY)
    template = primary.describe_launch_configuration_templates()["items"][0]
    primary.update_launch_configuration_template(
        launchConfigurationTemplateID=template["launchConfigurationTemplateID"],
        launchIntoSourceInstance=True,
    )


def _replication(drs: DrsClient, server_id: str) -> dict[str, Any]:
    [server] = drs.describe_source_servers(filters={"sourceServerIDs": [server_id]})["items"]
    return dict(server["dataReplicationInfo"])


@pytest.mark.parametrize(
    ("why", "arm", "tagged", "terminate"),
    [
        ("is not tagged AWSDRS=AllowLaunchingIntoThisInstance", False, False, False),
        ("does not match the source server (Architecture: arm64", True, True, False),
        ("was not found", False, True, True),
    ],
    ids=["untagged", "architecture", "terminated"],
)
def test_d1_reverse_replication_refuses_an_original_it_could_not_launch_into(
    world: DrsWorld, why: str, *, arm: bool, tagged: bool, terminate: bool
) -> None:
    original, server_id = _protected(world, arm=arm, tagged=tagged)
    recovery_instance = _failed_over(world, server_id)
    _launch_into_source_instance(world)
    if terminate:
        world.ec2(PRIMARY).terminate_instances(InstanceIds=[original])
    drs = world.drs(RECOVERY)

    with pytest.raises(drs.exceptions.ValidationException) as refused:
        drs.reverse_replication(recoveryInstanceID=recovery_instance)

    message = refused.value.response["Error"]["Message"]
    assert why in message and original in message
    assert refused.value.response["reason"] == "other"  # type: ignore[typeddict-item]
    assert world.drs(PRIMARY).describe_source_servers()["items"] == []  # nothing was created


def test_d1_without_launch_into_source_instance_any_original_is_accepted(world: DrsWorld) -> None:
    _, server_id = _protected(world, tagged=False)
    recovery_instance = _failed_over(world, server_id)

    arn = world.drs(RECOVERY).reverse_replication(recoveryInstanceID=recovery_instance)

    failback_id = arn["reversedDirectionSourceServerArn"].rsplit("/", 1)[-1]
    assert [s["sourceServerID"] for s in world.drs(PRIMARY).describe_source_servers()["items"]] == [
        failback_id
    ]


def _server_launching_into(world: DrsWorld, *, stopped: bool) -> tuple[str, str]:
    ec2 = world.ec2(RECOVERY)
    target, _ = run_instance(
        ec2, name="app-2", tags={"AWSDRS": LAUNCH_INTO_TAG["Value"]}, stopped=stopped
    )
    world.drs(RECOVERY).initialize_service()
    server_id = seed.add_source_server(
        ACCOUNT,
        RECOVERY,
        seed.SourceServerSeed(
            hostname="app-2",
            origin_instance_id="i-0bbbbbbbbbbbbbbb2",
            origin_account_id=ACCOUNT,
            origin_region=PRIMARY,
            origin_availability_zone=f"{PRIMARY}a",
        ),
    )
    world.drs(RECOVERY).update_launch_configuration(
        sourceServerID=server_id,
        launchIntoInstanceProperties={"launchIntoEC2InstanceID": target},
    )
    return target, server_id


def test_d2_start_recovery_into_a_running_target_is_a_conflict(world: DrsWorld) -> None:
    target, server_id = _server_launching_into(world, stopped=False)
    drs = world.drs(RECOVERY)

    with pytest.raises(drs.exceptions.ConflictException) as refused:
        drs.start_recovery(sourceServers=[{"sourceServerID": server_id}])

    message = refused.value.response["Error"]["Message"]
    assert message == (
        f"EC2 instance {target} needs to be in a stopped state but is in a running state"
    )
    assert refused.value.response["resourceId"] == server_id  # type: ignore[typeddict-item]
    assert drs.describe_jobs()["items"] == []
    drill = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=True)
    assert drill["job"]["jobID"]  # a drill launches a new instance: the target is not used


def test_d2_a_target_started_after_the_call_still_fails_the_launch(world: DrsWorld) -> None:
    target, server_id = _server_launching_into(world, stopped=True)
    drs = world.drs(RECOVERY)
    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}])["job"]
    world.ec2(RECOVERY).start_instances(InstanceIds=[target])

    done = world.finish_job(drs, job["jobID"])

    assert [s["launchStatus"] for s in done["participatingServers"]] == ["FAILED"]
    failures = [d for e, d in world.job_log(drs, job["jobID"]) if e == "LAUNCH_FAILED"]
    assert "it must be stopped" in failures[0]["rawError"]


def test_d3_a_stopped_source_stalls_then_rescans_then_is_continuous(world: DrsWorld) -> None:
    original, server_id = _protected(world)
    drs, ec2 = world.drs(RECOVERY), world.ec2(PRIMARY)
    assert _replication(drs, server_id)["dataReplicationState"] == "CONTINUOUS"

    ec2.stop_instances(InstanceIds=[original])
    stalled = _replication(drs, server_id)
    world.advance(600)
    later = _replication(drs, server_id)

    assert stalled["dataReplicationState"] == "STALLED"
    assert stalled["dataReplicationError"]["error"] == "AGENT_NOT_SEEN"
    assert (stalled["lagDuration"], later["lagDuration"]) == ("PT0S", "PT10M")
    assert later["dataReplicationState"] == "STALLED"

    ec2.start_instances(InstanceIds=[original])
    rescanning = _replication(drs, server_id)
    assert rescanning["dataReplicationState"] == "RESCAN"
    assert "dataReplicationError" not in rescanning
    assert any(
        d["rescannedStorageBytes"] < d["totalStorageBytes"] for d in rescanning["replicatedDisks"]
    )

    states = [rescanning["dataReplicationState"]]
    for _ in range(20):  # bounded by timings.rescan (at most 300 simulated seconds)
        world.advance(60)
        info = _replication(drs, server_id)
        states.append(info["dataReplicationState"])
        if info["dataReplicationState"] == "CONTINUOUS":
            break
    assert states[-1] == "CONTINUOUS", states
    assert set(states) == {"RESCAN", "CONTINUOUS"}
    assert info["lagDuration"] == "PT0S"
    assert all(
        d["rescannedStorageBytes"] >= d["totalStorageBytes"] for d in info["replicatedDisks"]
    )


def test_d3_failback_then_re_protect_bring_the_same_failover_server_back_by_rescan(
    world: DrsWorld,
) -> None:
    original, server_id = _protected(world)
    recovery_instance = _failed_over(world, server_id)
    ec2, primary, drs = world.ec2(PRIMARY), world.drs(PRIMARY), world.drs(RECOVERY)
    ec2.stop_instances(InstanceIds=[original])
    assert _replication(drs, server_id)["dataReplicationState"] == "STALLED"
    arn = drs.reverse_replication(recoveryInstanceID=recovery_instance)
    failback_id = arn["reversedDirectionSourceServerArn"].rsplit("/", 1)[-1]
    for _ in range(40):
        if _replication(primary, failback_id)["dataReplicationState"] == "CONTINUOUS":
            break
        world.advance(60)
    primary.update_launch_configuration(
        sourceServerID=failback_id,
        launchIntoInstanceProperties={"launchIntoEC2InstanceID": original},
    )

    job = primary.start_recovery(sourceServers=[{"sourceServerID": failback_id}])["job"]
    done = world.finish_job(primary, job["jobID"])
    assert _replication(drs, server_id)["dataReplicationState"] == "RESCAN"

    # Re-protect: the same FAILOVER server, back to CONTINUOUS through RESCAN.
    world.advance(300)  # past the primary-side recovery instance's initialization
    landed = str(done["participatingServers"][0]["recoveryInstanceID"])
    again = primary.reverse_replication(recoveryInstanceID=landed)
    assert again["reversedDirectionSourceServerArn"].rsplit("/", 1)[-1] == server_id
    states = []
    for _ in range(20):
        info = _replication(drs, server_id)
        states.append(info["dataReplicationState"])
        if states[-1] == "CONTINUOUS":
            break
        world.advance(60)
    assert (states[0], states[-1]) == ("RESCAN", "CONTINUOUS"), states
    assert info["lagDuration"] == "PT0S"
    assert all(
        d["rescannedStorageBytes"] >= d["totalStorageBytes"] for d in info["replicatedDisks"]
    )


def _recovery_instance_ids(drs: DrsClient) -> list[str]:
    return [i["recoveryInstanceID"] for i in drs.describe_recovery_instances()["items"]]


def test_cleanup_after_re_protection_follows_drs_order_and_leaves_the_estate_at_rest(
    world: DrsWorld,
) -> None:
    """drs-api-facts.md 3.2, steps 5-6: what each cleanup call waits for, in DRS's order."""
    original, server_id = _protected(world)
    b2 = _failed_over(world, server_id)
    ec2, primary, drs = world.ec2(PRIMARY), world.drs(PRIMARY), world.drs(RECOVERY)
    [b3] = [i["ec2InstanceID"] for i in drs.describe_recovery_instances()["items"]]
    ec2.stop_instances(InstanceIds=[original])
    a2 = drs.reverse_replication(recoveryInstanceID=b2)["reversedDirectionSourceServerArn"]
    a2 = a2.rsplit("/", 1)[-1]
    for _ in range(40):
        if _replication(primary, a2)["dataReplicationState"] == "CONTINUOUS":
            break
        world.advance(60)
    primary.update_launch_configuration(
        sourceServerID=a2, launchIntoInstanceProperties={"launchIntoEC2InstanceID": original}
    )
    job = primary.start_recovery(sourceServers=[{"sourceServerID": a2}])["job"]
    a3 = str(
        world.finish_job(primary, job["jobID"])["participatingServers"][0]["recoveryInstanceID"]
    )
    world.advance(300)
    primary.reverse_replication(recoveryInstanceID=a3)  # re-protect: the same FAILOVER server

    # B2 cannot be terminated while failback replication runs; A2 has a recovery instance.
    with pytest.raises(drs.exceptions.ConflictException) as during:
        drs.terminate_recovery_instances(recoveryInstanceIDs=[b2])
    assert "cannot be terminated during failback" in during.value.response["Error"]["Message"]
    with pytest.raises(primary.exceptions.ConflictException):
        primary.disconnect_source_server(sourceServerID=a2)
    with pytest.raises(primary.exceptions.ConflictException):
        primary.delete_source_server(sourceServerID=a2)

    primary.stop_replication(sourceServerID=a2)
    drs.stop_failback(recoveryInstanceID=b2)
    terminate = drs.terminate_recovery_instances(recoveryInstanceIDs=[b2])["job"]
    done = world.finish_job(drs, terminate["jobID"])
    assert [s["launchStatus"] for s in done["participatingServers"]] == ["TERMINATED"]
    states = ec2_state(world, RECOVERY, b3), ec2_state(world, PRIMARY, original)
    assert states == ("terminated", "running")
    drs.delete_recovery_instance(recoveryInstanceID=b2)
    primary.delete_recovery_instance(recoveryInstanceID=a3)  # never terminated: it is A1
    primary.disconnect_source_server(sourceServerID=a2)
    primary.delete_source_server(sourceServerID=a2)

    for _ in range(20):
        info = _replication(drs, server_id)
        if info["dataReplicationState"] == "CONTINUOUS":
            break
        world.advance(60)
    assert (info["dataReplicationState"], info["lagDuration"]) == ("CONTINUOUS", "PT0S")
    assert primary.describe_source_servers()["items"] == []
    assert _recovery_instance_ids(drs) == _recovery_instance_ids(primary) == []
    assert ec2_state(world, PRIMARY, original) == "running"


def ec2_state(world: DrsWorld, region: str, instance_id: str) -> str:
    reservations = world.ec2(region).describe_instances(InstanceIds=[instance_id])
    return str(reservations["Reservations"][0]["Instances"][0]["State"]["Name"])
