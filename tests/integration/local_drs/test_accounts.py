"""Each account and region has its own DRS; AssumeRole credentials land in the assumed account."""

from __future__ import annotations

import pytest

from drsorch.local.drs import seed
from integration.local_drs.drs_world import ACCOUNT, OTHER_ACCOUNT, PRIMARY, RECOVERY, DrsWorld

pytestmark = pytest.mark.integration


def _seed(account: str, hostname: str) -> str:
    return seed.add_source_server(
        account,
        RECOVERY,
        seed.SourceServerSeed(
            hostname=hostname,
            origin_instance_id="i-0ccccccccccccccc1",
            origin_account_id=account,
            origin_region=PRIMARY,
            origin_availability_zone=f"{PRIMARY}a",
        ),
    )


def test_an_assumed_role_sees_only_its_own_account(world: DrsWorld) -> None:
    hub, spoke = world.drs(), world.as_account(OTHER_ACCOUNT).drs()
    hub.initialize_service()
    mine = _seed(ACCOUNT, "hub-1")
    with pytest.raises(spoke.exceptions.UninitializedAccountException):
        spoke.describe_source_servers()

    spoke.initialize_service()
    theirs = _seed(OTHER_ACCOUNT, "spoke-1")

    assert [s["sourceServerID"] for s in hub.describe_source_servers()["items"]] == [mine]
    assert [s["sourceServerID"] for s in spoke.describe_source_servers()["items"]] == [theirs]
    with pytest.raises(spoke.exceptions.ResourceNotFoundException):
        spoke.get_launch_configuration(sourceServerID=mine)
    with pytest.raises(spoke.exceptions.AccessDeniedException):
        spoke.list_tags_for_resource(
            resourceArn=f"arn:aws:drs:{RECOVERY}:{ACCOUNT}:source-server/{mine}"
        )
    accounts = {call["account_id"] for call in world.calls("DescribeSourceServers")}
    assert accounts == {ACCOUNT, OTHER_ACCOUNT}


def test_initialization_is_per_region(world: DrsWorld) -> None:
    world.drs(RECOVERY).initialize_service()
    with pytest.raises(world.drs(PRIMARY).exceptions.UninitializedAccountException):
        world.drs(PRIMARY).describe_jobs()
    assert world.drs(RECOVERY).describe_jobs()["items"] == []
