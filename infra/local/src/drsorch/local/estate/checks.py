"""Consistency checks: what a valid shape can still get wrong (run once the shape is right).

Each check yields `(loc, message)`; the loader turns them into problems with lines.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterator

from drsorch.local.estate.errors import Loc, render_loc
from drsorch.local.estate.models import Estate, InstanceRef, InstanceSpec, ServerBody
from drsorch.local.estate.plan import (
    EstatePlan,
    PlannedAccount,
    PlannedInstance,
    PlannedServer,
    account_id,
    original_problem,
    zone_subnets,
)
from drsorch.local.estate.types import LAUNCH_INTO_TAG, MUST_NOT_LAUNCH, WAVE_TAG, RegionRole

Issue = tuple[Loc, str]
AWS_RESERVED_IPS = 5  # network, router, DNS, future use, broadcast


def check_estate(plan: EstatePlan, zones_by_region: dict[str, list[str]]) -> list[Issue]:
    """Every consistency problem of a well-shaped estate. `zones_by_region`: region -> zones."""
    estate = plan.estate
    return [
        *_regions(estate, zones_by_region),
        *_accounts(estate),
        *_specs(estate),
        *_reverse_replication(estate, plan),
        *(issue for account in plan.accounts for issue in _planned(estate, account)),
        *(issue for account in plan.accounts for issue in _references(estate, account)),
        *(issue for account in plan.accounts for issue in _decoys(estate, account)),
        *_lineage(plan, zones_by_region),
        *_decoy_tags(estate),
        *_staging(plan),
        *_replicating_quota(plan),
    ]


NOT_REPLICATING = frozenset({"STOPPED", "DISCONNECTED"})
"""Replication states a source server holds without counting as replicating."""


def _replicating_quota(plan: EstatePlan) -> Iterator[Issue]:
    """DRS holds at most `drs.quotas.replicating_servers` replicating servers per account
    and region, not adjustable: the recovery region of the account a server replicates in
    (its staging account, if any), and the primary region for reversed servers."""
    estate = plan.estate
    quota = estate.drs.quotas.replicating_servers
    counts: Counter[tuple[str, str]] = Counter()
    where: dict[str, Loc] = {}
    for account in plan.accounts:
        where.setdefault(account.id, account.loc)
        for server in account.servers:
            held_by = server.staging_account or account.id
            where.setdefault(held_by, account.loc)
            if server.replication_state not in NOT_REPLICATING:
                counts[held_by, estate.regions.recovery] += 1
            if server.reverse is not None:
                counts[account.id, estate.regions.primary] += 1
    for (held_by, region), count in counts.items():
        if count > quota:
            yield (
                where[held_by],
                f"account {held_by} has {count} replicating source servers in {region},"
                f" above the DRS quota of {quota} per account and region"
                " (drs.quotas.replicating_servers; DRS does not raise it): spread the servers"
                " over staging accounts (staging_accounts, and staging_account on servers)",
            )


def _staging(plan: EstatePlan) -> Iterator[Issue]:
    """A server's staging account is declared by its account and is a DRS-only account."""
    estate_accounts = {account.id for account in plan.accounts}
    for account in plan.accounts:
        for i, staging in enumerate(account.staging_accounts):
            if staging in estate_accounts:
                yield (
                    (*account.loc, "staging_accounts", i),
                    f"staging account {staging} is one of the estate's accounts; the emulator"
                    " models staging accounts that hold DRS servers only",
                )
        for server in account.servers:
            held_by = server.staging_account
            if held_by is None:
                continue
            loc = (*body_loc(server), "staging_account")
            if held_by not in account.staging_accounts:
                yield loc, f"staging account {held_by} is not in this account's staging_accounts"
            if server.phase != "protected":
                yield (
                    loc,
                    "a server replicating in a staging account is seeded protected only"
                    " (a failed-over extended server is not modelled by estate files)",
                )


