"""The endpoint's cheap EC2 tag lookup and DynamoDB partition Query answer as moto's own code.

Over HTTP with real boto3: the answers of DescribeInstances and Query are compared with
what DescribeTags and Scan (moto's unpatched paths over the same state) say.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from drsorch.local.server import LocalEndpoint
from support.aws import client

pytestmark = pytest.mark.integration
REGION = "eu-west-3"


def test_the_patches_are_installed(endpoint: LocalEndpoint) -> None:
    from moto.dynamodb.models.table import Table  # noqa: PLC0415
    from moto.ec2.models.core import TaggedEC2Resource  # noqa: PLC0415

    assert getattr(TaggedEC2Resource.get_tags, "drsorch_fast", False)
    assert getattr(Table.query, "drsorch_fast", False)


def test_instances_carry_their_own_tags_and_tag_filters_still_select(
    endpoint: LocalEndpoint,
) -> None:
    ec2 = client("ec2", region_name=REGION)
    mark = uuid.uuid4().hex[:8]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ids = [
        ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[
                {
                    "ResourceType": "instance",
                    "Tags": [
                        {"Key": "Name", "Value": f"{mark}-{n}"},
                        {"Key": "mark", "Value": mark},
                        *([{"Key": "odd", "Value": "yes"}] if n % 2 else []),
                    ],
                }
            ],
        )["Instances"][0]["InstanceId"]
        for n in range(6)
    ]
    seen = {
        i["InstanceId"]: {t["Key"]: t["Value"] for t in i.get("Tags", [])}
        for r in ec2.describe_instances(Filters=[{"Name": "instance-id", "Values": ids}])[
            "Reservations"
        ]
        for i in r["Instances"]
    }
    listed = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": ids}])["Tags"]
    expected: dict[str, dict[str, str]] = {i: {} for i in ids}
    for tag in listed:
        expected[tag["ResourceId"]][tag["Key"]] = tag["Value"]
    assert seen == expected
    assert all(len(tags) >= 2 for tags in seen.values())
    odd = ec2.describe_instances(
        Filters=[{"Name": "tag:odd", "Values": ["yes"]}, {"Name": "tag:mark", "Values": [mark]}]
    )["Reservations"]
    assert sorted(i["InstanceId"] for r in odd for i in r["Instances"]) == sorted(ids[1::2])


def _all(call: Any, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = call(**params)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_a_query_reads_its_partition_as_a_scan_of_the_table_would(
    endpoint: LocalEndpoint,
) -> None:
    dynamodb = client("dynamodb", region_name=REGION)
    table = f"speed-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for p in range(4):
        for s in (9, 3, 12, 0, 7):
            dynamodb.put_item(
                TableName=table,
                Item={
                    "pk": {"S": f"p{p}"},
                    "sk": {"S": f"{'ab'[s % 2]}#{s:02d}"},
                    "g": {"S": f"g{s % 3}"},
                },
            )
    everything = _all(dynamodb.scan, TableName=table)
    for forward in (True, False):
        for prefix in ("", "a#", "b#"):
            condition = "pk = :pk" + (" AND begins_with(sk, :p)" if prefix else "")
            values = {":pk": {"S": "p2"}, **({":p": {"S": prefix}} if prefix else {})}
            got = _all(
                dynamodb.query,
                TableName=table,
                KeyConditionExpression=condition,
                ExpressionAttributeValues=values,
                ScanIndexForward=forward,
                Limit=2,
            )
            want = sorted(
                (i for i in everything if i["pk"]["S"] == "p2" and i["sk"]["S"].startswith(prefix)),
                key=lambda i: i["sk"]["S"],
                reverse=not forward,
            )
            assert got == want
    by_index = _all(
        dynamodb.query,
        TableName=table,
        IndexName="by-g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "g0"}},
    )
    assert len(by_index) == sum(1 for i in everything if i["g"]["S"] == "g0") == 16
    assert not _all(
        dynamodb.query,
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "nobody"}},
    )
