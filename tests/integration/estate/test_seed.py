"""Estates seeded in-process, then seen over HTTP by real boto3 clients, as drsorch sees them."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest
from botocore.config import Config
from mypy_boto3_drs import DrsClient
from mypy_boto3_ec2 import EC2Client

from drsorch.local.estate import SeededServer, estates_dir, load_estate, seed_estate
from drsorch.local.estate.__main__ import main
from drsorch.local.estate.plan import PlannedInstance, PlannedServer, plan_estate
from drsorch.local.server import LocalEndpoint

pytestmark = pytest.mark.integration

T = TypeVar("T")
HUB, SPOKE = "123456789012", "210987654321"
PRIMARY, RECOVERY = "us-east-1", "us-west-2"
FAST = Config(retries={"mode": "standard", "max_attempts": 2})
AWSDRS = {"Key": "AWSDRS", "Value": "AllowLaunchingIntoThisInstance"}


class Clients:
    """boto3 clients of the hub, and of spokes reached by AssumeRole as drsorch reaches them."""

    def __init__(self) -> None:
        self._sessions: dict[str, boto3.Session] = {}
        self._clients: dict[tuple[str, str, str], Any] = {}

    def session(self, account: str) -> boto3.Session:
        if account not in self._sessions:
            self._sessions[account] = boto3.Session() if account == HUB else _assume(account)
        return self._sessions[account]

    def _client(self, service: str, region: str, account: str) -> Any:
        key = (service, region, account)
        if key not in self._clients:
            session = self.session(account)
            self._clients[key] = session.client(service, region_name=region, config=FAST)  # type: ignore[call-overload]
        return self._clients[key]

    def ec2(self, region: str, account: str = HUB) -> EC2Client:
        client: EC2Client = self._client("ec2", region, account)
        return client

    def drs(self, region: str, account: str = HUB) -> DrsClient:
        client: DrsClient = self._client("drs", region, account)
        return client


def _assume(account: str) -> boto3.Session:
    sts = boto3.client("sts", config=FAST)
    credentials = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/drsorch-spoke-access",
        RoleSessionName="drsorch-test",
        ExternalId="drsorch-hub-123456789012",
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


@pytest.fixture
def aws(endpoint: LocalEndpoint) -> Iterator[Clients]:
    """Clients on an endpoint with no EC2, IAM, STS or DRS state, before and after the test.

    Make clients after seeding: a spoke's credentials come from AssumeRole.
    """
    endpoint.reset()
    yield Clients()
    endpoint.reset()


def instances(client: EC2Client, **filters: list[str]) -> list[dict[str, Any]]:
    """Instances matching filters, e.g. `instances(client, **{"tag:app": ["shop"]})`."""
    found: list[dict[str, Any]] = []
    pages = client.get_paginator("describe_instances").paginate(
        Filters=[{"Name": name, "Values": values} for name, values in filters.items()]
    )
    for page in pages:
        for reservation in page["Reservations"]:
            found += [dict(instance) for instance in reservation["Instances"]]
    return found


def name_of(instance: dict[str, Any]) -> str:
    return str(next(tag["Value"] for tag in instance.get("Tags", []) if tag["Key"] == "Name"))


def source_servers(client: DrsClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in client.get_paginator("describe_source_servers").paginate(filters={}):
        found += [dict(item) for item in page["items"]]
    return found


def recovery_instances(client: DrsClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in client.get_paginator("describe_recovery_instances").paginate(filters={}):
        found += [dict(item) for item in page["items"]]
    return found


def sample(items: Sequence[T]) -> list[T]:
    """The first, middle and last: enough to look at a big estate over HTTP quickly.

    (moto renders every instance it holds on each DescribeInstances: ~4 s for 2,000.)
    """
    return [items[i] for i in sorted({0, len(items) // 2, len(items) - 1})] if items else []


def planned_and_seeded(
    planned: Sequence[PlannedServer], seeded: dict[str, SeededServer], kind: str
) -> list[tuple[PlannedInstance, str]]:
    """(planned instance, its EC2 ID) of a sample of servers that have a `kind` instance.

    Originals only where they live in their own account's primary region (lineage can put
    them elsewhere, or nowhere).
    """
    id_field = {
        "original": "original_instance_id",
        "target": "target_instance_id",
        "recovery": "recovery_ec2_instance_id",
    }[kind]

    def wanted(server: PlannedServer) -> bool:
        if getattr(server, kind) is None:
            return False
        origin, own = server.origin, seeded[server.name].account_id
        return kind != "original" or (
            origin.created and (origin.account_id, origin.region) == (own, PRIMARY)
        )

    return [
        (getattr(server, kind), getattr(seeded[server.name], id_field))
        for server in sample([s for s in planned if wanted(s)])
    ]


@pytest.mark.parametrize("path", sorted(estates_dir().glob("*.yaml")), ids=lambda path: path.name)
def test_every_example_seeds_what_its_plan_says(aws: Clients, path: Path) -> None:
    estate = load_estate(path)
    plan = plan_estate(estate)
    report = seed_estate(estate)
    assert report.seconds < 60
    assert [s.name for s in report.servers] == [s.name for a in plan.accounts for s in a.servers]
    for account in plan.accounts:
        seeded = {s.name: s for s in report.servers if s.account_id == account.id}
        assert len(source_servers(aws.drs(RECOVERY, account.id))) == len(account.servers)
        failback = [
            1 + s.reverse.duplicates if s.reverse is not None else 1  # T10: the earlier one
            for s in account.servers
            if (s.reverse is not None or s.earlier_landing) and s.origin.region == PRIMARY
        ]
        assert len(source_servers(aws.drs(PRIMARY, account.id))) == sum(failback)
        for region, kind in ((PRIMARY, "original"), (RECOVERY, "target"), (RECOVERY, "recovery")):
            pairs = planned_and_seeded(account.servers, seeded, kind)
            if not pairs:
                continue
            names = sorted({instance.name for instance, _ in pairs})
            seen = instances(aws.ec2(region, account.id), **{"tag:Name": names})
            states = {i["InstanceId"]: i["State"]["Name"] for i in seen}
            assert {ec2_id: states.get(ec2_id) for _, ec2_id in pairs} == {
                ec2_id: instance.state for instance, ec2_id in pairs
            }


def test_the_small_estate_is_protected_with_clean_targets(aws: Clients) -> None:
    report = seed_estate(load_estate(estates_dir() / "small.yaml"))
    primary, recovery = aws.ec2(PRIMARY), aws.ec2(RECOVERY)
    originals = instances(primary, **{"tag:app": ["shop"]})
    assert sorted(name_of(i) for i in originals) == [
        "shop-app-01", "shop-app-02", "shop-cache-01", "shop-db-01", "shop-web-01", "shop-web-02",
    ]  # fmt: skip
    assert {i["State"]["Name"] for i in originals} == {"running"}
    [cache] = instances(primary, **{"tag:Name": ["shop-cache-01"]})
    assert (cache["Architecture"], cache["Placement"]["AvailabilityZone"]) == (
        "arm64",
        "us-east-1b",
    )
    wave_1 = instances(primary, **{"tag:dr:wave": ["1"]})
    assert sorted(name_of(i) for i in wave_1) == ["shop-cache-01", "shop-db-01"]
    targets = instances(recovery, **{"tag:AWSDRS": ["AllowLaunchingIntoThisInstance"]})
    assert len(targets) == 6
    assert {i["State"]["Name"] for i in targets} == {"stopped"}

    servers = {s["sourceServerID"]: s for s in source_servers(aws.drs(RECOVERY))}
    seeded = {s.name: s for s in report.servers}
    db = servers[seeded["shop-db-01"].source_server_id]
    hints = db["sourceProperties"]["identificationHints"]
    assert hints["awsInstanceID"] == seeded["shop-db-01"].original_instance_id
    assert hints["hostname"] == "shop-db-01"
    assert db["tags"] == {"Name": "shop-db-01", "app": "shop", "tier": "db", "dr:wave": "1"}
    assert db["replicationDirection"] == "FAILOVER"
    assert db["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS"
    assert db["sourceCloudProperties"]["originRegion"] == PRIMARY
    assert [d["deviceName"] for d in db["sourceProperties"]["disks"]] == ["/dev/xvda", "/dev/xvdb"]
    assert source_servers(aws.drs(PRIMARY)) == []
    assert report.counts[HUB, PRIMARY, "EC2 original instance"] == 6
    assert report.counts[HUB, RECOVERY, "EC2 target instance"] == 6
    assert report.counts[HUB, RECOVERY, "DRS source server (FAILOVER)"] == 6


def test_the_failed_over_estate_keeps_accounts_apart_and_lays_its_traps(aws: Clients) -> None:
    report = seed_estate(load_estate(estates_dir() / "two-account-failed-over.yaml"))
    seeded = {s.name: s for s in report.servers}
    hub_originals = instances(aws.ec2(PRIMARY), **{"tag:app": ["payments"]})
    assert len(hub_originals) == 8
    running = [name_of(i) for i in hub_originals if i["State"]["Name"] == "running"]
    assert running == ["payments-app-01"]
    untagged = [name_of(i) for i in hub_originals if AWSDRS not in i.get("Tags", [])]
    assert untagged == ["payments-app-02"]
    assert Counter(name_of(i) for i in hub_originals)["payments-web-01"] == 2
    assert " payments-batch-01 " in {name_of(i) for i in hub_originals}

    spoke_originals = instances(aws.ec2(PRIMARY, SPOKE), **{"tag:app": ["analytics"]})
    assert len(spoke_originals) == 15
    assert instances(aws.ec2(PRIMARY), **{"tag:app": ["analytics"]}) == []
    assert instances(aws.ec2(PRIMARY, SPOKE), **{"tag:app": ["payments"]}) == []
    launched = instances(aws.ec2(RECOVERY, SPOKE), **{"instance-state-name": ["running"]})
    assert len(launched) == 15

    for account, started in ((HUB, 7), (SPOKE, 15)):
        records = recovery_instances(aws.drs(RECOVERY, account))
        assert {r["ec2InstanceID"] for r in records} == {
            s.recovery_ec2_instance_id for s in report.servers if s.account_id == account
        }
        failback = source_servers(aws.drs(PRIMARY, account))
        assert len(failback) == started
        assert {s["replicationDirection"] for s in failback} == {"FAILBACK"}
    stalled = [
        s["sourceServerID"]
        for s in source_servers(aws.drs(PRIMARY, SPOKE))
        if s["dataReplicationInfo"]["dataReplicationState"] == "STALLED"
    ]
    assert stalled == [seeded["analytics-api-01"].failback_source_server_id]
    audit = seeded["payments-audit-01"]
    assert audit.recovery_instance_id is not None
    assert audit.failback_source_server_id is None
    assert report.counts[SPOKE, "global", "IAM role"] == 1
    iam = aws.session(SPOKE).client("iam", config=FAST)
    role = iam.get_role(RoleName="drsorch-spoke-access")["Role"]
    assert role["Arn"] == f"arn:aws:iam::{SPOKE}:role/drsorch-spoke-access"
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{HUB}:root"}
    assert statement["Condition"] == {
        "StringEquals": {"sts:ExternalId": "drsorch-hub-123456789012"}
    }


def test_the_seed_command_reports_what_it_made(
    aws: Clients, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed", str(estates_dir() / "small.yaml")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("estate 'small': 6 servers in ")
    assert "123456789012  us-west-2      DRS source server (FAILOVER)        6" in out
    assert len(source_servers(aws.drs(RECOVERY))) == 6


def test_a_seeded_estate_is_left_alone_by_collections_until_the_endpoint_resets(
    aws: Clients, endpoint: LocalEndpoint
) -> None:
    seed_estate(load_estate(estates_dir() / "small.yaml"))
    assert gc.get_freeze_count() > 0, "what seeding made is kept out of every collection"

    endpoint.reset()

    assert gc.get_freeze_count() == 0, "a forgotten estate is collected as usual again"