def _regions(estate: Estate, zones_by_region: dict[str, list[str]]) -> Iterator[Issue]:
    regions = estate.regions
    if regions.primary == regions.recovery:
        yield ("regions", "recovery"), "the recovery region must differ from the primary region"
    for role in ("primary", "recovery"):
        region = getattr(regions, role)
        zones = zones_by_region.get(region)
        if zones is None:
            yield ("regions", role), f"unknown region {region!r}"
            continue
        for i, letter in enumerate(estate.network.availability_zones):
            if region + letter not in zones:
                known = ", ".join(zone[-1] for zone in zones)
                message = f"zone {region + letter} does not exist (zones: {known})"
                yield ("network", "availability_zones", i), message
    letters = estate.network.availability_zones
    for letter, count in Counter(letters).items():
        if count > 1:
            yield ("network", "availability_zones"), f"zone letter {letter!r} is listed twice"


def _accounts(estate: Estate) -> Iterator[Issue]:
    hubs = [i for i, account in enumerate(estate.accounts) if account.kind == "hub"]
    if not hubs:
        yield ("accounts",), "no account has kind: hub (exactly one must)"
    for i in hubs[1:]:
        yield ("accounts", i, "kind"), f"a second hub (the first is accounts[{hubs[0]}])"
    seen: dict[str, int] = {}
    for i, account in enumerate(estate.accounts):
        loc: Loc = ("accounts", i)
        ident = account_id(account)
        if account.kind == "spoke":
            if not account.id:
                yield loc, "a spoke needs its id"
            if not account.role_name:
                yield loc, "a spoke needs role_name: the role the hub assumes in it"
        elif account.role_name or account.external_id:
            key = "role_name" if account.role_name else "external_id"
            yield (*loc, key), "the hub is used with the caller's own credentials: no role here"
        if ident and ident in seen:
            yield (*loc, "id"), f"account {ident} is already accounts[{seen[ident]}]"
        seen.setdefault(ident, i)


def _specs(estate: Estate) -> Iterator[Issue]:
    """Tag conflicts, zones and phases in every server and generator template."""
    for i, account in enumerate(estate.accounts):
        bodies: list[tuple[Loc, ServerBody, int | None]] = [
            (("accounts", i, "servers", j), server, server.wave)
            for j, server in enumerate(account.servers)
        ]
        bodies += [
            (("accounts", i, "generators", g, "template"), gen.template, 0 if gen.waves else None)
            for g, gen in enumerate(account.generators)
        ]
        for loc, body, wave in bodies:
            yield from _body(loc, body, wave, estate)


def _body(loc: Loc, body: ServerBody, wave: int | None, estate: Estate) -> Iterator[Issue]:
    zones = estate.network.availability_zones
    if "Name" in body.tags:
        yield (*loc, "tags", "Name"), "set the Name tag with `name`, not in tags"
    if wave is not None and WAVE_TAG in body.tags:
        yield (
            (*loc, "tags", WAVE_TAG),
            f"the wave is given twice: by `wave` and by the {WAVE_TAG} tag",
        )
    if body.availability_zone is not None and body.availability_zone not in zones:
        yield (
            (*loc, "availability_zone"),
            f"zone {body.availability_zone!r} is not in network.availability_zones {zones}",
        )
    instances: list[tuple[str, InstanceSpec | None]] = [
        ("original", body.original),
        ("target", body.target),
    ]
    for role, spec in instances:
        if spec is None:
            continue
        if "Name" in spec.tags:
            yield (*loc, role, "tags", "Name"), f"set the Name tag with {role}.name, not in tags"
        if spec.allow_launch_into and LAUNCH_INTO_TAG[0] in spec.tags:
            message = "to write your own AWSDRS tag, set allow_launch_into: false"
            yield (*loc, role, "tags", LAUNCH_INTO_TAG[0]), message
    protected = (body.phase or estate.phase) == "protected"
    if protected and body.reverse_replication is not None:
        yield (
            (*loc, "reverse_replication"),
            "reverse replication follows a failover: not while protected",
        )
    yield from _traps(loc, body, protected=protected)


