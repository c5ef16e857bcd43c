"""What boto3 does not check, the emulator does: enums, patterns, maximums, unknown operations."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from integration.local_drs.drs_world import DrsWorld

pytestmark = pytest.mark.integration


def _fields(error: ClientError) -> list[str]:
    response: dict[str, Any] = dict(error.response)
    assert response["reason"] == "fieldValidationFailed"
    return [field["name"] for field in response["fieldList"]]


def test_enums_patterns_and_maximums_are_validated_with_a_field_list(world: DrsWorld) -> None:
    drs = world.drs()
    drs.initialize_service()
    cases: list[tuple[Any, dict[str, Any], list[str]]] = [
        (
            drs.update_launch_configuration,
            {"sourceServerID": "s-12345678901234567", "launchDisposition": "LATER"},
            ["launchDisposition"],
        ),
        (
            drs.describe_source_servers,
            {"filters": {"sourceServerIDs": ["s-1234567890123456!"]}},
            ["filters.sourceServerIDs[0]"],
        ),
        (
            drs.terminate_recovery_instances,
            {"recoveryInstanceIDs": [f"i-{n:017x}" for n in range(201)]},
            ["recoveryInstanceIDs"],
        ),
        (drs.describe_launch_configuration_templates, {"maxResults": 5000}, ["maxResults"]),
        (
            drs.describe_jobs,
            {"filters": {"jobIDs": ["drsjob-1234567890123456_"]}},
            ["filters.jobIDs[0]"],
        ),
    ]
    for call, arguments, expected in cases:
        with pytest.raises(drs.exceptions.ValidationException) as caught:
            call(**arguments)
        assert _fields(caught.value) == expected, call


def test_validation_comes_before_initialization(world: DrsWorld) -> None:
    drs = world.drs()
    with pytest.raises(drs.exceptions.ValidationException):
        drs.describe_launch_configuration_templates(maxResults=5000)
    with pytest.raises(drs.exceptions.UninitializedAccountException):
        drs.describe_launch_configuration_templates(maxResults=50)


def test_an_operation_the_emulator_lacks_is_a_clear_error(world: DrsWorld) -> None:
    drs = world.drs()
    drs.initialize_service()
    with pytest.raises(drs.exceptions.ValidationException) as caught:
        drs.list_launch_actions(resourceId="s-12345678901234567")
    assert caught.value.response["reason"] == "unknownOperation"  # type: ignore[typeddict-item]
    assert "not implemented" in caught.value.response["Error"]["Message"]
    assert world.calls("ListLaunchActions")[0]["error_code"] == "ValidationException"
