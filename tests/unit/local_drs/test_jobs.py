"""Jobs on the simulated clock, against fake EC2: order, timing, drills, launch-into."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from drsorch.local.drs import seeding
from drsorch.local.drs.api import ApiCall, Reply, handle
from drsorch.local.drs.ec2_port import InstanceView
from drsorch.local.drs.emulator import Emulator
from drsorch.local.drs.seed import SourceServerSeed
from unit.local_drs.fakes import FakeEc2, HandClock, emulator

ACCOUNT, REGION = "111122223333", "eu-west-1"


def call(emu: Emulator, operation: str, **params: Any) -> Reply:
    return handle(emu, ApiCall(operation, ACCOUNT, REGION, params))


def server(emu: Emulator, hostname: str = "app", **extra: Any) -> str:
    seeding.initialize_service(emu, ACCOUNT, REGION)
    seed = SourceServerSeed(
        hostname, "i-0123456789abcdef0", ACCOUNT, "eu-central-1", "eu-central-1a", **extra
    )
    return seeding.add_server(emu, ACCOUNT, REGION, seed)


def start(emu: Emulator, server_id: str, *, drill: bool = False) -> str:
    reply = call(emu, "StartRecovery", sourceServers=[{"sourceServerID": server_id}], isDrill=drill)
    assert reply.status == 202, reply.body
    assert reply.body is not None
    job_id: str = reply.body["job"]["jobID"]
    return job_id


def job(emu: Emulator, job_id: str) -> dict[str, Any]:
    reply = call(emu, "DescribeJobs", filters={"jobIDs": [job_id]})
    assert reply.body is not None
    found: dict[str, Any] = reply.body["items"][0]
    return found


def log(emu: Emulator, job_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    body = call(emu, "DescribeJobLogItems", jobID=job_id).body
    assert body is not None
    return [(item["logDateTime"], item["event"], item["eventData"]) for item in body["items"]]


def test_a_launch_runs_its_steps_at_the_configured_times() -> None:
    emu = emulator()
    job_id = start(emu, server(emu))
    assert job(emu, job_id)["status"] == "PENDING"
    emu.advance(10)
    assert job(emu, job_id)["status"] == "STARTED"
    emu.advance(1000)

    assert [(stamp[11:19], event) for stamp, event, _ in log(emu, job_id)] == [
        ("00:00:10", "JOB_START"),
        ("00:00:10", "SNAPSHOT_START"),
        ("00:00:40", "SNAPSHOT_END"),
        ("00:00:40", "CONVERSION_START"),
        ("00:01:20", "CONVERSION_END"),
        ("00:01:20", "LAUNCH_START"),
        ("00:02:15", "JOB_END"),
    ]
    done = job(emu, job_id)
    assert (done["status"], done["endDateTime"]) == ("COMPLETED", "2025-01-01T00:02:15.000Z")
    assert done["participatingServers"][0]["launchStatus"] == "LAUNCHED"


def test_the_same_seed_gives_the_same_run() -> None:
    def run(seed: int) -> tuple[str, list[tuple[str, str, dict[str, Any]]]]:
        emu = emulator(seed=seed, timings={})  # default, randomized ranges
        job_id = start(emu, server(emu))
        emu.advance(3600)
        return job_id, log(emu, job_id)

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_fast_recovery_mode_skips_conversion_and_a_stalled_server_uses_a_previous_snapshot() -> (
    None
):
    emu = emulator(faults={"servers": {"app": {"stall_replication": True}}})
    server_id = server(emu)
    call(emu, "UpdateLaunchConfiguration", sourceServerID=server_id, recoveryMode="FAST")
    job_id = start(emu, server_id)
    emu.advance(1000)
    assert [event for _, event, _ in log(emu, job_id)] == [
        "JOB_START",
        "USING_PREVIOUS_SNAPSHOT",
        "LAUNCH_START",
        "JOB_END",
    ]


def test_a_server_still_in_initial_sync_fails_to_launch() -> None:
    emu = emulator()
    job_id = start(emu, server(emu, replication_state="INITIAL_SYNC"))
    emu.advance(60)
    failed = [data for _, event, data in log(emu, job_id) if event == "LAUNCH_FAILED"]
    assert "READY_FOR_TEST" in failed[0]["rawError"]
    assert job(emu, job_id)["participatingServers"][0]["launchStatus"] == "FAILED"


def _target(ec2: FakeEc2, *, state: str, tags: dict[str, str]) -> str:
    view = InstanceView(
        "i-00000000000000abc", state, "x86_64", "eu-west-1a", "subnet-1", "10.1.1.1", tags
    )
    ec2.add(ACCOUNT, REGION, view)
    return view.instance_id


@pytest.mark.parametrize("drill", [True, False])
def test_only_a_recovery_launches_into_the_target_a_drill_launches_new(drill: bool) -> None:
    ec2 = FakeEc2()
    emu = emulator(ec2)
    target = _target(ec2, state="stopped", tags={"AWSDRS": "AllowLaunchingIntoThisInstance"})
    server_id = server(emu)
    reply = call(
        emu,
        "UpdateLaunchConfiguration",
        sourceServerID=server_id,
        launchIntoInstanceProperties={"launchIntoEC2InstanceID": target},
    )
    assert reply.status == 200, reply.body
    start(emu, server_id, drill=drill)
    emu.advance(1000)
    kinds = [kind for kind, _ in ec2.calls]
    assert kinds == (["launch"] if drill else ["launch_into"])


def test_terminate_ends_the_instance_and_the_record_disappears_later() -> None:
    ec2 = FakeEc2()
    emu = emulator(ec2)
    server_id = server(emu)
    start(emu, server_id)
    emu.advance(1000)
    instances = call(emu, "DescribeRecoveryInstances").body
    assert instances is not None
    recovery_id = instances["items"][0]["recoveryInstanceID"]
    reply = call(emu, "TerminateRecoveryInstances", recoveryInstanceIDs=[recovery_id])
    assert reply.body is not None
    assert reply.body["job"]["type"] == "TERMINATE"
    emu.advance(100)
    seen = call(emu, "DescribeRecoveryInstances").body
    assert seen is not None
    assert seen["items"][0]["ec2InstanceState"] == "TERMINATED"
    assert ("terminate", instances["items"][0]["ec2InstanceID"]) in ec2.calls
    emu.advance(300)
    gone = call(emu, "DescribeRecoveryInstances").body
    assert gone == {"items": []}


def test_failback_then_re_protection_reuses_the_forward_server() -> None:
    ec2 = FakeEc2()
    emu = emulator(ec2)
    origin = InstanceView(
        "i-0000000000000a001", "running", "x86_64", "eu-central-1a", "subnet-9", "10.9.9.9", {}
    )
    ec2.add(ACCOUNT, "eu-central-1", origin)
    seeding.initialize_service(emu, ACCOUNT, "eu-central-1")
    forward = server(emu)  # replicates eu-central-1 -> eu-west-1 (REGION)

    def recover(region: str, server_id: str) -> str:
        reply = handle(
            emu,
            ApiCall(
                "StartRecovery", ACCOUNT, region, {"sourceServers": [{"sourceServerID": server_id}]}
            ),
        )
        assert reply.body is not None, reply
        emu.advance(1000)
        done = handle(emu, ApiCall("DescribeJobs", ACCOUNT, region, {})).body
        assert done is not None
        slot = done["items"][0]["participatingServers"][0]
        assert slot["launchStatus"] == "LAUNCHED"
        return str(slot["recoveryInstanceID"])

    def reverse(region: str, recovery_id: str) -> str:
        reply = handle(
            emu, ApiCall("ReverseReplication", ACCOUNT, region, {"recoveryInstanceID": recovery_id})
        )
        assert reply.status == 200, reply.body
        assert reply.body is not None
        emu.advance(1000)
        return str(reply.body["reversedDirectionSourceServerArn"]).rsplit("/", 1)[-1]

    stopped = replace(origin, state="stopped", tags={"AWSDRS": "AllowLaunchingIntoThisInstance"})
    ec2.add(ACCOUNT, "eu-central-1", stopped)
    failback = reverse(REGION, recover(REGION, forward))
    handle(
        emu,
        ApiCall(
            "UpdateLaunchConfiguration",
            ACCOUNT,
            "eu-central-1",
            {
                "sourceServerID": failback,
                "launchIntoInstanceProperties": {"launchIntoEC2InstanceID": origin.instance_id},
            },
        ),
    )
    failed_back = recover("eu-central-1", failback)

    assert reverse("eu-central-1", failed_back) == forward
    servers = handle(emu, ApiCall("DescribeSourceServers", ACCOUNT, REGION, {})).body
    assert servers is not None
    hints = servers["items"][0]["sourceProperties"]["identificationHints"]
    assert hints["awsInstanceID"] == origin.instance_id
    assert servers["items"][0]["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS"


def test_the_clock_scale_moves_jobs_with_real_time_and_admin_advances_add_to_it() -> None:
    real = HandClock()
    emu = emulator(real=real, clock={"scale": 60, "start": "2025-01-01T00:00:00Z"})
    job_id = start(emu, server(emu))
    real.now += 2  # two real seconds: 120 simulated, the job is launching
    assert job(emu, job_id)["status"] == "STARTED"
    emu.advance(15)
    assert job(emu, job_id)["status"] == "COMPLETED"
    assert job(emu, job_id)["endDateTime"] == "2025-01-01T00:02:15.000Z"
