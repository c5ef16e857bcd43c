"""Discovery's AWS adapters against the local endpoint: paging, batching, accounts, errors."""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

from drsorch.contracts import Spoke
from drsorch.discovery.adapters.accounts import AwsAccountAccess
from drsorch.discovery.errors import AccountUnreachable, DrsNotInitialized
from drsorch.discovery.settings import DiscoverySettings
from drsorch.local.drs.emulator import default_emulator
from drsorch.local.server import LocalEndpoint
from drsorch.runtime.accounts import AccountClients, SpokeSettings
from support.aws import client
from support.discovery_estates import (
    DARK_SPOKE,
    HUB,
    PRIMARY,
    RECOVERY,
    SPOKE,
    SPOKE_EXTERNAL_ID,
    SPOKE_ROLE,
    THREE_ACCOUNTS,
    fresh,
)

pytestmark = pytest.mark.integration

PAGED = f"""
name: paged
drs: {{seed: 46, clock: {{scale: 0}}, paging: {{default_page_size: 4, max_page_size: 4}}}}
accounts:
  - kind: hub
    drs_regions: [recovery]
    generators:
      - {{count: 11, name: "pg-{{index:02d}}", template: {{tags: {{app: pg}}, target: {{}}}}}}
  - kind: spoke
    id: "{SPOKE}"
    role_name: {SPOKE_ROLE}
    external_id: {SPOKE_EXTERNAL_ID}
    servers:
      - {{name: sp-01, tags: {{app: pg}}}}
"""


