"""Staging accounts over the wire: servers replicating in one account, extended into another.

Real boto3 against the local endpoint: CreateExtendedSourceServer, ListExtensibleSourceServers,
ListStagingAccounts (a GET with a query string), the `stagingAccountIDs` filter, and the
replicating-servers quota counted where a server replicates.
"""

from __future__ import annotations

import pytest

from drsorch.local.drs import seed
from integration.local_drs.drs_world import (
    ACCOUNT,
    OTHER_ACCOUNT,
    PRIMARY,
    RECOVERY,
    DrsWorld,
    instance,
    run_instance,
)

pytestmark = pytest.mark.integration

STAGING = OTHER_ACCOUNT
SECOND_STAGING = "333333333333"


def _staged(world: DrsWorld, account: str, count: int, *, state: str = "CONTINUOUS") -> list[str]:
    """`count` servers replicating in `account`, protecting originals of the target account."""
    ec2 = world.ec2(PRIMARY)
    ids = []
    for n in range(count):
        original, private_ip = run_instance(ec2, name=f"{account[-2:]}-app-{n}")
        ids.append(
            seed.add_source_server(
                account,
                RECOVERY,
                seed.SourceServerSeed(
                    hostname=f"{account[-2:]}-app-{n}",
                    origin_instance_id=original,
                    origin_account_id=ACCOUNT,
                    origin_region=PRIMARY,
                    origin_availability_zone=f"{PRIMARY}a",
                    private_ip=private_ip,
                    replication_state=state,
                ),
            )
        )
    return ids


def _arn(account: str, server_id: str) -> str:
    return f"arn:aws:drs:{RECOVERY}:{account}:source-server/{server_id}"


