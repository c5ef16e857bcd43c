"""Clients per account: the hub directly, a spoke through STS AssumeRole on the endpoint."""

from __future__ import annotations

import contextlib

import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

from drsorch.local.estate.moto_ec2 import create_role
from drsorch.local.server import LocalEndpoint
from drsorch.runtime.accounts import AccountClients, AccountUnreachable, Spoke

pytestmark = pytest.mark.integration

SPOKE = Spoke(account_id="222222222222", role_name="drsorch-spoke", external_id="ext-123")


async def test_a_spoke_client_acts_in_the_spoke_account_and_is_reused(
    endpoint: LocalEndpoint,
) -> None:
    # The endpoint refuses AssumeRole into a role that does not exist, as AWS does.
    create_role(SPOKE.account_id, SPOKE.role_name, "123456789012", SPOKE.external_id)
    async with contextlib.AsyncExitStack() as stack:
        clients = AccountClients(get_session(), stack, AioConfig(retries={"max_attempts": 2}))
        hub = await clients.hub_account()
        assert hub == "123456789012"
        sqs = await clients.client("sqs", SPOKE.account_id, "eu-west-1", SPOKE)
        url = (await sqs.create_queue(QueueName="drsorch-accounts-probe"))["QueueUrl"]
        assert "/222222222222/" in url
        sts = await clients.client("sts", SPOKE.account_id, "eu-west-1", SPOKE)
        assert (await sts.get_caller_identity())["Account"] == "222222222222"
        assert await clients.client("sqs", SPOKE.account_id, "eu-west-1", SPOKE) is sqs
        hub_sqs = await clients.client("sqs", hub, "eu-west-1")
        hub_urls = (await hub_sqs.list_queues(QueueNamePrefix="drsorch-accounts-probe")).get(
            "QueueUrls", []
        )
        assert hub_urls == []  # the spoke's queue is not in the hub account


async def test_a_spoke_whose_role_refuses_is_unreachable(endpoint: LocalEndpoint) -> None:
    async with contextlib.AsyncExitStack() as stack:
        clients = AccountClients(get_session(), stack, AioConfig(retries={"max_attempts": 2}))
        missing = Spoke(account_id="444444444444", role_name="never-created")
        with pytest.raises(AccountUnreachable, match=r"444444444444.*AccessDenied"):
            await clients.client("ec2", missing.account_id, "us-east-1", missing)


async def test_an_account_without_a_configured_role_is_unreachable(endpoint: LocalEndpoint) -> None:
    async with contextlib.AsyncExitStack() as stack:
        clients = AccountClients(get_session(), stack, AioConfig(retries={"max_attempts": 2}))
        with pytest.raises(AccountUnreachable, match=r"333333333333.*no role"):
            await clients.client("ec2", "333333333333", "us-east-1")
