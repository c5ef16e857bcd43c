"""EC2 in one account and region, over aiobotocore, as the monitor's `Ec2` port."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from drsorch.contracts.types import Place
from drsorch.monitor.domain.facts import Instance
from drsorch.runtime.together import at_once

if TYPE_CHECKING:
    from drsorch.monitor.adapters.cloud import AwsCloud

MAX_FILTER_VALUES = 200


class Ec2Adapter:
    """DescribeInstances by an `instance-id` filter, so a missing ID is absent, not an error."""

    def __init__(self, cloud: AwsCloud, place: Place) -> None:
        self.cloud = cloud
        self.place = place

    async def instances(self, instance_ids: Sequence[str]) -> dict[str, Instance]:
        ids = list(dict.fromkeys(instance_ids))
        parts = await at_once(
            self._described(ids[start : start + MAX_FILTER_VALUES])
            for start in range(0, len(ids), MAX_FILTER_VALUES)
        )
        return {k: v for part in parts for k, v in part.items()}

    async def _described(self, ids: list[str]) -> dict[str, Instance]:
        found: dict[str, Instance] = {}
        kwargs: dict[str, Any] = {"Filters": [{"Name": "instance-id", "Values": ids}]}
        while True:
            page = await self.cloud.call(
                "ec2", self.place, "DescribeInstances", "describe_instances", **kwargs
            )
            for reservation in page.get("Reservations", []):
                for raw in reservation.get("Instances", []):
                    instance = _instance(raw)
                    found[instance.instance_id] = instance
            token = page.get("NextToken")
            if not token:
                return found
            kwargs["NextToken"] = token


def _instance(raw: dict[str, Any]) -> Instance:
    return Instance(
        instance_id=raw["InstanceId"],
        state=raw.get("State", {}).get("Name", "unknown"),
        private_ip=raw.get("PrivateIpAddress"),
        tags={tag["Key"]: tag.get("Value", "") for tag in raw.get("Tags", [])},
        volume_ids=tuple(
            sorted(
                m["Ebs"]["VolumeId"]
                for m in raw.get("BlockDeviceMappings", [])
                if m.get("Ebs", {}).get("VolumeId")
            )
        ),
    )
