"""Turn an estate into a flat plan: every server with every default and generator resolved.

The plan is plain data and pure to compute, so the checks, the seeding and the tests all
see the same servers, names and tags. Generators are deterministic for their seed.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

from drsorch.local.estate.errors import Loc
from drsorch.local.estate.models import (
    Account,
    Decoy,
    Disk,
    Estate,
    InstanceRef,
    InstanceSpec,
    MustNotLaunch,
    Network,
    ReverseReplication,
    Server,
)
from drsorch.local.estate.noise import GeneratedServers
from drsorch.local.estate.types import (
    DEFAULT_HUB_ACCOUNT,
    LAUNCH_INTO_TAG,
    MUST_NOT_LAUNCH,
    WAVE_TAG,
    Architecture,
    InstanceState,
    Outcome,
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
class Origin:
    """Where DRS records a server's origin, and whether the original is created there."""

    account_id: str
    region: str
    in_estate: bool
    """The origin account is one of the estate's: the original instance is created there."""
    exists: bool
    """False: the instance ID is recorded only (EC2 never saw it)."""

    @property
    def created(self) -> bool:
        return self.in_estate and self.exists


@dataclass(frozen=True)
class Presets:
    """DRS state laid before drsorch runs: launch-into targets and emulator faults."""

    launch_into: InstanceRef | None = None
    """On the server that launches next (FAILBACK once reverse replication started)."""
    failover_launch_into: InstanceRef | None = None
    land_in: InstanceRef | Literal["new"] | None = None
    launch_failure: str | None = None
    stall_replication: bool = False

    @property
    def has_faults(self) -> bool:
        return self.land_in is not None or self.launch_failure is not None or self.stall_replication


@dataclass(frozen=True)
class Expectation:
    """Ground truth for a server: where a correct drsorch run leaves it."""

    outcome: Outcome
    reason: str | None = None
    declared: bool = True
    """False when the file gave no `expect` and this is the default."""


@dataclass(frozen=True)
class PlannedDecoy:
    """An instance tied to no server."""

    loc: Loc
    region: RegionRole
    near: str | None
    instance: PlannedInstance


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
    origin: Origin
    presets: Presets
    expect: Expectation
    staging_account: str | None = None
    """The staging account it replicates in (extended into its own account), if any."""
    earlier_landing: bool = False
    """T10: an earlier round trip's failback into the original, never retired."""


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
    decoys: tuple[PlannedDecoy, ...] = ()
    staging_accounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class EstatePlan:
    estate: Estate
    accounts: tuple[PlannedAccount, ...]

    @property
    def server_count(self) -> int:
        return sum(len(account.servers) for account in self.accounts)


