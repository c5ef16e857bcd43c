"""Consistency checks: what a valid shape can still get wrong (run once the shape is right).

Each check yields `(loc, message)`; the loader turns them into problems with lines.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterator

from drsorch.local.estate.errors import Loc, render_loc
from drsorch.local.estate.models import Estate, InstanceSpec, ServerBody
from drsorch.local.estate.plan import EstatePlan, PlannedAccount, account_id, zone_subnets
from drsorch.local.estate.types import LAUNCH_INTO_TAG, WAVE_TAG, RegionRole

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
    ]


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
    if (body.phase or estate.phase) == "protected" and body.reverse_replication is not None:
        yield (
            (*loc, "reverse_replication"),
            "reverse replication follows a failover: not while protected",
        )


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


def _addresses(estate: Estate, account: PlannedAccount, role: RegionRole) -> Iterator[Issue]:
    """Fixed private IPs inside their zone's subnet and unused; every subnet big enough."""
    subnets = zone_subnets(estate.network, role)
    used: dict[str, Loc] = {}
    per_zone: Counter[str] = Counter()
    key = "original" if role == "primary" else "target"
    for server in account.servers:
        instances = [server.original] if role == "primary" else [server.target, server.recovery]
        for instance in filter(None, instances):
            per_zone[instance.zone] += 1
            ip = instance.private_ip
            if ip is None:
                continue
            loc = (*server.loc, key, "private_ip")
            subnet = subnets.get(instance.zone)
            if subnet is not None and ipaddress.IPv4Address(ip) not in subnet:
                yield loc, f"{ip} is outside zone {instance.zone}'s subnet {subnet} ({role} region)"
            if ip in used:
                yield loc, f"{ip} is already used by {render_loc(used[ip])}"
            used.setdefault(ip, server.loc)
    for zone, count in per_zone.items():
        subnet = subnets.get(zone)
        if subnet is not None and count > subnet.num_addresses - AWS_RESERVED_IPS:
            message = f"{count} instances do not fit zone {zone}'s subnet {subnet}"
            yield ("network", f"{role}_cidr"), message + f": widen the {role}_cidr"
