"""Seed an estate into the local endpoint's process: moto's EC2 and IAM, and the DRS emulator.

Run it in the process that serves the endpoint (or in a test's process, where the
`endpoint` fixture serves). It adds to whatever is there: reset the endpoint first
(`POST /moto-api/reset` and the emulator's reset) to start from an empty estate.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from drsorch.local.drs import seed as drs
from drsorch.local.estate.checks import check_estate
from drsorch.local.estate.errors import EstateError, Problem, SeedError, render_loc
from drsorch.local.estate.models import Estate
from drsorch.local.estate.moto_ec2 import (
    GIB,
    CreatedInstance,
    create_instances,
    create_network,
    create_role,
)
from drsorch.local.estate.plan import PlannedAccount, PlannedServer, plan_estate, zone_subnets
from drsorch.local.estate.regions import zones_by_region
from drsorch.local.estate.types import RegionRole

CountKey = tuple[str, str, str]  # account ID, region (or "global"), kind


@dataclass(frozen=True)
class SeededServer:
    """Where one server of the estate ended up: every ID a test or a demo needs."""

    account_id: str
    name: str
    hostname: str
    source_server_id: str
    original_instance_id: str
    target_instance_id: str | None = None
    recovery_ec2_instance_id: str | None = None
    recovery_instance_id: str | None = None
    failback_source_server_id: str | None = None


@dataclass(frozen=True)
class SeedReport:
    """What seeding created, per account, region and kind, and how long it took."""

    estate: str
    seconds: float
    counts: dict[CountKey, int]
    servers: tuple[SeededServer, ...] = field(repr=False)

    def render(self) -> str:
        lines = [f"estate {self.estate!r}: {len(self.servers)} servers in {self.seconds:.2f} s"]
        lines += [
            f"  {account}  {region:<14} {kind:<30} {count:>6}"
            for (account, region, kind), count in sorted(self.counts.items())
        ]
        return "\n".join(lines)


def seed_estate(estate: Estate) -> SeedReport:
    """Create the estate's VPCs, instances, spoke roles and DRS state; say what was made.

    An estate built in code rather than loaded is checked here first (`EstateError`).
    """
    started = time.perf_counter()
    plan = plan_estate(estate)
    issues = check_estate(plan, zones_by_region())
    if issues:
        problems = [Problem(None, render_loc(loc), message) for loc, message in issues]
        raise EstateError(f"estate {estate.name!r}", problems)
    drs.configure(estate.drs)
    counts: Counter[CountKey] = Counter()
    hub = next(account.id for account in plan.accounts if account.kind == "hub")
    servers: list[SeededServer] = []
    for account in plan.accounts:
        servers += _seed_account(estate, account, hub, counts)
    return SeedReport(
        estate=estate.name,
        seconds=time.perf_counter() - started,
        counts=dict(counts),
        servers=tuple(servers),
    )


@dataclass(frozen=True)
class _Instances:
    """The EC2 instances made for an account's servers, by server name."""

    originals: dict[str, CreatedInstance]
    targets: dict[str, CreatedInstance]
    recoveries: dict[str, CreatedInstance]


def _seed_account(
    estate: Estate, account: PlannedAccount, hub: str, counts: Counter[CountKey]
) -> list[SeededServer]:
    role_name = account.role_name if account.kind == "spoke" and account.reachable else None
    if role_name and create_role(account.id, role_name, hub, account.external_id):
        counts[account.id, "global", "IAM role"] += 1
    for role in account.drs_regions:
        region = estate.regions.primary if role == "primary" else estate.regions.recovery
        drs.initialize_service(account.id, region)
        drs.set_launch_configuration_template(
            account.id, region, launch_into_source_instance=account.launch_into_source_instance
        )
        counts[account.id, region, "DRS initialised"] += 1
    made = _seed_ec2(estate, account, counts)
    seeded = []
    for server in account.servers:
        try:
            seeded.append(_seed_server(estate, account.id, server, made, counts))
        except ValueError as error:  # the emulator's seed API refused it
            where = f"{render_loc(server.loc)} ({server.name!r})"
            raise SeedError(f"{where}: the DRS emulator refused it: {error}") from error
    return seeded


def _seed_ec2(estate: Estate, account: PlannedAccount, counts: Counter[CountKey]) -> _Instances:
    subnets: dict[str, dict[str, str]] = {}
    regions: dict[RegionRole, str] = {
        "primary": estate.regions.primary,
        "recovery": estate.regions.recovery,
    }
    for role, region in regions.items():
        network = estate.network
        cidr = network.primary_cidr if role == "primary" else network.recovery_cidr
        zones = zone_subnets(network, role)
        subnets[role] = create_network(account.id, region, cidr, zones, f"drsorch-{estate.name}")
        counts[account.id, region, "VPC"] += 1
        counts[account.id, region, "subnet"] += len(zones)

    def make(role: RegionRole, kind: str) -> dict[str, CreatedInstance]:
        wanted = [(s.name, getattr(s, kind)) for s in account.servers]
        wanted = [(name, spec) for name, spec in wanted if spec is not None]
        created = create_instances(
            account.id, regions[role], subnets[role], [spec for _, spec in wanted]
        )
        if created:
            counts[account.id, regions[role], f"EC2 {kind} instance"] += len(created)
        return {name: instance for (name, _), instance in zip(wanted, created, strict=True)}

    return _Instances(
        originals=make("primary", "original"),
        targets=make("recovery", "target"),
        recoveries=make("recovery", "recovery"),
    )


def _seed_server(
    estate: Estate,
    account_id: str,
    server: PlannedServer,
    made: _Instances,
    counts: Counter[CountKey],
) -> SeededServer:
    primary, recovery = estate.regions.primary, estate.regions.recovery
    original = made.originals[server.name]
    source = drs.SourceServerSeed(
        hostname=server.hostname,
        origin_instance_id=original.instance_id,
        origin_account_id=account_id,
        origin_region=primary,
        origin_availability_zone=original.zone,
        tags=dict(server.tags),
        architecture=server.architecture,
        replication_state=server.replication_state,
        lag_seconds=server.lag_seconds,
        disks=tuple(drs.DiskSeed(d.device, d.size_gib * GIB) for d in server.disks),
        private_ip=original.private_ip,
    )
    source_server_id = drs.add_source_server(account_id, recovery, source)
    counts[account_id, recovery, "DRS source server (FAILOVER)"] += 1
    target = made.targets.get(server.name)
    launched = made.recoveries.get(server.name)
    recovery_instance_id = failback_id = None
    if launched is not None:
        recovery_instance_id = drs.add_recovery_instance(
            account_id, recovery, source_server_id, launched.instance_id
        )
        counts[account_id, recovery, "DRS recovery instance"] += 1
        if server.reverse is not None:
            failback_id = drs.start_reverse_replication(
                account_id,
                recovery,
                recovery_instance_id,
                replication_state=server.reverse.state,
                lag_seconds=server.reverse.lag_seconds,
            )
            counts[account_id, primary, "DRS source server (FAILBACK)"] += 1
    return SeededServer(
        account_id=account_id,
        name=server.name,
        hostname=server.hostname,
        source_server_id=source_server_id,
        original_instance_id=original.instance_id,
        target_instance_id=target.instance_id if target else None,
        recovery_ec2_instance_id=launched.instance_id if launched else None,
        recovery_instance_id=recovery_instance_id,
        failback_source_server_id=failback_id,
    )
