"""EC2 through aiobotocore: read target instances, tag lineage targets for launch-into."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from drsorch.configurator.adapters.errors import translate
from drsorch.configurator.domain import TargetInstance
from drsorch.contracts.types import LAUNCH_INTO_TAG_KEY, LAUNCH_INTO_TAG_VALUE, Place
from drsorch.runtime.together import at_once

if TYPE_CHECKING:
    from types_aiobotocore_ec2 import EC2Client

ClientFor = Callable[[str, Place], Awaitable[Any]]
MAX_FILTER_VALUES = 200  # EC2 takes at most 200 values in one filter
PAGE_SIZE = 1000  # DescribeInstances' largest page


def target_instance(item: dict[str, Any], place: Place) -> TargetInstance:
    """A DescribeInstances instance as the configurator reads it."""
    return TargetInstance(
        instance_id=item["InstanceId"],
        place=place,
        state=str((item.get("State") or {}).get("Name", "unknown")),
        architecture=item.get("Architecture"),
        # EC2 names a platform only for Windows.
        platform="windows" if str(item.get("Platform", "")).lower() == "windows" else "linux",
        tags={tag["Key"]: tag.get("Value", "") for tag in item.get("Tags", [])},
    )


class Ec2Adapter:
    """`Ec2Gateway` over the real EC2 API."""

    def __init__(self, client_for: ClientFor) -> None:
        self._client_for = client_for

    async def instances(self, place: Place, ids: Sequence[str]) -> dict[str, TargetInstance]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        client: EC2Client = await self._client_for("ec2", place)
        # Every batch at once: each answer is long to write and to read (a whole instance
        # description per ID), and EC2 and this process then share the work.
        batches = await at_once(
            self._described(client, place, wanted[start : start + MAX_FILTER_VALUES])
            for start in range(0, len(wanted), MAX_FILTER_VALUES)
        )
        return {k: v for batch in batches for k, v in batch.items()}

    async def _described(
        self, client: EC2Client, place: Place, ids: list[str]
    ) -> dict[str, TargetInstance]:
        # A filter, not InstanceIds: an ID that does not exist here is simply absent,
        # instead of failing the whole call.
        kwargs: dict[str, Any] = {
            "Filters": [{"Name": "instance-id", "Values": ids}],
            "MaxResults": PAGE_SIZE,
        }
        found: dict[str, TargetInstance] = {}
        try:
            while True:
                page = await client.describe_instances(**kwargs)
                for reservation in page.get("Reservations", []):
                    for item in reservation.get("Instances", []):
                        instance = target_instance(dict(item), place)
                        found[instance.instance_id] = instance
                token = page.get("NextToken")
                if not token:
                    return found
                kwargs["NextToken"] = token
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, "DescribeInstances", place) from exc

    async def tag_launch_into(self, place: Place, instance_id: str) -> None:
        client: EC2Client = await self._client_for("ec2", place)
        try:
            await client.create_tags(
                Resources=[instance_id],
                Tags=[{"Key": LAUNCH_INTO_TAG_KEY, "Value": LAUNCH_INTO_TAG_VALUE}],
            )
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, "CreateTags", place) from exc

    async def untag_launch_into(self, place: Place, instance_id: str) -> None:
        client: EC2Client = await self._client_for("ec2", place)
        try:
            # With its value: a tag the operator set to something else is not removed.
            await client.delete_tags(
                Resources=[instance_id],
                Tags=[{"Key": LAUNCH_INTO_TAG_KEY, "Value": LAUNCH_INTO_TAG_VALUE}],
            )
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, "DeleteTags", place) from exc
