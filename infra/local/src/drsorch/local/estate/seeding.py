"""Seed an estate into the local endpoint's process: moto's EC2 and IAM, and the DRS emulator.

Run it in the process that serves the endpoint (or in a test's process, where the
`endpoint` fixture serves). It adds to whatever is there: reset the endpoint first
(`POST /moto-api/reset` and the emulator's reset) to start from an empty estate.

Seeding goes in three passes so that a server's original can live in another account of
the estate (its recorded lineage): the networks of every account, then every EC2
instance, then the DRS state and the presets that name instances by ID.
"""

from __future__ import annotations

import time
from collections import Counter

from drsorch.local import heap
from drsorch.local.drs import seed as drs
from drsorch.local.drs.settings import ServerFault
from drsorch.local.estate.checks import check_estate
from drsorch.local.estate.ec2_layout import Instances, fabricated_instance_id, seed_ec2
from drsorch.local.estate.errors import EstateError, Problem, SeedError, render_loc
from drsorch.local.estate.models import Estate, InstanceRef
from drsorch.local.estate.moto_ec2 import GIB, create_role
from drsorch.local.estate.plan import PlannedAccount, PlannedServer, plan_estate
from drsorch.local.estate.regions import zones_by_region
from drsorch.local.estate.report import CountKey, SeededInstance, SeededServer, SeedReport

__all__ = ["SeedReport", "SeededInstance", "SeededServer", "seed_estate"]


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
    for account in plan.accounts:
        _seed_access(estate, account, hub, counts)
    made = seed_ec2(plan, counts)
    servers: list[SeededServer] = []
    faults: dict[str, ServerFault] = {}
    for account in plan.accounts:
        for server in account.servers:
            try:
                seeded = _seed_server(estate, account, server, made, counts)
            except ValueError as error:  # the emulator's seed API refused it
                where = f"{render_loc(server.loc)} ({server.name!r})"
                raise SeedError(f"{where}: the DRS emulator refused it: {error}") from error
            servers.append(seeded)
            fault = _fault(server, account, made)
            if fault is not None:
                faults[seeded.launching_source_server_id] = fault
    if faults:
        _add_faults(faults)
    heap.keep_estate()
    return SeedReport(
        estate=estate.name,
        seconds=time.perf_counter() - started,
        counts=dict(counts),
        servers=tuple(servers),
        instances=made.seeded(),
    )


def _seed_access(
    estate: Estate, account: PlannedAccount, hub: str, counts: Counter[CountKey]
) -> None:
    """The spoke's role, and DRS initialised where the account uses it."""
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
    for staging in account.staging_accounts:
        drs.initialize_service(staging, estate.regions.recovery)
        drs.trust_staging_account(account.id, staging)
        counts[staging, estate.regions.recovery, "DRS initialised (staging account)"] += 1


def _earlier_landing(
    account_id: str,
    recovery: str,
    server: PlannedServer,
    recovery_instance_id: str,
    counts: Counter[CountKey],
    *,
    replicating: bool,
) -> tuple[str, str]:
    """T10: an earlier round trip's landing; and its FAILBACK server, replication stopped,
    when none replicates the recovery instance back now."""
    earlier = drs.add_earlier_landing(account_id, recovery, recovery_instance_id)
    counts[account_id, server.origin.region, "DRS recovery instance (earlier landing)"] += 1
    if not replicating:
        counts[account_id, server.origin.region, "DRS source server (FAILBACK)"] += 1
    return earlier


