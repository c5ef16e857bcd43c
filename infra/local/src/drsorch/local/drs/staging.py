"""Staging accounts: source servers replicating in one account, extended into another.

DRS lets at most 300 source servers replicate per account and region. Past that, servers
replicate in staging accounts (each under its own 300) and are *extended* into the one
target account where they are recovered (DRS User Guide, "Disaster recovery at scale").
An extended server is a source server of the target account whose `stagingArea` reads
EXTENDED and names its staging server; its replication is the staging server's, so it
takes no replicating slot in the target account, and its launches land in the target
account.

A staging account must trust the target account before it can be extended into it (the
DRS console's "trusted accounts"); the emulator keeps that trust per target account,
laid by the seed API (`trust_staging_account`), and answers AccessDeniedException
otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drsorch.local.drs import paging, rules, views
from drsorch.local.drs.context import OpContext, Operation
from drsorch.local.drs.core import Emulator
from drsorch.local.drs.errors import (
    AccessDeniedError,
    ServiceQuotaExceededError,
    ValidationError,
    not_found,
)
from drsorch.local.drs.servers import add_source_server
from drsorch.local.drs.state import RegionState, SourceServer

EXTENSIBLE_PAGE_CAP = 300
STAGING_ACCOUNTS_PAGE_CAP = 50


def _trusted(emu: Emulator, target: str, staging: str) -> None:
    if staging not in emu.staging_trust.get(target, set()):
        raise AccessDeniedError(
            f"Account {target} is not a trusted account of staging account {staging}"
        )


def _extended_into(state: RegionState) -> dict[tuple[str, str], str]:
    """(staging account, staging server ID) -> the extended server's ID, in this account."""
    return {s.staging: s.source_server_id for s in state.servers.values() if s.staging}


def _extensible(server: SourceServer, *, any_state: bool = False) -> bool:
    return (
        server.staging is None
        and server.direction == "FAILOVER"
        and (any_state or server.replication.state != "DISCONNECTED")
    )


def _parse_arn(value: str) -> tuple[str, str, str]:
    """(region, account, sourceServerID) of a source server ARN (the model checked it)."""
    parts = value.split(":")
    return parts[3], parts[4], parts[5].rsplit("/", 1)[-1]


def extend(
    emu: Emulator,
    target: RegionState,
    staging_account: str,
    staging_id: str,
    tags: Mapping[str, str],
    *,
    seeding: bool = False,
) -> SourceServer:
    """CreateExtendedSourceServer's work, also used by the seed API.

    `seeding`: a seeded estate is as if it had run a while, so a staging server seeded
    DISCONNECTED was extended while it still replicated.
    """
    region = target.region
    if staging_account == target.account_id:
        raise ValidationError(
            "A source server cannot be extended into its own account",
            fields=[("sourceServerArn", "names a source server of the calling account")],
        )
    _trusted(emu, target.account_id, staging_account)
    staging_state = emu.regions.get((staging_account, region))
    staged = staging_state.servers.get(staging_id) if staging_state else None
    if staged is None:
        raise not_found("SOURCE_SERVER", staging_id)
    if not _extensible(staged, any_state=seeding):
        raise ValidationError(
            f"Source server {staging_id} cannot be extended: only a FAILOVER-direction server"
            " replicating in its own account can be (the emulator models no FAILBACK or"
            " disconnected staging servers, and no extension of an extended server)",
            fields=[("sourceServerArn", "not extensible")],
        )
    already = _extended_into(target).get((staging_account, staging_id))
    if already is not None:
        raise ValidationError(
            f"Source server {staged.arn} is already extended into account"
            f" {target.account_id} as {already}",
            fields=[("sourceServerArn", "already extended")],
        )
    quota = emu.settings.quotas.source_servers
    if len(target.servers) + 1 > quota:
        raise ServiceQuotaExceededError(
            f"At most {quota} source servers may be held in {region}",
            quota_code=rules.QUOTA_SOURCE_SERVERS,
            resource_type="SOURCE_SERVER",
        )
    server = add_source_server(
        emu,
        target,
        hostname=staged.hostname,
        origin=staged.origin,
        direction=staged.direction,
        architecture=staged.architecture,
        disks=staged.disks,
        private_ip=staged.private_ip,
        tags=tags,
        replication=staged.replication,
    )
    server.staging = (staging_account, staging_id)
    server.staging_availability_zone = staged.staging_availability_zone
    return server


def create_extended_source_server(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """CreateExtendedSourceServer: the staging server, extended into the caller's account."""
    region, staging_account, staging_id = _parse_arn(params["sourceServerArn"])
    if region != ctx.region:
        raise ValidationError(
            f"The staging source server is in {region}; extend it from {region}",
            fields=[("sourceServerArn", f"not in {ctx.region}")],
        )
    server = extend(ctx.emu, ctx.state, staging_account, staging_id, params.get("tags") or {})
    return {"sourceServer": views.source_server(ctx.emu, server, ctx.now_ms)}


def list_extensible_source_servers(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """ListExtensibleSourceServers: the staging account's servers not yet extended here."""
    staging_account = params["stagingAccountID"]
    _trusted(ctx.emu, ctx.account_id, staging_account)
    staging_state = ctx.emu.regions.get((staging_account, ctx.region))
    done = _extended_into(ctx.state)
    found = [
        server
        for server in (staging_state.servers.values() if staging_state else [])
        if _extensible(server) and (staging_account, server.source_server_id) not in done
    ]
    scope = f"extensible:{staging_account}"
    items, token = paging.page(
        found, params, ctx.emu.settings.paging, scope, cap=EXTENSIBLE_PAGE_CAP
    )
    body: dict[str, Any] = {
        "items": [{"arn": s.arn, "hostname": s.hostname, "tags": dict(s.tags)} for s in items]
    }
    return body | ({"nextToken": token} if token else {})


def list_staging_accounts(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """ListStagingAccounts: only staging accounts that already have extended servers here."""
    accounts = sorted({s.staging[0] for s in ctx.state.servers.values() if s.staging})
    items, token = paging.page(
        accounts, params, ctx.emu.settings.paging, "staging-accounts", cap=STAGING_ACCOUNTS_PAGE_CAP
    )
    body: dict[str, Any] = {"accounts": [{"accountID": account} for account in items]}
    return body | ({"nextToken": token} if token else {})


OPERATIONS: dict[str, Operation] = {
    "CreateExtendedSourceServer": create_extended_source_server,
    "ListExtensibleSourceServers": list_extensible_source_servers,
    "ListStagingAccounts": list_staging_accounts,
}
