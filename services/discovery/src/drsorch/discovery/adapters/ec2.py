"""The EC2 gateway over an aiobotocore `ec2` client in one account and region.

Instances are read with filters, a page of up to 1,000 at a time, and by ID in
batches of 200 through the `instance-id` filter, never one call per instance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from drsorch.contracts import CandidateTarget
from drsorch.contracts.types import Architecture, BootMode, InstanceState, Platform
from drsorch.discovery.adapters.drs import batches, known
from drsorch.discovery.domain import name_tag, user_tags
from drsorch.discovery.errors import AccountUnreachable

if TYPE_CHECKING:
    from types_aiobotocore_ec2 import EC2Client

PAGE_SIZE = 1000
LIVE_STATES = ["pending", "running", "stopping", "stopped", "shutting-down"]
DENIED = frozenset({"UnauthorizedOperation", "AuthFailure", "OptInRequired", "AccessDenied"})


class Ec2Adapter:
    """`Ec2Gateway` for one account and region."""

    def __init__(self, client: EC2Client, account_id: str, region: str) -> None:
        self.client = client
        self.account_id = account_id
        self.region = region
        self.refused: list[tuple[str, str]] = []
        """Instances read outside drsorch's contract, with why (they are dropped)."""

    async def instances(self) -> list[CandidateTarget]:
        return await self._describe([{"Name": "instance-state-name", "Values": LIVE_STATES}])

    async def instances_by_id(self, ids: Sequence[str]) -> list[CandidateTarget]:
        found: list[CandidateTarget] = []
        for run in batches(ids):
            found += await self._describe([{"Name": "instance-id", "Values": run}])
        return found

    async def _describe(self, filters: list[dict[str, Any]]) -> list[CandidateTarget]:
        found: list[CandidateTarget] = []
        params: dict[str, Any] = {"Filters": filters, "MaxResults": PAGE_SIZE}
        while True:
            try:
                page = await self.client.describe_instances(**params)
            except ClientError as error:
                raise self._translated(error) from error
            for reservation in page.get("Reservations", []):
                for instance in reservation.get("Instances", []):
                    try:
                        found.append(self._target(instance))
                    except ValidationError as exc:
                        first = exc.errors()[0]
                        where = ".".join(str(p) for p in first["loc"])
                        self.refused.append(
                            (str(instance.get("InstanceId", "?")), f"{where}: {first['msg']}")
                        )
            token = page.get("NextToken")
            if not token:
                return found
            params["NextToken"] = token

    def _translated(self, error: ClientError) -> Exception:
        code = error.response.get("Error", {}).get("Code", "")
        if code in DENIED:
            message = error.response.get("Error", {}).get("Message", str(error))
            return AccountUnreachable(
                self.account_id, self.region, f"EC2 denied DescribeInstances: {code}: {message}"
            )
        return error

    def _target(self, instance: Any) -> CandidateTarget:
        tags = user_tags({t["Key"]: t.get("Value", "") for t in instance.get("Tags", [])})
        platform: Platform = "windows" if instance.get("Platform") == "windows" else "linux"
        return CandidateTarget(
            instance_id=instance["InstanceId"],
            account_id=self.account_id,
            region=self.region,
            name=name_tag(tags),
            state=known(instance.get("State", {}).get("Name"), InstanceState) or "pending",
            tags=tags,
            availability_zone=instance.get("Placement", {}).get("AvailabilityZone") or None,
            subnet_id=instance.get("SubnetId") or None,
            architecture=known(instance.get("Architecture"), Architecture),
            platform=platform,
            boot_mode=known(
                instance.get("CurrentInstanceBootMode") or instance.get("BootMode"), BootMode
            ),
            private_ip=instance.get("PrivateIpAddress") or None,
        )
