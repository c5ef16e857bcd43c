"""DRS launch settings: what a request asks for, and a server's launch configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import StringConstraints

from drsorch.contracts.events.common import Record
from drsorch.contracts.types import (
    Ec2InstanceId,
    LaunchDisposition,
    RecoveryMode,
    RightSizingMethod,
)


class LaunchSettings(Record):
    """Launch settings a request applies to every launching server; `None` leaves DRS's value.

    Launch into an instance keeps the target's private IP and tags, which is why
    `copy_private_ip` and `copy_tags` are usually left off for failback.
    """

    copy_private_ip: bool | None = None
    copy_tags: bool | None = None
    os_byol: bool | None = None
    right_sizing: RightSizingMethod | None = None
    launch_disposition: LaunchDisposition | None = None


class LaunchConfiguration(Record):
    """A snapshot of one source server's DRS launch configuration.

    Mirrors DRS `GetLaunchConfiguration` field by field (snake_case here); `None`
    means DRS returned no value. The configurator keeps the previous snapshot of
    every server it changes, so it can be restored.
    """

    name: Annotated[str, StringConstraints(max_length=128)] | None = None
    launch_disposition: LaunchDisposition | None = None
    right_sizing: RightSizingMethod | None = None
    """DRS `targetInstanceTypeRightSizingMethod`."""
    copy_private_ip: bool | None = None
    copy_tags: bool | None = None
    os_byol: bool | None = None
    """DRS `licensing.osByol`."""
    post_launch_enabled: bool | None = None
    launch_into_instance_id: Ec2InstanceId | None = None
    """DRS `launchIntoInstanceProperties.launchIntoEC2InstanceID`."""
    recovery_mode: RecoveryMode | None = None

    @classmethod
    def from_drs(cls, response: Mapping[str, Any]) -> LaunchConfiguration:
        """Read a DRS `GetLaunchConfiguration` response (or `UpdateLaunchConfiguration`'s)."""
        licensing = response.get("licensing") or {}
        launch_into = response.get("launchIntoInstanceProperties") or {}
        return cls.model_validate(
            {
                "name": response.get("name"),
                "launch_disposition": response.get("launchDisposition"),
                "right_sizing": response.get("targetInstanceTypeRightSizingMethod"),
                "copy_private_ip": response.get("copyPrivateIp"),
                "copy_tags": response.get("copyTags"),
                "os_byol": licensing.get("osByol"),
                "post_launch_enabled": response.get("postLaunchEnabled"),
                "launch_into_instance_id": launch_into.get("launchIntoEC2InstanceID"),
                "recovery_mode": response.get("recoveryMode"),
            }
        )

    def to_drs(self) -> dict[str, Any]:
        """The arguments of DRS `UpdateLaunchConfiguration` that set this snapshot.

        Fields that are `None` are left out, so DRS keeps its value for them, except
        the launch-into target: it is always sent, an empty object when there is none,
        so restoring a snapshot taken before drsorch set a target clears that target.
        The caller adds `sourceServerID`.
        """
        out: dict[str, Any] = {
            "name": self.name,
            "launchDisposition": self.launch_disposition,
            "targetInstanceTypeRightSizingMethod": self.right_sizing,
            "copyPrivateIp": self.copy_private_ip,
            "copyTags": self.copy_tags,
            "postLaunchEnabled": self.post_launch_enabled,
            "recoveryMode": self.recovery_mode,
        }
        if self.os_byol is not None:
            out["licensing"] = {"osByol": self.os_byol}
        present = {key: value for key, value in out.items() if value is not None}
        present["launchIntoInstanceProperties"] = (
            {"launchIntoEC2InstanceID": self.launch_into_instance_id}
            if self.launch_into_instance_id is not None
            else {}
        )
        return present

    def with_settings(
        self, settings: LaunchSettings, *, launch_into_instance_id: str | None
    ) -> LaunchConfiguration:
        """This configuration with a request's settings and launch-into target applied."""
        changes: dict[str, Any] = {
            key: value for key, value in settings.model_dump().items() if value is not None
        }
        changes["launch_into_instance_id"] = launch_into_instance_id
        return self.model_validate({**self.model_dump(), **changes})