def admin_settings(endpoint: LocalEndpoint, patch: dict[str, object]) -> None:
    request = urllib.request.Request(
        f"{endpoint.url}/_drsorch/drs/settings",
        data=json.dumps(patch).encode(),
        method="PATCH",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.fixture
async def access(endpoint: LocalEndpoint) -> AsyncIterator[AwsAccountAccess]:
    async with contextlib.AsyncExitStack() as stack:
        config = AioConfig(retries={"mode": "standard", "max_attempts": 2})
        spokes = SpokeSettings(
            role_name=SPOKE_ROLE,
            external_id=SPOKE_EXTERNAL_ID,
            accounts=f"{SPOKE},{DARK_SPOKE}",
        )
        clients = AccountClients(get_session(), stack, config, spokes=spokes.directory())
        yield AwsAccountAccess(clients, DiscoverySettings())


async def test_every_page_of_servers_is_read_and_each_call_counted(
    access: AwsAccountAccess,
) -> None:
    seeded = fresh(PAGED).servers
    calls: Counter[str] = Counter()
    drs = await access.drs(HUB, None, RECOVERY, calls)
    servers = await drs.source_servers()
    hub_ids = {s.source_server_id for s in seeded if s.account_id == HUB}
    assert {s.source_server_id for s in servers} == hub_ids
    assert calls["DescribeSourceServers"] == 3  # 11 servers, 4 a page
    server = next(s for s in servers if s.tags.get("Name") == "pg-01")
    assert (server.direction, server.replication_state, server.lag_seconds) == (
        "FAILOVER",
        "CONTINUOUS",
        0,
    )
    assert server.origin_instance_id is not None and server.origin_region == PRIMARY


async def test_a_throttled_call_is_retried_by_the_sdk(
    access: AwsAccountAccess, endpoint: LocalEndpoint
) -> None:
    fresh(PAGED)
    admin_settings(endpoint, {"faults": {"operations": {"DescribeJobs": {"throttle_first": 1}}}})
    calls: Counter[str] = Counter()
    drs = await access.drs(HUB, None, RECOVERY, calls)
    assert await drs.active_jobs() == []
    assert calls["DescribeJobs"] == 1  # one call of ours; botocore retried the 429


async def test_ids_are_asked_two_hundred_at_a_time(access: AwsAccountAccess) -> None:
    seeded = fresh(PAGED).servers
    wanted = [s.source_server_id for s in seeded if s.account_id == HUB][:2]
    unknown = [f"s-{n:017d}" for n in range(450)]
    calls: Counter[str] = Counter()
    drs = await access.drs(HUB, None, RECOVERY, calls)
    found = await drs.source_servers([*unknown, *wanted])
    assert {s.source_server_id for s in found} == set(wanted)
    assert calls["DescribeSourceServers"] == 3  # 452 IDs: 200 + 200 + 52


async def test_instances_are_read_by_filter_and_by_id_in_batches(access: AwsAccountAccess) -> None:
    seeded = fresh(PAGED).servers
    ec2 = await access.ec2(HUB, None, RECOVERY)
    targets = await ec2.instances()
    assert {t.instance_id for t in targets} == {
        s.target_instance_id for s in seeded if s.target_instance_id
    }
    target = targets[0]
    assert target.state == "stopped" and target.tags["AWSDRS"] == "AllowLaunchingIntoThisInstance"
    assert target.availability_zone and target.availability_zone.startswith(RECOVERY)
    assert target.subnet_id and target.private_ip and target.architecture == "x86_64"
    some = [targets[0].instance_id, *(f"i-{n:017x}" for n in range(1, 260))]
    assert [t.instance_id for t in await ec2.instances_by_id(some)] == [targets[0].instance_id]


async def test_a_region_without_drs_says_so(access: AwsAccountAccess) -> None:
    fresh(PAGED)
    drs = await access.drs(HUB, None, PRIMARY, Counter())
    with pytest.raises(DrsNotInitialized, match=rf"{HUB} in {PRIMARY}"):
        await drs.source_servers()


async def test_active_jobs_name_their_servers(access: AwsAccountAccess) -> None:
    seeded = fresh(PAGED).servers
    busy = next(s.source_server_id for s in seeded if s.account_id == HUB)
    client("drs", region_name=RECOVERY).start_recovery(
        sourceServers=[{"sourceServerID": busy}], isDrill=True
    )
    drs = await access.drs(HUB, None, RECOVERY, Counter())
    (job,) = await drs.active_jobs()
    assert job.server_ids == {busy} and job.region == RECOVERY


async def test_a_spoke_is_read_through_the_configured_role_whatever_the_request_names(
    access: AwsAccountAccess,
) -> None:
    seeded = fresh(PAGED).servers
    borrowed = Spoke(account_id=SPOKE, role_name="someone-elses", external_id="not-the-one")
    drs = await access.drs(SPOKE, borrowed, RECOVERY, Counter())  # the request's role ignored
    (server,) = await drs.source_servers()
    assert server.source_server_id == next(
        s.source_server_id for s in seeded if s.account_id == SPOKE
    )
    assert server.account_id == SPOKE


async def test_unreachable_accounts_are_named_with_the_reason(access: AwsAccountAccess) -> None:
    fresh(THREE_ACCOUNTS)
    dark = Spoke(account_id=DARK_SPOKE)
    with pytest.raises(AccountUnreachable, match=rf"{DARK_SPOKE}.*AccessDenied"):
        await access.drs(DARK_SPOKE, dark, RECOVERY, Counter())
    unlisted = Spoke(account_id="666677778888", role_name=SPOKE_ROLE)
    with pytest.raises(AccountUnreachable, match="666677778888 is not a configured spoke"):
        await access.ec2("666677778888", unlisted, RECOVERY)
    with pytest.raises(AccountUnreachable, match="runs in 123456789012"):
        await access.ec2("444455556666", None, RECOVERY)  # named as the hub, but is not


async def test_a_wrong_configured_external_id_is_access_denied(endpoint: LocalEndpoint) -> None:
    fresh(THREE_ACCOUNTS)
    wrong = SpokeSettings(role_name=SPOKE_ROLE, external_id="not-the-one", accounts=SPOKE)
    async with contextlib.AsyncExitStack() as stack:
        config = AioConfig(retries={"mode": "standard", "max_attempts": 2})
        clients = AccountClients(get_session(), stack, config, spokes=wrong.directory())
        access = AwsAccountAccess(clients, DiscoverySettings())
        with pytest.raises(AccountUnreachable, match="AccessDenied"):
            await access.ec2(SPOKE, Spoke(account_id=SPOKE), RECOVERY)


STAGED = """
name: staged
drs: {seed: 47, clock: {scale: 0}}
accounts:
  - kind: hub
    staging_accounts: ["444400000009"]
    servers:
      - {name: st-01, tags: {app: st}, staging_account: "444400000009"}
      - {name: st-02, tags: {app: st}, staging_account: "444400000009"}
      - {name: own-01, tags: {app: st}}
"""


async def test_extended_servers_carry_their_staging_account_and_an_extension_error(
    access: AwsAccountAccess,
) -> None:
    seeded = {s.name: s for s in fresh(STAGED).servers}
    lost = seeded["st-02"]
    assert lost.staging_source_server_id is not None
    emulator = default_emulator()
    with emulator.lock:  # the staging account deletes its server behind the hub's back
        del emulator.region("444400000009", RECOVERY).servers[lost.staging_source_server_id]
    drs = await access.drs(HUB, None, RECOVERY, Counter())
    found = {s.source_server_id: s for s in await drs.source_servers()}
    staged = found[seeded["st-01"].source_server_id]
    assert staged.staging_account_id == "444400000009"
    assert staged.staging_source_server_arn == (
        f"arn:aws:drs:{RECOVERY}:444400000009:source-server/"
        f"{seeded['st-01'].staging_source_server_id}"
    )
    assert staged.staging_error is None
    errored = found[lost.source_server_id]
    assert errored.staging_account_id == "444400000009"
    assert errored.staging_error and lost.staging_source_server_id in errored.staging_error
    own = found[seeded["own-01"].source_server_id]
    assert (own.staging_account_id, own.staging_source_server_arn) == (None, None)