def plan_estate(estate: Estate) -> EstatePlan:
    """Resolve every default and expand every generator."""
    known = frozenset(account_id(account) for account in estate.accounts)
    accounts = tuple(
        _plan_account(estate, index, account, known)
        for index, account in enumerate(estate.accounts)
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


def _plan_account(
    estate: Estate, index: int, account: Account, known: frozenset[str]
) -> PlannedAccount:
    loc: Loc = ("accounts", index)
    own = account_id(account)
    entries: list[tuple[Loc, Server, dict[str, str]]] = [
        ((*loc, "servers", i), server, {}) for i, server in enumerate(account.servers)
    ]
    for g, generator in enumerate(account.generators):
        seed = estate.seed if generator.seed is None else generator.seed
        generated = GeneratedServers(generator, seed=seed, stream=f"{index}/{g}")
        entries += [((*loc, "generators", g), server, renames) for server, renames in generated]
    zones = estate.network.availability_zones
    servers = tuple(
        _plan_server(
            estate,
            server_loc,
            server,
            renames,
            spread_zone=zones[position % len(zones)],
            home=(own, known),
        )
        for position, (server_loc, server, renames) in enumerate(entries)
    )
    decoys = tuple(
        _plan_decoy(estate, (*loc, "instances", i), decoy)
        for i, decoy in enumerate(account.instances)
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
        decoys=decoys,
        staging_accounts=tuple(dict.fromkeys(account.staging_accounts)),
    )


def _plan_decoy(estate: Estate, loc: Loc, decoy: Decoy) -> PlannedDecoy:
    tags = {**decoy.tags, "Name": decoy.name}
    if decoy.allow_launch_into:
        tags[LAUNCH_INTO_TAG[0]] = LAUNCH_INTO_TAG[1]
    instance = PlannedInstance(
        name=decoy.name,
        tags=tags,
        state=decoy.state,
        instance_type=decoy.instance_type or DEFAULT_INSTANCE_TYPE[decoy.architecture],
        architecture=decoy.architecture,
        zone=decoy.availability_zone or estate.network.availability_zones[0],
        disks=(Disk(),),
        private_ip=decoy.private_ip,
    )
    return PlannedDecoy(loc=loc, region=decoy.region, near=decoy.near, instance=instance)


def _plan_server(
    estate: Estate,
    loc: Loc,
    server: Server,
    renames: dict[str, str],
    *,
    spread_zone: str,
    home: tuple[str, frozenset[str]],
) -> PlannedServer:
    """`renames` holds noisy Name tags by instance role; `spread_zone` is used if none is set;
    `home` is the server's account and every account of the estate."""
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
        architecture = spec.architecture or server.architecture
        own_type = instance_type if architecture == server.architecture else None
        return PlannedInstance(
            name=instance_tags["Name"],
            tags=instance_tags,
            state=spec.state or default_state,
            instance_type=spec.instance_type or own_type or DEFAULT_INSTANCE_TYPE[architecture],
            architecture=architecture,
            zone=zone,
            disks=disks,
            private_ip=spec.private_ip,
        )

    failed_over = phase == "failed_over"
    reverse = server.reverse_replication or estate.reverse_replication
    recovery = PlannedInstance(
        name=server.name,
        tags=tags,
        state=server.recovery.state if server.recovery else "running",
        instance_type=instance_type,
        architecture=server.architecture,
        zone=zone,
        disks=disks,
    )
    own_account, known = home
    lineage = server.lineage
    origin_account = (lineage.origin_account if lineage else None) or own_account
    origin = Origin(
        account_id=origin_account,
        region=(lineage.origin_region if lineage else None) or estate.regions.primary,
        in_estate=origin_account in known,
        exists=server.original.exists,
    )
    faults = server.faults
    presets = Presets(
        launch_into=server.launch_configuration.launch_into
        if server.launch_configuration
        else None,
        failover_launch_into=(
            server.launch_configuration.failover_launch_into
            if server.launch_configuration
            else None
        ),
        land_in=faults.land_in if faults else None,
        launch_failure=faults.launch_failure if faults else None,
        stall_replication=faults.stall_replication if faults else False,
    )
    original = instance(server.original, "original", "stopped" if failed_over else "running")
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
        original=original,
        target=instance(server.target, "target", "stopped") if server.target else None,
        recovery=recovery if failed_over else None,
        reverse=reverse if failed_over and reverse is not None and reverse.started else None,
        earlier_landing=failed_over and reverse is not None and reverse.earlier_landing,
        origin=origin,
        presets=presets,
        expect=expectation(server, phase, origin, original, own_account, estate.regions.primary),
        staging_account=server.staging_account,
    )


def expectation(  # noqa: PLR0917 - the facts a default is made of
    server: Server,
    phase: PhaseName,
    origin: Origin,
    original: PlannedInstance,
    own_account: str,
    primary: str,
) -> Expectation:
    """The server's declared `expect`, or the default (see the estates README)."""
    declared = server.expect
    if isinstance(declared, MustNotLaunch):
        return Expectation(MUST_NOT_LAUNCH, declared.reason)
    if declared is not None:
        return Expectation(declared)
    if phase == "protected":
        return Expectation("land-in-target" if server.target else "new-instance", declared=False)
    problem = original_problem(origin, original, own_account, primary)
    if problem is not None:
        return Expectation(MUST_NOT_LAUNCH, problem, declared=False)
    return Expectation("land-in-original", declared=False)


def original_problem(
    origin: Origin, original: PlannedInstance, own_account: str, primary: str
) -> str | None:
    """Why a failback can never land in the original DRS records (None when it can)."""
    if not origin.exists:
        return "the original DRS records does not exist in EC2"
    if origin.account_id != own_account:
        return f"the original DRS records is in account {origin.account_id}"
    if origin.region != primary:
        return f"the original DRS records is in {origin.region}, not the primary region"
    if original.state == "terminated":
        return "the original DRS records is terminated"
    return None


def default_hostname(name: str) -> str:
    """`' Web 01 '` -> `web-01`: what a server's hostname is when the file does not say."""
    return "-".join(name.split()).lower()
