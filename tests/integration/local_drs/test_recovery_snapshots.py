"""Points in time as DRS keeps them: DescribeRecoverySnapshots and StartRecovery's
`recoverySnapshotID` (drs-api-facts.md §2.6, §2.7; the DRS User Guide's point-in-time
retention: every 10 minutes for the last hour, hourly for a day, daily for 7 days).
"""

from __future__ import annotations

import pytest

from drsorch.local.drs import seed
from integration.local_drs.drs_world import ACCOUNT, PRIMARY, RECOVERY, DrsWorld, run_instance

pytestmark = pytest.mark.integration


def _protected(world: DrsWorld, state: str = "CONTINUOUS") -> str:
    original, private_ip = run_instance(world.ec2(PRIMARY), name="app-1")
    world.drs(RECOVERY).initialize_service()
    return seed.add_source_server(
        ACCOUNT,
        RECOVERY,
        seed.SourceServerSeed(
            hostname="app-1",
            origin_instance_id=original,
            origin_account_id=ACCOUNT,
            origin_region=PRIMARY,
            origin_availability_zone=f"{PRIMARY}a",
            private_ip=private_ip,
            replication_state=state,
        ),
    )


def test_a_protected_server_holds_thinned_points_in_time_newest_first_on_request(
    world: DrsWorld,
) -> None:
    server_id = _protected(world)
    drs = world.drs(RECOVERY)
    pages = drs.get_paginator("describe_recovery_snapshots").paginate(
        sourceServerID=server_id, order="DESC", PaginationConfig={"PageSize": 5}
    )
    items = [item for page in pages for item in page["items"]]
    stamps = [item["timestamp"] for item in items]
    assert stamps == sorted(stamps, reverse=True)
    # A day of history: 6 in the last hour, then one an hour for the rest of the day.
    assert 24 <= len(items) <= 30
    assert all(
        item["snapshotID"].startswith("pit-") and len(item["snapshotID"]) == 21 for item in items
    )
    assert {item["sourceServerID"] for item in items} == {server_id}
    again = drs.describe_recovery_snapshots(sourceServerID=server_id, order="DESC")["items"]
    assert [i["snapshotID"] for i in again] == [i["snapshotID"] for i in items]


def test_the_time_filter_picks_the_latest_point_before_a_time(world: DrsWorld) -> None:
    server_id = _protected(world)
    drs = world.drs(RECOVERY)
    every = drs.describe_recovery_snapshots(sourceServerID=server_id, order="ASC")["items"]
    middle = every[len(every) // 2]["timestamp"]
    latest = drs.describe_recovery_snapshots(
        sourceServerID=server_id, filters={"toDateTime": middle}, order="DESC", maxResults=1
    )["items"]
    assert latest[0]["timestamp"] == middle
    later = drs.describe_recovery_snapshots(
        sourceServerID=server_id, filters={"fromDateTime": middle}
    )["items"]
    assert all(item["timestamp"] >= middle for item in later)


def test_a_launch_from_a_chosen_snapshot_uses_that_point_in_time(world: DrsWorld) -> None:
    server_id = _protected(world)
    drs = world.drs(RECOVERY)
    chosen = drs.describe_recovery_snapshots(sourceServerID=server_id, order="ASC")["items"][2]
    job = drs.start_recovery(
        sourceServers=[{"sourceServerID": server_id, "recoverySnapshotID": chosen["snapshotID"]}],
        isDrill=True,
    )["job"]
    done = world.finish_job(drs, job["jobID"])
    events = [item["event"] for item in drs.describe_job_log_items(jobID=job["jobID"])["items"]]
    assert "USING_PREVIOUS_SNAPSHOT" in events and "SNAPSHOT_START" not in events
    instance_id = done["participatingServers"][0]["recoveryInstanceID"]
    instance = drs.describe_recovery_instances(filters={"recoveryInstanceIDs": [instance_id]})
    assert instance["items"][0]["pointInTimeSnapshotDateTime"] == chosen["timestamp"]
    assert instance["items"][0]["isDrill"] is True
    # EC2's LaunchTime is on DRS's clock, as on AWS: after StartRecovery, by the job's end.
    ec2_id = instance["items"][0]["ec2InstanceID"]
    found = world.ec2().describe_instances(InstanceIds=[ec2_id])["Reservations"][0]["Instances"]
    launched = found[0]["LaunchTime"].isoformat().replace("+00:00", "Z")
    assert done["creationDateTime"][:19] <= launched[:19] <= done["endDateTime"][:19]


def test_a_snapshot_not_of_the_server_is_refused_and_nothing_launches(world: DrsWorld) -> None:
    server_id = _protected(world)
    drs = world.drs(RECOVERY)
    with pytest.raises(drs.exceptions.ClientError) as raised:
        drs.start_recovery(
            sourceServers=[
                {"sourceServerID": server_id, "recoverySnapshotID": "pit-00000000000000000"}
            ]
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert drs.describe_jobs()["items"] == []


def test_stop_replication_deletes_the_points_in_time(world: DrsWorld) -> None:
    server_id = _protected(world)
    drs = world.drs(RECOVERY)
    assert drs.describe_recovery_snapshots(sourceServerID=server_id)["items"]
    drs.stop_replication(sourceServerID=server_id)
    assert drs.describe_recovery_snapshots(sourceServerID=server_id)["items"] == []


def test_a_server_still_in_initial_sync_has_none(world: DrsWorld) -> None:
    server_id = _protected(world, state="INITIAL_SYNC")
    drs = world.drs(RECOVERY)
    assert drs.describe_recovery_snapshots(sourceServerID=server_id)["items"] == []
