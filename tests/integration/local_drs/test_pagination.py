"""Pagination and ordering as clients rely on them."""

from __future__ import annotations

import pytest

from drsorch.local.drs import seed
from integration.local_drs.drs_world import ACCOUNT, PRIMARY, RECOVERY, DrsWorld

pytestmark = pytest.mark.integration


def _servers(world: DrsWorld, count: int) -> list[str]:
    world.drs().initialize_service()
    return [
        seed.add_source_server(
            ACCOUNT,
            RECOVERY,
            seed.SourceServerSeed(
                hostname=f"p-{n}",
                origin_instance_id=f"i-{n + 1:017x}",
                origin_account_id=ACCOUNT,
                origin_region=PRIMARY,
                origin_availability_zone=f"{PRIMARY}a",
            ),
        )
        for n in range(count)
    ]


def test_tokens_change_on_every_page_and_the_last_page_has_none(world: DrsWorld) -> None:
    drs = world.drs()
    ids = _servers(world, 25)
    seen: list[str] = []
    tokens: list[str] = []
    answer = drs.describe_source_servers(maxResults=10)
    while True:
        seen += [item["sourceServerID"] for item in answer["items"]]
        if "nextToken" not in answer:
            break
        tokens.append(answer["nextToken"])
        answer = drs.describe_source_servers(maxResults=10, nextToken=answer["nextToken"])
    assert seen == ids
    assert len(tokens) == 2
    assert len(set(tokens)) == 2
    pages = drs.get_paginator("describe_source_servers").paginate(PaginationConfig={"PageSize": 7})
    assert [len(page["items"]) for page in pages] == [7, 7, 7, 4]


def test_a_token_from_elsewhere_is_a_validation_error(world: DrsWorld) -> None:
    drs = world.drs()
    _servers(world, 3)
    token = drs.describe_source_servers(maxResults=1)["nextToken"]
    for bad in (token + "x", "not-a-token"):
        with pytest.raises(drs.exceptions.ValidationException) as caught:
            drs.describe_jobs(nextToken=bad)
        assert caught.value.response["fieldList"][0]["name"] == "nextToken"  # type: ignore[typeddict-item]


def test_jobs_come_newest_first_with_sortable_timestamps(world: DrsWorld) -> None:
    drs = world.drs()
    ids = _servers(world, 3)
    started = []
    for server_id in ids:
        started.append(
            drs.start_recovery(sourceServers=[{"sourceServerID": server_id}], isDrill=True)["job"][
                "jobID"
            ]
        )
        world.advance(1)
    jobs = drs.describe_jobs()["items"]
    assert [job["jobID"] for job in jobs] == started[::-1]
    stamps = [job["creationDateTime"] for job in jobs]
    assert stamps == sorted(stamps, reverse=True)
    assert all(stamp.endswith("Z") for stamp in stamps)
    assert drs.describe_jobs(maxResults=1)["items"][0]["jobID"] == started[-1]