def _seed_server(
    estate: Estate,
    account: PlannedAccount,
    server: PlannedServer,
    made: Instances,
    counts: Counter[CountKey],
) -> SeededServer:
    primary, recovery = estate.regions.primary, estate.regions.recovery
    account_id = account.id
    original = made.get("original", account_id, server.name)
    original_id = (
        original.instance_id if original else fabricated_instance_id(estate, account_id, server)
    )
    zone = original.zone if original else server.origin.region + server.original.zone
    source = drs.SourceServerSeed(
        hostname=server.hostname,
        origin_instance_id=original_id,
        origin_account_id=server.origin.account_id,
        origin_region=server.origin.region,
        origin_availability_zone=zone,
        tags=dict(server.tags),
        architecture=server.architecture,
        replication_state=server.replication_state,
        lag_seconds=server.lag_seconds,
        disks=tuple(drs.DiskSeed(d.device, d.size_gib * GIB) for d in server.disks),
        private_ip=original.private_ip if original else None,
    )
    staging_id = None
    if server.staging_account is None:
        source_server_id = drs.add_source_server(account_id, recovery, source)
        counts[account_id, recovery, "DRS source server (FAILOVER)"] += 1
    else:
        staging_id = drs.add_source_server(server.staging_account, recovery, source)
        counts[server.staging_account, recovery, "DRS source server (FAILOVER, staging)"] += 1
        source_server_id = drs.extend_source_server(
            account_id, recovery, server.staging_account, staging_id, tags=server.tags
        )
        counts[account_id, recovery, "DRS source server (FAILOVER, extended)"] += 1
    launched = made.get("recovery", account_id, server.name)
    recovery_instance_id = failback_id = None
    earlier: tuple[str, str] | None = None
    duplicates: list[str] = []
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
            counts[account_id, server.origin.region, "DRS source server (FAILBACK)"] += 1
            for _ in range(server.reverse.duplicates):
                duplicates.append(
                    drs.add_failback_duplicate(
                        account_id,
                        recovery,
                        recovery_instance_id,
                        replication_state=server.reverse.state,
                        lag_seconds=server.reverse.lag_seconds,
                    )
                )
                counts[account_id, server.origin.region, "DRS source server (FAILBACK)"] += 1
        if server.earlier_landing:
            earlier = _earlier_landing(
                account_id,
                recovery,
                server,
                recovery_instance_id,
                counts,
                replicating=failback_id is not None,
            )
    presets = server.presets
    failover_into = _resolve(presets.failover_launch_into, account, made)
    if failover_into is not None:
        drs.set_launch_into(account_id, recovery, source_server_id, failover_into)
    launch_into = _resolve(presets.launch_into, account, made)
    if launch_into is not None:
        if failback_id is not None:
            for server_id in (failback_id, *duplicates):
                drs.set_launch_into(account_id, server.origin.region, server_id, launch_into)
        else:
            drs.set_launch_into(account_id, recovery, source_server_id, launch_into)
    target = made.get("target", account_id, server.name)
    expected = {
        "land-in-original": original_id,
        "land-in-target": target.instance_id if target else None,
    }.get(server.expect.outcome)
    return SeededServer(
        account_id=account_id,
        name=server.name,
        hostname=server.hostname,
        source_server_id=source_server_id,
        original_instance_id=original_id,
        target_instance_id=target.instance_id if target else None,
        recovery_ec2_instance_id=launched.instance_id if launched else None,
        recovery_instance_id=recovery_instance_id,
        failback_source_server_id=failback_id,
        failback_duplicate_ids=tuple(duplicates),
        earlier_failback_server_id=earlier[0] if earlier else None,
        earlier_landing_id=earlier[1] if earlier else None,
        origin_account_id=server.origin.account_id,
        origin_region=server.origin.region,
        original_exists=original is not None,
        expect=server.expect.outcome,
        expect_reason=server.expect.reason,
        expect_declared=server.expect.declared,
        expected_instance_id=expected,
        preset_launch_into=launch_into,
        preset_failover_launch_into=failover_into,
        instances=made.of_server(account_id, server.name),
        primary_region=primary,
        recovery_region=recovery,
        staging_account_id=server.staging_account,
        staging_source_server_id=staging_id,
    )


def _resolve(ref: InstanceRef | None, account: PlannedAccount, made: Instances) -> str | None:
    """The instance ID a reference names (checks made sure it names something)."""
    if ref is None:
        return None
    if ref.instance is not None:
        decoy = made.get("decoy", account.id, ref.instance)
        return decoy.instance_id if decoy else None
    if ref.target is not None:
        target = made.get("target", account.id, ref.target)
        return target.instance_id if target else None
    assert ref.server is not None  # InstanceRef holds exactly one
    original = made.get("original", account.id, ref.server)
    if original is not None:
        return original.instance_id
    owner = next(s for s in account.servers if s.name == ref.server)
    return made.recorded_original(account.id, owner)


def _fault(server: PlannedServer, account: PlannedAccount, made: Instances) -> ServerFault | None:
    presets = server.presets
    if not presets.has_faults:
        return None
    land_in = presets.land_in
    return ServerFault(
        launch_failure=presets.launch_failure,
        stall_replication=presets.stall_replication,
        land_in=land_in
        if land_in is None or land_in == "new"
        else _resolve(land_in, account, made),
    )


def _add_faults(faults: dict[str, ServerFault]) -> None:
    settings = drs.settings()
    merged = {**settings.faults.servers, **faults}
    drs.configure(
        settings.model_copy(
            update={"faults": settings.faults.model_copy(update={"servers": merged})}
        )
    )
