"""Turn an estate into a flat plan: every server with every default and generator resolved.

The plan is plain data and pure to compute, so the checks, the seeding and the tests all
see the same servers, names and tags. Generators are deterministic for their seed.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from drsorch.local.estate.errors import Loc
from drsorch.local.estate.models import (
    Account,
    Disk,
    Estate,
    InstanceSpec,
    Network,
    ReverseReplication,
    Server,
)
from drsorch.local.estate.noise import GeneratedServers
from drsorch.local.estate.types import (
    DEFAULT_HUB_ACCOUNT,
    LAUNCH_INTO_TAG,
    WAVE_TAG,
    Architecture,
    InstanceState,
    PhaseName,
    RegionRole,
    ReplicationState,
)

DEFAULT_INSTANCE_TYPE: dict[str, str] = {"x86_64": "t3.medium", "arm64": "t4g.medium"}


@dataclass(frozen=True)
class PlannedInstance:
    """One EC2 instance to create, with its full tag set."""

    name: str
    tags: dict[str, str]
    state: InstanceState
    instance_type: str
    architecture: Architecture
    zone: str
    disks: tuple[Disk, ...]
    private_ip: str | None = None


@dataclass(frozen=True)
class PlannedServer:
    """One DRS source server and the EC2 instances that go with it."""

    loc: Loc
    name: str
    hostname: str
    tags: dict[str, str]
    architecture: Architecture
    replication_state: ReplicationState
    lag_seconds: int
    disks: tuple[Disk, ...]
    phase: PhaseName
    original: PlannedInstance
    target: PlannedInstance | None
    recovery: PlannedInstance | None
    reverse: ReverseReplication | None


@dataclass(frozen=True)
class PlannedAccount:
    loc: Loc
    id: str
    kind: str
    name: str
    role_name: str | None
    external_id: str | None
    drs_regions: tuple[RegionRole, ...]
    launch_into_source_instance: bool
    servers: tuple[PlannedServer, ...]
    reachable: bool = True


@dataclass(frozen=True)
class EstatePlan:
    estate: Estate
    accounts: tuple[PlannedAccount, ...]

    @property
    def server_count(self) -> int:
        return sum(len(account.servers) for account in self.accounts)


def plan_estate(estate: Estate) -> EstatePlan:
    """Resolve every default and expand every generator."""
    accounts = tuple(
        _plan_account(estate, index, account) for index, account in enumerate(estate.accounts)
    )
    return EstatePlan(estate=estate, accounts=accounts)


def account_id(account: Account) -> str:
    return account.id or (DEFAULT_HUB_ACCOUNT if account.kind == "hub" else "")


def zone_subnets(network: Network, role: RegionRole) -> dict[str, ipaddress.IPv4Network]:
    """The subnet of each zone letter: the n-th sixteenth of the VPC CIDR."""
    cidr = ipaddress.IPv4Network(
        network.primary_cidr if role == "primary" else network.recovery_cidr
    )
    sixteenths = list(cidr.subnets(prefixlen_diff=4))
    return {letter: sixteenths[i] for i, letter in enumerate(network.availability_zones)}


def _plan_account(estate: Estate, index: int, account: Account) -> PlannedAccount:
    loc: Loc = ("accounts", index)
    entries: list[tuple[Loc, Server, dict[str, str]]] = [
        ((*loc, "servers", i), server, {}) for i, server in enumerate(account.servers)
    ]
    for g, generator in enumerate(account.generators):
        seed = estate.seed if generator.seed is None else generator.seed
        generated = GeneratedServers(generator, seed=seed, stream=f"{index}/{g}")
        entries += [((*loc, "generators", g), server, renames) for server, renames in generated]
    zones = estate.network.availability_zones
    servers = tuple(
        _plan_server(estate, server_loc, server, renames, zones[position % len(zones)])
        for position, (server_loc, server, renames) in enumerate(entries)
    )
    return PlannedAccount(
        loc=loc,
        id=account_id(account),
        kind=account.kind,
        name=account.name or account.kind,
        role_name=account.role_name,
        external_id=account.external_id,
        drs_regions=tuple(dict.fromkeys(account.drs_regions)),
        launch_into_source_instance=account.launch_into_source_instance,
        servers=servers,
        reachable=account.reachable,
    )


def _plan_server(
    estate: Estate, loc: Loc, server: Server, renames: dict[str, str], spread_zone: str
) -> PlannedServer:
    """`renames` holds noisy Name tags by instance role; `spread_zone` is used if none is set."""
    phase = server.phase or estate.phase
    tags = {"Name": server.name, **server.tags}
    if server.wave is not None:
        tags[WAVE_TAG] = str(server.wave)
    instance_type = server.instance_type or DEFAULT_INSTANCE_TYPE[server.architecture]
    zone = server.availability_zone or spread_zone
    disks = tuple(server.disks)

    def instance(spec: InstanceSpec, role: str, default_state: InstanceState) -> PlannedInstance:
        instance_tags = {**tags, "Name": renames.get(role, spec.name or server.name), **spec.tags}
        if spec.allow_launch_into:
            instance_tags[LAUNCH_INTO_TAG[0]] = LAUNCH_INTO_TAG[1]
        return PlannedInstance(
            name=instance_tags["Name"],
            tags=instance_tags,
            state=spec.state or default_state,
            instance_type=spec.instance_type or instance_type,
            architecture=server.architecture,
            zone=zone,
            disks=disks,
            private_ip=spec.private_ip,
        )

    failed_over = phase == "failed_over"
    reverse = server.reverse_replication or estate.reverse_replication
    recovery = PlannedInstance(
        name=server.name,
        tags=tags,
        state="running",
        instance_type=instance_type,
        architecture=server.architecture,
        zone=zone,
        disks=disks,
    )
    return PlannedServer(
        loc=loc,
        name=server.name,
        hostname=server.hostname or default_hostname(server.name),
        tags=tags,
        architecture=server.architecture,
        replication_state=server.replication.state,
        lag_seconds=server.replication.lag_seconds,
        disks=disks,
        phase=phase,
        original=instance(server.original, "original", "stopped" if failed_over else "running"),
        target=instance(server.target, "target", "stopped") if server.target else None,
        recovery=recovery if failed_over else None,
        reverse=reverse if failed_over and reverse is not None and reverse.started else None,
    )


def default_hostname(name: str) -> str:
    """`' Web 01 '` -> `web-01`: what a server's hostname is when the file does not say."""
    return "-".join(name.split()).lower()
