"""Reading one request's accounts through the ports, then judging them (`assessment`).

Accounts are read concurrently (a bounded number at a time) and independently: an
account that cannot be reached, or whose DRS is not initialised, becomes a problem
and the others go on. Within an account, the calls that do not depend on each other
run together.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

from pydantic import TypeAdapter, ValidationError

from drsorch.contracts import CandidateTarget, LineageInstance, Problem, RequestSpec, Spoke
from drsorch.contracts.types import Ec2InstanceId
from drsorch.discovery.assessment import AccountReading, Findings, assess, settle_claims
from drsorch.discovery.domain import FAILBACK, SourceServerRecord, needs_origin_tags
from drsorch.discovery.errors import AccountProblem
from drsorch.discovery.ports import AccountAccess, Ec2Gateway

ACCOUNTS_AT_ONCE = 8


async def discover(
    spec: RequestSpec,
    access: AccountAccess,
    calls: Counter[str],
    *,
    concurrency: int = ACCOUNTS_AT_ONCE,
) -> Findings:
    """What every account in scope holds for this request, problems included."""
    gate = asyncio.Semaphore(concurrency)
    accounts: list[tuple[str, Spoke | None]] = [(spec.accounts.hub, None)]
    accounts += [(spoke.account_id, spoke) for spoke in spec.accounts.spokes]

    async def one(account_id: str, spoke: Spoke | None) -> Findings:
        async with gate:
            return await _account(spec, access, account_id, spoke, calls)

    parts = await asyncio.gather(*(one(account_id, spoke) for account_id, spoke in accounts))
    merged = Findings()
    for part in parts:
        merged.servers.extend(part.servers)
        merged.targets.extend(part.targets)
        merged.problems.extend(part.problems)
        merged.lineage.extend(part.lineage)
        merged.claims.extend(part.claims)
        merged.unsayable.update(part.unsayable)
    settle_claims(merged)
    merged.problems.extend(_not_found(spec, merged))
    return merged


async def _account(
    spec: RequestSpec,
    access: AccountAccess,
    account_id: str,
    spoke: Spoke | None,
    calls: Counter[str],
) -> Findings:
    try:
        if spec.operation == "failover":
            reading = await _read_failover(spec, access, account_id, spoke, calls)
        else:
            reading = await _read_failback(spec, access, account_id, spoke, calls)
    except AccountProblem as problem:
        return Findings(problems=[_account_problem(account_id, problem)])
    return assess(spec, reading)


async def _read_failover(
    spec: RequestSpec,
    access: AccountAccess,
    account_id: str,
    spoke: Spoke | None,
    calls: Counter[str],
) -> AccountReading:
    drs = await access.drs(account_id, spoke, spec.recovery_region, calls)
    ec2 = await access.ec2(account_id, spoke, spec.recovery_region)
    # Every server, not only those asked for: a server outside the scope still claims
    # its instances, and none of them may become another server's target.
    servers, instances, jobs, targets = await asyncio.gather(
        drs.source_servers(),
        drs.recovery_instances(),
        drs.active_jobs(),
        ec2.instances(),
    )
    forward = [s for s in servers if s.direction != FAILBACK]
    return AccountReading(
        account_id=account_id,
        servers=forward,
        recovery_instances=instances,
        active_jobs=jobs,
        origins=await _origins(spec, access, account_id, spoke, forward),
        targets=targets,
        others=[s for s in servers if s.direction == FAILBACK],
        recovery_region=spec.recovery_region,
        launch_region=spec.recovery_region,
        refused=ec2.refused,
    )


async def _read_failback(
    spec: RequestSpec,
    access: AccountAccess,
    account_id: str,
    spoke: Spoke | None,
    calls: Counter[str],
) -> AccountReading:
    recovery = await access.drs(account_id, spoke, spec.recovery_region, calls)
    primary = await access.drs(account_id, spoke, spec.primary_region, calls)
    ec2 = await access.ec2(account_id, spoke, spec.primary_region)
    # Every FAILOVER server (`read`), not only those in scope: a server outside the scope
    # still claims its original, and none may become another server's target by Name.
    back, read, instances, jobs_here, jobs_there, targets = await asyncio.gather(
        primary.source_servers(),
        recovery.source_servers(),
        recovery.recovery_instances(),
        recovery.active_jobs(),
        primary.active_jobs(),
        ec2.instances(),
    )
    primary_others = [s for s in back if s.direction != FAILBACK]
    back = [s for s in back if s.direction == FAILBACK]
    servers = [s for s in read if s.direction != FAILBACK]
    return AccountReading(
        account_id=account_id,
        servers=servers,
        failback_servers=back,
        recovery_instances=instances,
        active_jobs=[*jobs_here, *jobs_there],
        # The originals live in the primary region, where a failback launches: the
        # candidate targets are also the origin instances whose tags complete DRS's.
        origins={target.instance_id: target for target in targets},
        targets=targets,
        others=[*primary_others, *(s for s in read if s.direction == FAILBACK)],
        lineage=await _lineage(spec, ec2, account_id, servers, targets),
        recovery_region=spec.recovery_region,
        launch_region=spec.primary_region,
        refused=ec2.refused,
    )


_INSTANCE_ID: TypeAdapter[str] = TypeAdapter(Ec2InstanceId)


def carried(instance_id: str) -> bool:
    """Does drsorch's contract carry this instance ID? DRS's own pattern is looser
    (`i-` and 8 or more hex digits): a server naming one it does not is left out by
    `assess` as one named problem, and its origin is never looked up."""
    try:
        _INSTANCE_ID.validate_python(instance_id)
    except ValidationError:
        return False
    return True


async def _lineage(
    spec: RequestSpec,
    ec2: Ec2Gateway,
    account_id: str,
    servers: Sequence[SourceServerRecord],
    targets: Sequence[CandidateTarget],
) -> dict[str, LineageInstance]:
    """What EC2 says of the originals DRS records here that are no live candidates.

    A terminated original is listed as terminated, and one EC2 does not know as
    `not_found`, so the matcher names that fact instead of pairing the server by Name.
    An origin DRS records in another account or region is refused on that fact alone.
    """
    live = {target.instance_id for target in targets}
    ids = sorted(
        {
            s.origin_instance_id
            for s in servers
            if s.origin_instance_id
            and carried(s.origin_instance_id)
            and s.origin_instance_id not in live
            and s.origin_account_id in (None, account_id)
            and s.origin_region in (None, spec.primary_region)
        }
    )
    if not ids:
        return {}
    try:
        found = {i.instance_id: i for i in await ec2.instances_by_id(ids)}
    except AccountProblem:
        return {}  # the matcher then says the instance is no live instance here
    return {
        instance_id: LineageInstance(
            instance_id=instance_id,
            account_id=account_id,
            region=spec.primary_region,
            state=found[instance_id].state if instance_id in found else "not_found",
            name=found[instance_id].name if instance_id in found else None,
        )
        for instance_id in ids
    }


async def _origins(
    spec: RequestSpec,
    access: AccountAccess,
    account_id: str,
    spoke: Spoke | None,
    servers: Sequence[SourceServerRecord],
) -> dict[str, CandidateTarget]:
    """The origin instances (this account, primary region) whose tags DRS may lack."""
    scope = spec.scope
    asked = frozenset(scope.source_server_ids) if scope.source_server_ids else None
    ids = sorted(
        {
            s.origin_instance_id
            for s in servers
            if s.origin_instance_id
            and carried(s.origin_instance_id)
            and s.origin_account_id in (None, account_id)
            and s.origin_region in (None, spec.primary_region)
            and needs_origin_tags(scope.selector, asked, s.source_server_id, s.tags)
        }
    )
    if not ids:
        return {}
    try:
        ec2 = await access.ec2(account_id, spoke, spec.primary_region)
        found = await ec2.instances_by_id(ids)
    except AccountProblem:
        # The primary region may be the one in trouble; servers are then selected on
        # their DRS tags alone.
        return {}
    return {instance.instance_id: instance for instance in found}


def _account_problem(account_id: str, problem: AccountProblem) -> Problem:
    return Problem(
        kind=problem.kind,
        account_id=account_id,
        region=problem.region,
        reason=problem.reason[:1024],
    )


def _not_found(spec: RequestSpec, found: Findings) -> list[Problem]:
    """Scope IDs no account yielded, each named (in the hub, where the request was made)."""
    ids = spec.scope.source_server_ids
    if not ids:
        return []
    seen = {s.source_server_id for s in found.servers}
    seen |= {s.failback_server.source_server_id for s in found.servers if s.failback_server}
    unreachable = any(p.source_server_id is None for p in found.problems)
    where = "the reachable accounts in scope" if unreachable else "any account in scope"
    return [
        Problem(
            kind="server_not_found",
            account_id=spec.accounts.hub,
            source_server_id=server_id,
            reason=f"no source server {server_id} in {where} (region {spec.recovery_region}"
            + (f" or {spec.primary_region})" if spec.operation == "failback" else ")"),
        )
        for server_id in ids
        if server_id not in seen
    ]