def _traps(loc: Loc, body: ServerBody, *, protected: bool) -> Iterator[Issue]:
    """Keys that lay traps, where they cannot mean anything."""
    original, reverse = body.original, body.reverse_replication
    if not original.exists:
        for key in ("state", "private_ip", "architecture", "instance_type"):
            if getattr(original, key) is not None:
                message = f"an original EC2 never saw has no {key}: drop it, or exists: true"
                yield (*loc, "original", key), message
    if body.target is not None and not body.target.exists:
        yield (*loc, "target", "exists"), "only an original can be recorded without existing"
    if protected and body.recovery is not None:
        yield (*loc, "recovery"), "a recovery instance follows a failover: not while protected"
    if reverse is not None and reverse.duplicates and not reverse.started:
        message = "duplicates are FAILBACK servers of a started reverse replication"
        yield (*loc, "reverse_replication", "duplicates"), message
    if (
        reverse is not None
        and reverse.earlier_landing
        and (not original.exists or body.lineage is not None)
    ):
        message = "an earlier landing is a launch into the original, in its own account and region"
        yield (*loc, "reverse_replication", "earlier_landing"), message
    if body.lineage is not None and original.private_ip is not None:
        message = "an original recorded elsewhere (lineage) gets an allocated IP: drop it"
        yield (*loc, "original", "private_ip"), message
    yield from _expect(loc, body, protected=protected)


def _expect(loc: Loc, body: ServerBody, *, protected: bool) -> Iterator[Issue]:
    expect = body.expect
    if expect == "land-in-target" and body.target is None:
        yield (*loc, "expect"), "land-in-target needs a target"
    if protected and expect == "land-in-original":
        message = "a failover lands in the recovery region: land-in-target or new-instance"
        yield (*loc, "expect"), message
    if not protected and expect == "land-in-target":
        message = "a failback lands in the primary region: land-in-original or new-instance"
        yield (*loc, "expect"), message


def _reverse_replication(estate: Estate, plan: EstatePlan) -> Iterator[Issue]:
    if estate.phase != "protected" or estate.reverse_replication is None:
        return
    if not any(s.phase == "failed_over" for a in plan.accounts for s in a.servers):
        yield (
            ("reverse_replication",),
            "reverse replication follows a failover: set phase: failed_over",
        )


def _planned(estate: Estate, account: PlannedAccount) -> Iterator[Issue]:
    """Checks over resolved servers: names, DRS regions, private IPs, subnet room."""
    first: dict[str, Loc] = {}
    for server in account.servers:
        if server.name in first:
            where = render_loc(first[server.name])
            message = f"server name {server.name!r} is already used by {where} in this account"
            yield server.loc, message + " (to give two originals one Name, set original.name)"
        first.setdefault(server.name, server.loc)
    if account.servers and "recovery" not in account.drs_regions:
        yield (
            (*account.loc, "drs_regions"),
            "servers are held by DRS in the recovery region: list it",
        )
    if any(s.reverse for s in account.servers) and "primary" not in account.drs_regions:
        yield (*account.loc, "drs_regions"), "reverse replication needs DRS in the primary region"
    yield from _addresses(estate, account, "primary")
    yield from _addresses(estate, account, "recovery")


def body_loc(server: PlannedServer) -> Loc:
    """Where a server's keys are written: its own entry, or its generator's template."""
    return (*server.loc, "template") if server.loc[-2] == "generators" else server.loc


def _references(estate: Estate, account: PlannedAccount) -> Iterator[Issue]:
    """Every instance named by reference exists in the account; declared expectations hold."""
    servers = {server.name: server for server in account.servers}
    decoys = {decoy.instance.name for decoy in account.decoys}
    for server in account.servers:
        loc = body_loc(server)
        presets = server.presets
        refs: list[tuple[Loc, InstanceRef | str | None]] = [
            ((*loc, "launch_configuration", "launch_into"), presets.launch_into),
            ((*loc, "launch_configuration", "failover_launch_into"), presets.failover_launch_into),
            ((*loc, "faults", "land_in"), presets.land_in),
        ]
        for ref_loc, ref in refs:
            if isinstance(ref, InstanceRef):
                yield from _reference(ref_loc, ref, servers, decoys)
        if server.expect.outcome == "land-in-original" and server.expect.declared:
            primary = estate.regions.primary
            problem = original_problem(server.origin, server.original, account.id, primary)
            if problem is not None:
                yield (*loc, "expect"), f"land-in-original cannot hold: {problem}"
        if server.expect.outcome == MUST_NOT_LAUNCH and not server.expect.reason:
            yield (*loc, "expect"), "say why it must not launch"


