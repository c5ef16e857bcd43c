"""A test's view of the local endpoint's DRS: clients, admin routes, the simulated clock."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from mypy_boto3_drs import DrsClient
from mypy_boto3_drs.type_defs import JobTypeDef
from mypy_boto3_ec2 import EC2Client
from mypy_boto3_ec2.type_defs import TagTypeDef

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
PRIMARY, RECOVERY = "us-east-1", "us-west-2"
FEW_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 3})
# Linux AMIs moto knows in every region used here (DescribeImages costs a second).
X86_IMAGE, ARM_IMAGE = "ami-760aaa0f", "ami-0e9271c829888680e"
LAUNCH_INTO_TAG: TagTypeDef = {"Key": "AWSDRS", "Value": "AllowLaunchingIntoThisInstance"}


@dataclass
class DrsWorld:
    """The endpoint under test, with helpers that never sleep."""

    url: str
    session: boto3.Session

    def drs(self, region: str = RECOVERY, config: Config = FEW_RETRIES) -> DrsClient:
        """A real boto3 drs client on the endpoint."""
        return self.session.client("drs", region_name=region, endpoint_url=self.url, config=config)

    def ec2(self, region: str = RECOVERY) -> EC2Client:
        """A real boto3 ec2 client on the endpoint."""
        return self.session.client(
            "ec2", region_name=region, endpoint_url=self.url, config=FEW_RETRIES
        )

    def as_account(self, account_id: str) -> DrsWorld:
        """The same endpoint seen with credentials assumed into another account.

        The role is created first in that account (moto's x-moto-account-id header),
        trusting this account, as the endpoint refuses AssumeRole of a missing role.
        """
        iam = self.session.client("iam", region_name=PRIMARY, endpoint_url=self.url)
        iam.meta.events.register(
            "before-sign.iam.CreateRole",
            lambda request, **_: request.headers.__setitem__("x-moto-account-id", account_id),
        )
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        iam.create_role(RoleName="drsorch-test", AssumeRolePolicyDocument=json.dumps(trust))
        sts = self.session.client("sts", region_name=PRIMARY, endpoint_url=self.url)
        credentials = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/drsorch-test", RoleSessionName="drsorch-test"
        )["Credentials"]
        session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
        return DrsWorld(self.url, session)

    def admin(self, method: str, path: str, body: object | None = None) -> Any:
        """Call an admin route under /_drsorch/drs and return its JSON."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/_drsorch/drs{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: {error.code} {error.read()!r}") from error

    def settings(self, patch: dict[str, Any]) -> Any:
        """Merge a partial settings document into the emulator's settings."""
        return self.admin("PATCH", "/settings", patch)

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward; what falls due happens."""
        self.admin("POST", "/clock/advance", {"seconds": seconds})

    def finish_job(
        self, drs: DrsClient, job_id: str, *, step: float = 60, limit: int = 200
    ) -> JobTypeDef:
        """Advance the clock until the job is COMPLETED (bounded, no sleeping)."""
        deadline = time.monotonic() + 20
        for _ in range(limit):
            job = drs.describe_jobs(filters={"jobIDs": [job_id]})["items"][0]
            if job["status"] == "COMPLETED":
                return job
            assert time.monotonic() < deadline, f"job {job_id} still {job['status']}"
            self.advance(step)
        raise AssertionError(f"job {job_id} did not complete within {limit} steps")

    def job_log(self, drs: DrsClient, job_id: str) -> list[tuple[str, dict[str, Any]]]:
        """The job's log events, in order, with their eventData."""
        pages = drs.get_paginator("describe_job_log_items").paginate(jobID=job_id)
        return [
            (item["event"], dict(item.get("eventData", {})))
            for page in pages
            for item in page["items"]
        ]

    def calls(self, operation: str | None = None) -> list[dict[str, Any]]:
        """The emulator's call log."""
        query = f"?operation={operation}" if operation else ""
        calls: list[dict[str, Any]] = self.admin("GET", f"/calls{query}")["calls"]
        return calls


def run_instance(
    ec2: EC2Client,
    *,
    name: str,
    tags: dict[str, str] | None = None,
    stopped: bool = False,
    arm: bool = False,
) -> tuple[str, str]:
    """An EC2 instance (stopped if asked): (instance ID, private IP)."""
    image = ARM_IMAGE if arm else X86_IMAGE
    all_tags: list[TagTypeDef] = [{"Key": "Name", "Value": name}]
    all_tags += [{"Key": k, "Value": v} for k, v in (tags or {}).items()]
    instance = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.small",
        TagSpecifications=[{"ResourceType": "instance", "Tags": all_tags}],
    )["Instances"][0]
    if stopped:
        ec2.stop_instances(InstanceIds=[instance["InstanceId"]])
    return instance["InstanceId"], instance["PrivateIpAddress"]


def instance(ec2: EC2Client, instance_id: str) -> dict[str, Any]:
    """DescribeInstances of one instance, as a plain dict."""
    found: dict[str, Any] = dict(
        ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    )
    return found
