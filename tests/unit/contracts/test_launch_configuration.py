"""The launch configuration snapshot reads and writes DRS's own field names."""

from __future__ import annotations

from typing import Any

from drsorch.contracts import LaunchConfiguration, LaunchSettings
from unit.contracts.samples import ORIGIN, SERVER

DRS_RESPONSE: dict[str, Any] = {
    "sourceServerID": SERVER,
    "name": "pay-db-1",
    "ec2LaunchTemplateID": "lt-0123456789abcdef0",
    "launchDisposition": "STARTED",
    "targetInstanceTypeRightSizingMethod": "IN_AWS",
    "copyPrivateIp": True,
    "copyTags": False,
    "licensing": {"osByol": True},
    "postLaunchEnabled": False,
    "launchIntoInstanceProperties": {"launchIntoEC2InstanceID": ORIGIN},
    "recoveryMode": "FAST",
}


def test_a_drs_response_is_read_field_by_field() -> None:
    config = LaunchConfiguration.from_drs(DRS_RESPONSE)
    assert config == LaunchConfiguration(
        name="pay-db-1",
        launch_disposition="STARTED",
        right_sizing="IN_AWS",
        copy_private_ip=True,
        copy_tags=False,
        os_byol=True,
        post_launch_enabled=False,
        launch_into_instance_id=ORIGIN,
        recovery_mode="FAST",
    )


def test_writing_back_gives_the_update_arguments_drs_takes() -> None:
    update = LaunchConfiguration.from_drs(DRS_RESPONSE).to_drs()
    expected = {
        k: v for k, v in DRS_RESPONSE.items() if k not in ("sourceServerID", "ec2LaunchTemplateID")
    }
    assert update == expected


def test_restoring_a_snapshot_without_a_target_clears_the_target() -> None:
    assert LaunchConfiguration().to_drs() == {"launchIntoInstanceProperties": {}}


def test_a_sparse_response_reads_as_unknowns() -> None:
    assert LaunchConfiguration.from_drs({"sourceServerID": SERVER}) == LaunchConfiguration()


def test_request_settings_and_a_target_give_the_desired_configuration() -> None:
    previous = LaunchConfiguration.from_drs(DRS_RESPONSE)
    desired = previous.with_settings(
        LaunchSettings(copy_private_ip=False, right_sizing="NONE"), launch_into_instance_id=None
    )
    assert desired.copy_private_ip is False
    assert desired.right_sizing == "NONE"
    assert desired.launch_into_instance_id is None
    assert desired.copy_tags == previous.copy_tags
    assert desired.recovery_mode == previous.recovery_mode