def test_a_staging_server_extended_into_the_target_account_is_recovered_there(
    world: DrsWorld,
) -> None:
    drs = world.drs(RECOVERY)
    drs.initialize_service()
    staged = _staged(world, STAGING, 3, state="INITIAL_SYNC")
    seed.trust_staging_account(ACCOUNT, STAGING)
    assert drs.list_staging_accounts()["accounts"] == []  # none extended yet

    pages = drs.get_paginator("list_extensible_source_servers").paginate(
        stagingAccountID=STAGING, PaginationConfig={"PageSize": 2}
    )
    extensible = [item["arn"] for page in pages for item in page["items"]]
    assert extensible == [_arn(STAGING, server_id) for server_id in staged]

    created = drs.create_extended_source_server(
        sourceServerArn=_arn(STAGING, staged[0]), tags={"dr:wave": "1"}
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    extended = created["sourceServer"]
    assert extended["arn"].split(":")[4] == ACCOUNT
    assert extended["stagingArea"] == {
        "status": "EXTENDED",
        "stagingAccountID": STAGING,
        "stagingSourceServerArn": _arn(STAGING, staged[0]),
    }
    assert extended["tags"] == {"dr:wave": "1"}
    listed = drs.list_extensible_source_servers(stagingAccountID=STAGING)["items"]
    assert [item["arn"] for item in listed] == extensible[1:]
    accounts = drs.get_paginator("list_staging_accounts").paginate()
    assert [a["accountID"] for page in accounts for a in page["accounts"]] == [STAGING]

    by_staging = drs.describe_source_servers(filters={"stagingAccountIDs": [STAGING]})["items"]
    assert [s["sourceServerID"] for s in by_staging] == [extended["sourceServerID"]]
    own = drs.describe_source_servers(filters={"stagingAccountIDs": [ACCOUNT]})["items"]
    assert own == []

    # The extended server's replication follows its staging server's.
    assert extended["dataReplicationInfo"]["dataReplicationState"] == "INITIAL_SYNC"
    world.advance(3600)
    described = drs.describe_source_servers(
        filters={"sourceServerIDs": [extended["sourceServerID"]]}
    )["items"][0]
    assert described["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS"

    job = drs.start_recovery(
        sourceServers=[{"sourceServerID": extended["sourceServerID"]}], isDrill=False
    )["job"]
    done = world.finish_job(drs, job["jobID"])
    assert [s["launchStatus"] for s in done["participatingServers"]] == ["LAUNCHED"]
    recovery = drs.describe_recovery_instances()["items"][0]
    assert recovery["sourceServerID"] == extended["sourceServerID"]
    assert recovery["arn"].split(":")[4] == ACCOUNT
    assert instance(world.ec2(RECOVERY), recovery["ec2InstanceID"])["State"]["Name"] == "running"


def test_an_untrusted_staging_account_is_refused_and_nothing_is_extended(
    world: DrsWorld,
) -> None:
    drs = world.drs(RECOVERY)
    drs.initialize_service()
    staged = _staged(world, STAGING, 1)
    with pytest.raises(drs.exceptions.AccessDeniedException) as listing:
        drs.list_extensible_source_servers(stagingAccountID=STAGING)
    assert STAGING in listing.value.response["Error"]["Message"]
    with pytest.raises(drs.exceptions.AccessDeniedException):
        drs.create_extended_source_server(sourceServerArn=_arn(STAGING, staged[0]))
    assert drs.describe_source_servers()["items"] == []

    seed.trust_staging_account(ACCOUNT, STAGING)
    drs.create_extended_source_server(sourceServerArn=_arn(STAGING, staged[0]))
    with pytest.raises(drs.exceptions.ValidationException, match="already extended"):
        drs.create_extended_source_server(sourceServerArn=_arn(STAGING, staged[0]))
    assert len(drs.describe_source_servers()["items"]) == 1


def test_the_replicating_quota_counts_a_server_where_it_replicates(world: DrsWorld) -> None:
    world.settings({"quotas": {"replicating_servers": 2}})
    drs = world.drs(RECOVERY)
    drs.initialize_service()
    own = _staged(world, ACCOUNT, 2)
    for staging in (STAGING, SECOND_STAGING):
        seed.trust_staging_account(ACCOUNT, staging)
        for server_id in _staged(world, staging, 2):
            drs.create_extended_source_server(sourceServerArn=_arn(staging, server_id))
    servers = drs.describe_source_servers()["items"]
    assert len(servers) == 6  # 2 own + 2 x 2 extended, each account at its quota of 2
    drs.stop_replication(sourceServerID=own[0])
    drs.start_replication(sourceServerID=own[0])  # back to 2 replicating in the account
    drs.stop_replication(sourceServerID=own[1])
    extra = _staged(world, ACCOUNT, 1)[0]  # seeded: the quota is not checked when seeding
    with pytest.raises(drs.exceptions.ServiceQuotaExceededException) as refused:
        drs.start_replication(sourceServerID=own[1])
    response = refused.value.response
    assert response["quotaCode"] == "L-C1D14A2B"  # type: ignore[typeddict-item]
    assert ACCOUNT in response["Error"]["Message"]
    assert RECOVERY in response["Error"]["Message"]
    extended = next(s for s in servers if s["stagingArea"]["status"] == "EXTENDED")
    with pytest.raises(drs.exceptions.ValidationException, match="staging account"):
        drs.stop_replication(sourceServerID=extended["sourceServerID"])
    assert extra in {s["sourceServerID"] for s in drs.describe_source_servers()["items"]}


def test_the_admin_count_of_replicating_servers_is_the_quota_s_own(world: DrsWorld) -> None:
    drs = world.drs(RECOVERY)
    drs.initialize_service()
    own = _staged(world, ACCOUNT, 3)
    seed.trust_staging_account(ACCOUNT, STAGING)
    for server_id in _staged(world, STAGING, 2):
        drs.create_extended_source_server(sourceServerArn=_arn(STAGING, server_id))
    drs.stop_replication(sourceServerID=own[0])

    def counts() -> dict[tuple[str, str], int]:
        places = world.admin("GET", "/replicating")["places"]
        return {(p["account"], p["region"]): p["replicating"] for p in places}

    # Extended servers replicate in their staging account, counted there only.
    assert counts() == {(ACCOUNT, RECOVERY): 2, (STAGING, RECOVERY): 2}
    world.settings({"quotas": {"replicating_servers": 2}})
    with pytest.raises(drs.exceptions.ServiceQuotaExceededException):
        drs.start_replication(sourceServerID=own[0])  # the quota sees the same 2
    drs.stop_replication(sourceServerID=own[1])
    assert counts()[(ACCOUNT, RECOVERY)] == 1


def test_a_deleted_staging_server_reads_extension_error(world: DrsWorld) -> None:
    drs = world.drs(RECOVERY)
    drs.initialize_service()
    staged = _staged(world, STAGING, 1)[0]
    seed.trust_staging_account(ACCOUNT, STAGING)
    extended = drs.create_extended_source_server(sourceServerArn=_arn(STAGING, staged))
    staging_drs = world.as_account(STAGING).drs(RECOVERY)
    staging_drs.stop_replication(sourceServerID=staged)
    staging_drs.disconnect_source_server(sourceServerID=staged)
    staging_drs.delete_source_server(sourceServerID=staged)
    area = drs.describe_source_servers(
        filters={"sourceServerIDs": [extended["sourceServer"]["sourceServerID"]]}
    )["items"][0]["stagingArea"]
    assert area["status"] == "EXTENSION_ERROR"
    assert staged in area["errorMessage"]


def test_reverse_replication_takes_a_slot_in_the_origin_region_and_is_refused_past_it(
    world: DrsWorld,
) -> None:
    """FAILBACK-direction servers replicate in the primary region of the account holding
    the recovery instance, an extended server's included, under that region's quota."""
    world.settings({"quotas": {"replicating_servers": 1}})
    drs = world.drs(RECOVERY)
    drs.initialize_service()
    world.drs(PRIMARY).initialize_service()
    seed.trust_staging_account(ACCOUNT, STAGING)
    extended = [
        drs.create_extended_source_server(sourceServerArn=_arn(STAGING, server_id))["sourceServer"][
            "sourceServerID"
        ]
        for server_id in _staged(world, STAGING, 2)
    ]
    job = drs.start_recovery(sourceServers=[{"sourceServerID": s} for s in extended])["job"]
    world.finish_job(drs, job["jobID"])
    world.advance(600)
    instances = {
        item["sourceServerID"]: item["recoveryInstanceID"]
        for item in drs.describe_recovery_instances()["items"]
    }
    first = drs.reverse_replication(recoveryInstanceID=instances[extended[0]])
    assert first["reversedDirectionSourceServerArn"].split(":")[3:5] == [PRIMARY, ACCOUNT]
    with pytest.raises(drs.exceptions.ServiceQuotaExceededException) as refused:
        drs.reverse_replication(recoveryInstanceID=instances[extended[1]])
    message = refused.value.response["Error"]["Message"]
    assert PRIMARY in message and ACCOUNT in message
    assert refused.value.response["quotaCode"] == "L-C1D14A2B"  # type: ignore[typeddict-item]

    # Its slot frees once the first FAILBACK server stops replicating.
    world.drs(PRIMARY).stop_replication(
        sourceServerID=first["reversedDirectionSourceServerArn"].rsplit("/", 1)[-1]
    )
    second = drs.reverse_replication(recoveryInstanceID=instances[extended[1]])
    assert second["reversedDirectionSourceServerArn"].split(":")[4] == ACCOUNT

    # Restarting the stopped one would make two: refused too, though the server exists.
    with pytest.raises(drs.exceptions.ServiceQuotaExceededException):
        drs.reverse_replication(recoveryInstanceID=instances[extended[0]])


def test_an_estate_seeds_a_disconnected_staging_server_as_extended_before_it_disconnected(
    world: DrsWorld,
) -> None:
    """The seed API lays an estate that ran a while: extended, then disconnected. The API
    itself does not offer a disconnected server for extension."""
    drs = world.drs(RECOVERY)
    drs.initialize_service()
    staged = _staged(world, STAGING, 1, state="DISCONNECTED")[0]
    seed.trust_staging_account(ACCOUNT, STAGING)
    assert drs.list_extensible_source_servers(stagingAccountID=STAGING)["items"] == []
    with pytest.raises(drs.exceptions.ValidationException, match="cannot be extended"):
        drs.create_extended_source_server(sourceServerArn=_arn(STAGING, staged))
    extended = seed.extend_source_server(ACCOUNT, RECOVERY, STAGING, staged)
    item = drs.describe_source_servers(filters={"sourceServerIDs": [extended]})["items"][0]
    assert item["dataReplicationInfo"]["dataReplicationState"] == "DISCONNECTED"
    assert item["stagingArea"]["status"] == "EXTENDED"


def test_a_drill_of_an_extended_server_launches_a_new_instance_in_the_target_account(
    world: DrsWorld,
) -> None:
    drs = world.drs(RECOVERY)
    drs.initialize_service()
    staged = _staged(world, STAGING, 1)[0]
    seed.trust_staging_account(ACCOUNT, STAGING)
    extended = drs.create_extended_source_server(sourceServerArn=_arn(STAGING, staged))
    server_id = extended["sourceServer"]["sourceServerID"]
    job = drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=True)["job"]
    done = world.finish_job(drs, job["jobID"])
    assert [s["launchStatus"] for s in done["participatingServers"]] == ["LAUNCHED"]
    [drill] = drs.describe_recovery_instances()["items"]
    assert drill["isDrill"] is True and drill["sourceServerID"] == server_id
    assert instance(world.ec2(RECOVERY), drill["ec2InstanceID"])["State"]["Name"] == "running"
    # The staging server's replication goes on: the drill touched nothing there.
    assert (
        drs.describe_source_servers(filters={"sourceServerIDs": [server_id]})["items"][0][
            "dataReplicationInfo"
        ]["dataReplicationState"]
        == "CONTINUOUS"
    )