def _reference(
    loc: Loc, ref: InstanceRef, servers: dict[str, PlannedServer], decoys: set[str]
) -> Iterator[Issue]:
    if ref.server is not None and ref.server not in servers:
        yield (*loc, "server"), f"no server named {ref.server!r} in this account"
    if ref.target is not None:
        owner = servers.get(ref.target)
        if owner is None:
            yield (*loc, "target"), f"no server named {ref.target!r} in this account"
        elif owner.target is None:
            yield (*loc, "target"), f"server {ref.target!r} has no target"
    if ref.instance is not None and ref.instance not in decoys:
        known = ", ".join(sorted(decoys)) or "none"
        message = f"no instance named {ref.instance!r} in this account's instances (known: {known})"
        yield (*loc, "instance"), message


def _decoys(estate: Estate, account: PlannedAccount) -> Iterator[Issue]:
    names = {server.name for server in account.servers}
    seen: dict[str, Loc] = {}
    zones = estate.network.availability_zones
    for decoy in account.decoys:
        name = decoy.instance.name
        if name in seen:
            yield (
                (*decoy.loc, "name"),
                f"instance name {name!r} is already {render_loc(seen[name])}",
            )
        seen.setdefault(name, decoy.loc)
        if decoy.near is not None and decoy.near not in names:
            yield (*decoy.loc, "near"), f"no server named {decoy.near!r} in this account"
        if decoy.instance.zone not in zones:
            message = f"zone {decoy.instance.zone!r} is not in network.availability_zones {zones}"
            yield (*decoy.loc, "availability_zone"), message


def _decoy_tags(estate: Estate) -> Iterator[Issue]:
    for a, account in enumerate(estate.accounts):
        for i, spec in enumerate(account.instances):
            loc: Loc = ("accounts", a, "instances", i, "tags")
            if "Name" in spec.tags:
                yield (*loc, "Name"), "set the Name tag with `name`, not in tags"
            if spec.allow_launch_into and LAUNCH_INTO_TAG[0] in spec.tags:
                message = "to write your own AWSDRS tag, set allow_launch_into: false"
                yield (*loc, LAUNCH_INTO_TAG[0]), message


def _lineage(plan: EstatePlan, zones_by_region: dict[str, list[str]]) -> Iterator[Issue]:
    """An origin region exists, and an original created there has its zone."""
    for account in plan.accounts:
        for server in account.servers:
            region = server.origin.region
            loc = (*body_loc(server), "lineage", "origin_region")
            zones = zones_by_region.get(region)
            if zones is None:
                yield loc, f"unknown region {region!r}"
            elif server.origin.created and region + server.original.zone not in zones:
                message = f"zone {region + server.original.zone} does not exist for the original"
                yield loc, message


def _addresses(estate: Estate, account: PlannedAccount, role: RegionRole) -> Iterator[Issue]:
    """Fixed private IPs inside their zone's subnet and unused; every subnet big enough."""
    subnets = zone_subnets(estate.network, role)
    used: dict[str, Loc] = {}
    per_zone: Counter[str] = Counter()
    key = "original" if role == "primary" else "target"
    for decoy in account.decoys:
        if decoy.region == role:
            per_zone[decoy.instance.zone] += 1
            yield from _address((*decoy.loc, "private_ip"), decoy.instance, subnets, used, role)
    for server in account.servers:
        instances = [server.original] if role == "primary" else [server.target, server.recovery]
        for instance in filter(None, instances):
            per_zone[instance.zone] += 1
            loc = (*server.loc, key, "private_ip")
            yield from _address(loc, instance, subnets, used, role)
    for zone, count in per_zone.items():
        subnet = subnets.get(zone)
        if subnet is not None and count > subnet.num_addresses - AWS_RESERVED_IPS:
            message = f"{count} instances do not fit zone {zone}'s subnet {subnet}"
            yield ("network", f"{role}_cidr"), message + f": widen the {role}_cidr"


def _address(
    loc: Loc,
    instance: PlannedInstance,
    subnets: dict[str, ipaddress.IPv4Network],
    used: dict[str, Loc],
    role: RegionRole,
) -> Iterator[Issue]:
    ip = instance.private_ip
    if ip is None:
        return
    subnet = subnets.get(instance.zone)
    if subnet is not None and ipaddress.IPv4Address(ip) not in subnet:
        yield loc, f"{ip} is outside zone {instance.zone}'s subnet {subnet} ({role} region)"
    if ip in used:
        yield loc, f"{ip} is already used by {render_loc(used[ip])}"
    used.setdefault(ip, loc[:-2] if loc[-2] in {"original", "target"} else loc[:-1])
