"""Every EC2 instance of an estate, laid out by account and region, created in one pass.

A server's original lives where its lineage says (another account of the estate, another
region) or nowhere (only recorded); targets, recovery instances and decoys live in their
own account. Networks are made in both regions of every account, and in any other region
an original is placed in.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from drsorch.local.estate.models import Estate
from drsorch.local.estate.moto_ec2 import CreatedInstance, create_instances, create_network
from drsorch.local.estate.plan import EstatePlan, PlannedInstance, PlannedServer, zone_subnets
from drsorch.local.estate.report import CountKey, InstanceKind, SeededInstance
from drsorch.local.estate.types import RegionRole

InstanceKey = tuple[InstanceKind, str, str]  # kind, owning account, server or decoy name
Where = tuple[str, str]  # account, region


@dataclass
class Instances:
    """The instances made, by (kind, owning account, server or decoy name)."""

    created: dict[InstanceKey, CreatedInstance] = field(default_factory=dict)
    seeded_by_key: dict[InstanceKey, SeededInstance] = field(default_factory=dict)
    recorded: dict[tuple[str, str], str] = field(default_factory=dict)

    def get(self, kind: InstanceKind, account_id: str, name: str) -> CreatedInstance | None:
        return self.created.get((kind, account_id, name))

    def of_server(self, account_id: str, name: str) -> tuple[SeededInstance, ...]:
        """Its original, target and recovery instances, and the decoys near it."""
        return tuple(
            seeded
            for (kind, account, key), seeded in self.seeded_by_key.items()
            if account == account_id and (key == name if kind != "decoy" else seeded.server == name)
        )

    def seeded(self) -> tuple[SeededInstance, ...]:
        return tuple(self.seeded_by_key.values())

    def recorded_original(self, account_id: str, server: PlannedServer) -> str:
        return self.recorded[account_id, server.name]


def fabricated_instance_id(estate: Estate, account_id: str, server: PlannedServer) -> str:
    """A well-formed instance ID EC2 never issued, the same for the same file."""
    digest = hashlib.sha256(f"{estate.name}/{account_id}/{server.name}".encode()).hexdigest()
    return "i-" + digest[:17]


def seed_ec2(plan: EstatePlan, counts: Counter[CountKey]) -> Instances:
    """Create every network and instance of the plan; say what was made."""
    estate = plan.estate
    regions: dict[RegionRole, str] = {
        "primary": estate.regions.primary,
        "recovery": estate.regions.recovery,
    }
    wanted: defaultdict[Where, list[tuple[InstanceKey, PlannedInstance, str | None]]]
    wanted = defaultdict(list)
    made = Instances()
    for account in plan.accounts:
        for server in account.servers:
            origin = server.origin
            if origin.created:
                where = (origin.account_id, origin.region)
                wanted[where].append((("original", account.id, server.name), server.original, None))
            else:
                made.recorded[account.id, server.name] = fabricated_instance_id(
                    estate, account.id, server
                )
            in_recovery: list[tuple[InstanceKey, PlannedInstance | None]] = [
                (("target", account.id, server.name), server.target),
                (("recovery", account.id, server.name), server.recovery),
            ]
            for key, spec in in_recovery:
                if spec is not None:
                    wanted[account.id, regions["recovery"]].append((key, spec, None))
        for decoy in account.decoys:
            decoy_key: InstanceKey = ("decoy", account.id, decoy.instance.name)
            key = decoy_key
            wanted[account.id, regions[decoy.region]].append((key, decoy.instance, decoy.near))
    networks = _networks(plan, regions, set(wanted), counts)
    for (account_id, region), entries in wanted.items():
        specs = [spec for _, spec, _ in entries]
        created = create_instances(account_id, region, networks[account_id, region], specs)
        for (key, spec, near), instance in zip(entries, created, strict=True):
            made.created[key] = instance
            kind, _, name = key
            made.seeded_by_key[key] = SeededInstance(
                kind=kind,
                name=spec.name,
                instance_id=instance.instance_id,
                account_id=account_id,
                region=region,
                state=spec.state,
                architecture=spec.architecture,
                server=near if kind == "decoy" else name,
            )
            counts[account_id, region, f"EC2 {kind} instance"] += 1
    return made


def _networks(
    plan: EstatePlan,
    regions: dict[RegionRole, str],
    needed: set[Where],
    counts: Counter[CountKey],
) -> dict[Where, dict[str, str]]:
    """A VPC and subnets in both regions of every account, and wherever an original goes."""
    network = plan.estate.network
    name = f"drsorch-{plan.estate.name}"
    places = [(a.id, region) for a in plan.accounts for region in regions.values()]
    places += sorted(needed - set(places))
    subnets: dict[Where, dict[str, str]] = {}
    for account_id, region in places:
        role: RegionRole = "recovery" if region == regions["recovery"] else "primary"
        cidr = network.recovery_cidr if role == "recovery" else network.primary_cidr
        zones = zone_subnets(network, role)
        subnets[account_id, region] = create_network(account_id, region, cidr, zones, name)
        counts[account_id, region, "VPC"] += 1
        counts[account_id, region, "subnet"] += len(zones)
    return subnets
