"""The ARNs the local endpoint asks moto's IAM evaluation about for a DRS call."""

from __future__ import annotations

import json

from drsorch.local.iam_enforce import ANY, drs_resources, partition, transaction_checks

ACCOUNT, REGION = "123456789012", "us-west-2"
PREFIX = f"arn:aws:drs:{REGION}:{ACCOUNT}"


def test_a_launch_is_authorized_on_every_source_server_it_names() -> None:
    params = {"sourceServers": [{"sourceServerID": "s-1"}, {"sourceServerID": "s-2"}]}
    assert drs_resources("StartRecovery", params, ACCOUNT, REGION) == [
        f"{PREFIX}:source-server/s-1",
        f"{PREFIX}:source-server/s-2",
    ]


def test_one_server_recovery_instance_or_job_is_its_own_arn() -> None:
    assert drs_resources(
        "UpdateLaunchConfiguration", {"sourceServerID": "s-9"}, ACCOUNT, REGION
    ) == [f"{PREFIX}:source-server/s-9"]
    assert drs_resources("ReverseReplication", {"recoveryInstanceID": "i-1"}, ACCOUNT, REGION) == [
        f"{PREFIX}:recovery-instance/i-1"
    ]
    assert drs_resources("DescribeJobLogItems", {"jobID": "drsjob-1"}, ACCOUNT, REGION) == [
        f"{PREFIX}:job/drsjob-1"
    ]


def test_the_operations_that_list_are_authorized_on_any_resource() -> None:
    assert drs_resources("DescribeSourceServers", {"filters": {}}, ACCOUNT, REGION) == [ANY]
    assert drs_resources(
        "DescribeJobs", {"filters": {"jobIDs": ["drsjob-1"]}}, ACCOUNT, REGION
    ) == [ANY]


def test_the_partition_comes_from_the_region() -> None:
    assert partition("us-gov-west-1") == "aws-us-gov"
    assert partition("cn-north-1") == "aws-cn"
    assert partition("eu-central-1") == "aws"
    gov = drs_resources("StartRecovery", {"sourceServerID": "s-1"}, ACCOUNT, "us-gov-west-1")
    assert gov == [f"arn:aws-us-gov:drs:us-gov-west-1:{ACCOUNT}:source-server/s-1"]


def test_a_transaction_is_authorized_item_by_item_on_each_table() -> None:
    body = json.dumps(
        {
            "TransactItems": [
                {"Put": {"TableName": "t1", "Item": {}}},
                {"Put": {"TableName": "t1", "Item": {}}},
                {"ConditionCheck": {"TableName": "t2", "Key": {}}},
            ]
        }
    )
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table"
    assert transaction_checks(body.encode(), ACCOUNT, REGION) == [
        ("dynamodb:PutItem", f"{table}/t1"),
        ("dynamodb:ConditionCheckItem", f"{table}/t2"),
    ]
    assert transaction_checks(b"", ACCOUNT, REGION) == []
