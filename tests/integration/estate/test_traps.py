"""Every trap an estate file lays, seeded in-process, then read back over HTTP with real boto3.

After seeding no boto3 call is needed to lay a trap: these tests only read, as drsorch would.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from drsorch.local.estate import SeedReport, parse_estate, seed_estate
from drsorch.local.server import LocalEndpoint
from integration.estate.test_seed import (
    HUB,
    PRIMARY,
    RECOVERY,
    SPOKE,
    Clients,
    instances,
    name_of,
    recovery_instances,
    source_servers,
)

pytestmark = pytest.mark.integration

TRAPS = """\
name: traps
phase: failed_over
reverse_replication: {state: CONTINUOUS}
accounts:
  - kind: hub
    instances:
      - {name: web-01, near: web-01, tags: {app: shop}}
      - {name: arm-box, architecture: arm64, state: running, allow_launch_into: false}
      - {name: dr-spare, region: recovery}
    servers:
      - {name: web-01, tags: {app: shop}, original: {state: terminated}}
      - {name: web-02, tags: {app: shop}, original: {exists: false}}
      - {name: web-03, tags: {app: shop}, lineage: {origin_account: "210987654321"}}
      - {name: web-04, tags: {app: shop}, lineage: {origin_account: "999999999999"}}
      - {name: web-05, tags: {app: shop}, lineage: {origin_region: us-east-2}}
      - name: web-06
        tags: {app: shop}
        reverse_replication: {duplicates: 1}
        expect: {must-not-launch: two FAILBACK servers replicate its recovery instance}
      - name: web-07
        tags: {app: shop}
        original: {architecture: arm64}
        expect: {must-not-launch: the original is arm64}
      - name: web-08
        tags: {app: shop}
        launch_configuration:
          launch_into: {server: web-09}
          failover_launch_into: {instance: dr-spare}
      - {name: web-09, tags: {app: shop}, recovery: {state: stopped}}
      - {name: web-10, tags: {app: shop}, faults: {land_in: {instance: arm-box}}}
      - {name: web-11, tags: {app: shop}, faults: {land_in: new}, expect: new-instance}
      - {name: web-12, tags: {app: shop}, reverse_replication: {earlier_landing: true}}
      - name: web-13
        tags: {app: shop}
        reverse_replication: {started: false, earlier_landing: true}
      - name: billing-01
        tags: {app: billing}
        original: {name: web-01}
        expect: {must-not-launch: out of the request's scope}
  - kind: spoke
    id: "210987654321"
    role_name: drsorch-spoke-access
    external_id: drsorch-hub-123456789012
"""


@pytest.fixture(scope="module")
def seeded(endpoint: LocalEndpoint) -> Iterator[SeedReport]:
    """The trap estate, seeded once for every test here (they only read)."""
    endpoint.reset()
    yield seed_estate(parse_estate(TRAPS))
    endpoint.reset()


@pytest.fixture
def aws(seeded: SeedReport) -> Clients:
    return Clients()


def ec2_instance(aws: Clients, instance_id: str, region: str, account: str = HUB) -> dict[str, Any]:
    [found] = instances(aws.ec2(region, account), **{"instance-id": [instance_id]})
    return found


def failover_server(aws: Clients, report: SeedReport, name: str) -> dict[str, Any]:
    wanted = report.server(name).source_server_id
    return next(s for s in source_servers(aws.drs(RECOVERY)) if s["sourceServerID"] == wanted)


def hint(server: dict[str, Any]) -> str:
    return str(server["sourceProperties"]["identificationHints"]["awsInstanceID"])


def test_a_terminated_original_is_terminated_in_ec2_and_still_named_by_drs(
    seeded: SeedReport, aws: Clients
) -> None:
    web = seeded.server("web-01")
    assert ec2_instance(aws, web.original_instance_id, PRIMARY)["State"]["Name"] == "terminated"
    assert hint(failover_server(aws, seeded, "web-01")) == web.original_instance_id
    assert (web.expect, web.expect_reason, web.expected_instance_id) == (
        "must-not-launch",
        "the original DRS records is terminated",
        None,
    )


def test_an_original_ec2_never_saw_is_a_well_formed_id_drs_names(
    seeded: SeedReport, aws: Clients
) -> None:
    web = seeded.server("web-02")
    assert web.original_instance_id.startswith("i-") and len(web.original_instance_id) == 19
    assert not web.original_exists
    assert instances(aws.ec2(PRIMARY), **{"instance-id": [web.original_instance_id]}) == []
    assert hint(failover_server(aws, seeded, "web-02")) == web.original_instance_id


def test_a_decoy_is_a_stopped_tagged_look_alike_beside_the_server(
    seeded: SeedReport, aws: Clients
) -> None:
    [decoy] = [i for i in seeded.server("web-01").instances if i.kind == "decoy"]
    found = ec2_instance(aws, decoy.instance_id, PRIMARY)
    assert (name_of(found), found["State"]["Name"]) == ("web-01", "stopped")
    tags = {tag["Key"]: tag["Value"] for tag in found["Tags"]}
    assert tags == {"Name": "web-01", "app": "shop", "AWSDRS": "AllowLaunchingIntoThisInstance"}
    assert {i.name for i in seeded.decoys} == {"web-01", "arm-box", "dr-spare"}
    spare = next(i for i in seeded.decoys if i.name == "dr-spare")
    assert ec2_instance(aws, spare.instance_id, RECOVERY)["State"]["Name"] == "stopped"


def test_lineage_in_another_account_or_region_is_recorded_and_created_where_it_can_be(
    seeded: SeedReport, aws: Clients
) -> None:
    in_spoke, outside, elsewhere = (seeded.server(f"web-0{i}") for i in (3, 4, 5))
    cloud = {
        name: failover_server(aws, seeded, name)["sourceCloudProperties"]
        for name in ("web-03", "web-04", "web-05")
    }
    assert (cloud["web-03"]["originAccountID"], cloud["web-03"]["originRegion"]) == (SPOKE, PRIMARY)
    assert ec2_instance(aws, in_spoke.original_instance_id, PRIMARY, SPOKE)["State"]["Name"] == (
        "stopped"
    )
    assert instances(aws.ec2(PRIMARY), **{"instance-id": [in_spoke.original_instance_id]}) == []
    assert cloud["web-04"]["originAccountID"] == "999999999999"
    assert not outside.original_exists
    assert (cloud["web-05"]["originAccountID"], cloud["web-05"]["originRegion"]) == (
        HUB,
        "us-east-2",
    )
    assert ec2_instance(aws, elsewhere.original_instance_id, "us-east-2")["State"]["Name"] == (
        "stopped"
    )
    # Reverse replication created its FAILBACK server in the origin region, as DRS does.
    failback = source_servers(aws.drs("us-east-2"))
    assert [s["sourceServerID"] for s in failback] == [elsewhere.failback_source_server_id]


def test_two_failback_servers_replicate_one_recovery_instance(
    seeded: SeedReport, aws: Clients
) -> None:
    web = seeded.server("web-06")
    assert len(web.failback_duplicate_ids) == 1
    replicating = [
        s
        for s in source_servers(aws.drs(PRIMARY))
        if s["replicationDirection"] == "FAILBACK" and hint(s) == web.recovery_ec2_instance_id
    ]
    assert sorted(s["sourceServerID"] for s in replicating) == sorted(
        [str(web.failback_source_server_id), *web.failback_duplicate_ids]
    )
    assert {s["dataReplicationInfo"]["dataReplicationState"] for s in replicating} == {"CONTINUOUS"}


def test_an_earlier_round_trip_s_landing_is_listed_launched_before_the_replication_began(
    seeded: SeedReport, aws: Clients
) -> None:
    """T10: DRS still lists an earlier failback's launch into the original, never retired;
    only DRS's own times tell it from this failback's landing."""
    drs = aws.drs(PRIMARY)
    listed = {s["sourceServerID"]: s for s in source_servers(drs)}
    records = {r["recoveryInstanceID"]: r for r in recovery_instances(drs)}
    for name, replicating in (("web-12", True), ("web-13", False)):
        web = seeded.server(name)
        failback = listed[str(web.earlier_failback_server_id)]
        landing = records[str(web.earlier_landing_id)]
        assert landing["sourceServerID"] == failback["sourceServerID"]
        assert landing["ec2InstanceID"] == web.original_instance_id
        [job] = drs.describe_jobs(filters={"jobIDs": [landing["jobID"]]})["items"]
        assert job["status"] == "COMPLETED"
        assert [p["launchStatus"] for p in job["participatingServers"]] == ["LAUNCHED"]
        began = failback["dataReplicationInfo"]["dataReplicationInitiation"]["startDateTime"]
        # Replicating now: the landing is older than this replication. Stopped: it was
        # launched from that earlier replication, which StopReplication left on record.
        assert (job["creationDateTime"] < began) is replicating, (name, began)
        state = failback["dataReplicationInfo"]["dataReplicationState"]
        assert (state == "CONTINUOUS") is replicating, (name, state)
    assert seeded.server("web-12").earlier_failback_server_id == (
        seeded.server("web-12").failback_source_server_id
    )


def test_reverse_replication_re_points_the_failback_server_an_earlier_round_trip_left(
    seeded: SeedReport, aws: Clients
) -> None:
    # Changes web-13 only, which no other test here reads.
    web = seeded.server("web-13")
    answer = aws.drs(RECOVERY).reverse_replication(recoveryInstanceID=str(web.recovery_instance_id))
    assert answer["reversedDirectionSourceServerArn"].endswith(str(web.earlier_failback_server_id))
    [server] = aws.drs(PRIMARY).describe_source_servers(
        filters={"sourceServerIDs": [str(web.earlier_failback_server_id)]}
    )["items"]
    assert hint(dict(server)) == web.recovery_ec2_instance_id
    began = server["dataReplicationInfo"]["dataReplicationInitiation"]["startDateTime"]
    landing = aws.drs(PRIMARY).describe_recovery_instances(
        filters={"recoveryInstanceIDs": [str(web.earlier_landing_id)]}
    )["items"]
    [job] = aws.drs(PRIMARY).describe_jobs(filters={"jobIDs": [landing[0]["jobID"]]})["items"]
    assert job["creationDateTime"] < began


def test_an_instance_architecture_can_differ_from_its_server(
    seeded: SeedReport, aws: Clients
) -> None:
    web = seeded.server("web-07")
    assert ec2_instance(aws, web.original_instance_id, PRIMARY)["Architecture"] == "arm64"
    assert failover_server(aws, seeded, "web-07")["sourceProperties"]["architecture"] == "x86_64"


def test_preset_launch_into_targets_are_in_the_launch_configurations(
    seeded: SeedReport, aws: Clients
) -> None:
    web, other = seeded.server("web-08"), seeded.server("web-09")
    spare = next(i for i in seeded.decoys if i.name == "dr-spare")
    failback = aws.drs(PRIMARY).get_launch_configuration(
        sourceServerID=str(web.failback_source_server_id)
    )
    failover = aws.drs(RECOVERY).get_launch_configuration(sourceServerID=web.source_server_id)
    assert (
        failback["launchIntoInstanceProperties"]["launchIntoEC2InstanceID"]
        == other.original_instance_id
    )
    assert failover["launchIntoInstanceProperties"]["launchIntoEC2InstanceID"] == spare.instance_id
    assert (web.preset_launch_into, web.preset_failover_launch_into) == (
        other.original_instance_id,
        spare.instance_id,
    )


def test_a_stopped_recovery_instance_reads_stopped_in_drs(seeded: SeedReport, aws: Clients) -> None:
    web = seeded.server("web-09")
    [record] = aws.drs(RECOVERY).describe_recovery_instances(
        filters={"recoveryInstanceIDs": [str(web.recovery_instance_id)]}
    )["items"]
    assert record["ec2InstanceState"] == "STOPPED"
    # Its agent is not seen, so the FAILBACK server replicating it stalls.
    [failback] = aws.drs(PRIMARY).describe_source_servers(
        filters={"sourceServerIDs": [str(web.failback_source_server_id)]}
    )["items"]
    assert failback["dataReplicationInfo"]["dataReplicationState"] == "STALLED"
    assert failback["dataReplicationInfo"]["dataReplicationError"]["error"] == "AGENT_NOT_SEEN"


def test_failover_servers_of_stopped_originals_read_stalled(
    seeded: SeedReport, aws: Clients
) -> None:
    replication = failover_server(aws, seeded, "web-08")["dataReplicationInfo"]
    assert replication["dataReplicationState"] == "STALLED"
    assert replication["dataReplicationError"]["error"] == "AGENT_NOT_SEEN"
    # An original EC2 never saw leaves the replication as seeded.
    unknown = failover_server(aws, seeded, "web-02")["dataReplicationInfo"]
    assert unknown["dataReplicationState"] == "CONTINUOUS"


def test_land_in_faults_name_their_instance_by_id_in_the_emulator(
    seeded: SeedReport, endpoint: LocalEndpoint
) -> None:
    with urllib.request.urlopen(f"{endpoint.url}/_drsorch/drs/settings", timeout=10) as answer:
        faults = json.loads(answer.read())["faults"]["servers"]
    arm_box = next(i for i in seeded.decoys if i.name == "arm-box")
    web_10, web_11 = seeded.server("web-10"), seeded.server("web-11")
    assert faults[str(web_10.failback_source_server_id)]["land_in"] == arm_box.instance_id
    assert faults[str(web_11.failback_source_server_id)]["land_in"] == "new"


def test_an_out_of_scope_namesake_has_an_original_named_like_an_in_scope_server(
    seeded: SeedReport, aws: Clients
) -> None:
    billing = seeded.server("billing-01")
    found = ec2_instance(aws, billing.original_instance_id, PRIMARY)
    assert name_of(found) == "web-01"
    assert failover_server(aws, seeded, "billing-01")["tags"]["app"] == "billing"


def test_the_report_gives_every_server_its_ground_truth_and_instances(
    seeded: SeedReport,
) -> None:
    expectations = {s.name: s.expect for s in seeded.servers}
    assert expectations == {
        **{f"web-{i:02d}": "must-not-launch" for i in range(1, 8)},
        "web-08": "land-in-original",
        "web-09": "land-in-original",
        "web-10": "land-in-original",
        "web-11": "new-instance",
        "web-12": "land-in-original",
        "web-13": "land-in-original",
        "billing-01": "must-not-launch",
    }
    web = seeded.server("web-08")
    assert web.expected_instance_id == web.original_instance_id
    kinds = {(i.kind, i.instance_id) for i in web.instances}
    assert kinds == {
        ("original", web.original_instance_id),
        ("recovery", str(web.recovery_ec2_instance_id)),
    }
    every = {i.instance_id for i in seeded.instances}
    assert {i.instance_id for s in seeded.servers for i in s.instances} <= every
    assert seeded.instance(web.original_instance_id) is not None
