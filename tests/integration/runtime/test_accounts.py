"""Clients per account: the hub directly, a spoke through STS AssumeRole on the endpoint,
with the role and ExternalId the deployment configures and nothing else."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

from drsorch.local.estate.moto_ec2 import create_role
from drsorch.local.server import LocalEndpoint
from drsorch.runtime.accounts import (
    AccountClients,
    AccountUnreachable,
    Spoke,
    SpokeDirectory,
    SpokeSettings,
)

pytestmark = pytest.mark.integration

SPOKE = Spoke(account_id="222222222222", role_name="drsorch-spoke", external_id="ext-123")
CONFIGURED = SpokeSettings(
    role_name=SPOKE.role_name,
    external_id=SPOKE.external_id,
    accounts=f"{SPOKE.account_id},444444444444:never-created",
)
CONFIG = AioConfig(retries={"max_attempts": 2})


@pytest.fixture
async def clients(endpoint: LocalEndpoint) -> AsyncIterator[AccountClients]:
    # The endpoint refuses AssumeRole into a role that does not exist, or with another
    # ExternalId than its trust policy names, as AWS does.
    create_role(SPOKE.account_id, SPOKE.role_name, "123456789012", SPOKE.external_id)
    async with contextlib.AsyncExitStack() as stack:
        yield AccountClients(get_session(), stack, CONFIG, spokes=CONFIGURED.directory())


async def test_a_spoke_client_acts_in_the_spoke_account_and_is_reused(
    clients: AccountClients,
) -> None:
    hub = await clients.hub_account()
    assert hub == "123456789012"
    sqs = await clients.client("sqs", SPOKE.account_id, "eu-west-1")
    url = (await sqs.create_queue(QueueName="drsorch-accounts-probe"))["QueueUrl"]
    assert "/222222222222/" in url
    sts = await clients.client("sts", SPOKE.account_id, "eu-west-1")
    assert (await sts.get_caller_identity())["Account"] == "222222222222"
    assert await clients.client("sqs", SPOKE.account_id, "eu-west-1") is sqs
    hub_sqs = await clients.client("sqs", hub, "eu-west-1")
    hub_urls = (await hub_sqs.list_queues(QueueNamePrefix="drsorch-accounts-probe")).get(
        "QueueUrls", []
    )
    assert hub_urls == []  # the spoke's queue is not in the hub account


async def test_a_configured_spoke_whose_role_refuses_is_unreachable(
    clients: AccountClients,
) -> None:
    with pytest.raises(AccountUnreachable, match=r"444444444444.*AccessDenied"):
        await clients.client("ec2", "444444444444", "us-east-1")


async def test_a_spoke_the_deployment_does_not_list_is_refused_with_the_reason(
    clients: AccountClients,
) -> None:
    with pytest.raises(AccountUnreachable, match=r"333333333333 is not a configured spoke"):
        await clients.client("ec2", "333333333333", "us-east-1")
    assert "DRSORCH_SPOKE_ACCOUNTS" in (await clients.refusal("333333333333") or "")
    assert await clients.refusal(SPOKE.account_id) is None
    assert await clients.refusal("123456789012") is None  # the hub


async def test_credentials_are_never_lent_to_another_external_id(
    clients: AccountClients,
) -> None:
    ec2 = await clients.client("ec2", SPOKE.account_id, "us-east-1")
    assert ec2 is not None  # one valid AssumeRole: its credentials are cached
    wrong = Spoke(SPOKE.account_id, SPOKE.role_name, "not-the-one")
    clients.spokes = SpokeDirectory({SPOKE.account_id: wrong})
    with pytest.raises(AccountUnreachable, match="AccessDenied"):
        await clients.client("ec2", SPOKE.account_id, "us-east-1")
    other_role = Spoke(SPOKE.account_id, "not-the-role", SPOKE.external_id)
    clients.spokes = SpokeDirectory({SPOKE.account_id: other_role})
    with pytest.raises(AccountUnreachable, match="AccessDenied"):
        await clients.client("drs", SPOKE.account_id, "us-east-1")


async def test_sts_is_called_in_the_hub_region(endpoint: LocalEndpoint) -> None:
    async with contextlib.AsyncExitStack() as stack:
        session = get_session()
        session.set_config_variable("region", "eu-central-1")
        clients = AccountClients(session, stack, CONFIG, spokes=CONFIGURED.directory())
        assert clients.region == "eu-central-1"
        assert await clients.hub_account() == "123456789012"
        sts = await clients.client("sts", "123456789012", "eu-central-1")
        assert sts.meta.region_name == "eu-central-1"
        assert "eu-central-1" in sts.meta.endpoint_url or "127.0.0.1" in sts.meta.endpoint_url
