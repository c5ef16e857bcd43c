"""The estate file as pydantic models: strict, and every unknown key is an error.

An estate is what the local stack seeds before drsorch runs: accounts (one hub, any
number of spokes), two regions, and per account the DRS source servers with their
original EC2 instances, optional pre-provisioned targets, and the phase they are in.
`servers` lists servers one by one; `generators` make many from one stanza.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from drsorch.local.drs.settings import EmulatorSettings
from drsorch.local.estate.types import (
    AccountId,
    Architecture,
    Cidr,
    HostnamePattern,
    InstanceState,
    IPv4,
    NamePattern,
    NoiseKind,
    NoiseTarget,
    PhaseName,
    RegionName,
    RegionRole,
    ReplicationState,
    RoleName,
    Tags,
    Text,
    Wave,
    ZoneLetter,
)


def _every_noise_kind() -> list[NoiseKind]:
    return ["case", "spaces", "dr_suffix"]


def _targets_only() -> list[NoiseTarget]:
    return ["target"]


def _stalled() -> list[ReplicationState]:
    return ["STALLED"]


def _both_regions() -> list[RegionRole]:
    return ["primary", "recovery"]


class EstateModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Regions(EstateModel):
    """Where servers run (primary) and where DRS keeps and launches them (recovery)."""

    primary: RegionName = Field("us-east-1", description="Region of the original instances.")
    recovery: RegionName = Field(
        "us-west-2", description="Region DRS replicates into and launches recovery instances in."
    )


class Network(EstateModel):
    """One VPC per account and region, with one subnet per zone letter."""

    primary_cidr: Cidr = Field("10.0.0.0/16", description="VPC CIDR in the primary region.")
    recovery_cidr: Cidr = Field("10.1.0.0/16", description="VPC CIDR in the recovery region.")
    availability_zones: list[ZoneLetter] = Field(
        default_factory=lambda: ["a", "b"],
        min_length=1,
        max_length=6,
        description="Zone letters used in both regions; servers without one are spread over them.",
    )


class Replication(EstateModel):
    """Data replication of a DRS source server."""

    state: ReplicationState = Field("CONTINUOUS", description="dataReplicationState.")
    lag_seconds: int = Field(0, ge=0, description="Replication lag in seconds.")


class ReverseReplication(EstateModel):
    """Reverse replication after a failover: a FAILBACK source server in the primary region."""

    started: bool = Field(True, description="false: reverse replication not started yet.")
    state: ReplicationState = Field("CONTINUOUS", description="Its dataReplicationState.")
    lag_seconds: int = Field(0, ge=0, description="Its replication lag in seconds.")


class Disk(EstateModel):
    """One replicated disk (also an EBS volume of the original and recovery instances)."""

    device: str = Field("/dev/xvda", pattern=r"^/dev/[a-z0-9]+$", description="Device name.")
    size_gib: int = Field(8, ge=1, le=16384, description="Size in GiB.")


class InstanceSpec(EstateModel):
    """An EC2 instance of a server: its original, or its pre-provisioned target."""

    name: Text | None = Field(None, description="Name tag; default: the server's name.")
    tags: Tags = Field(default_factory=dict, description="Tags of this instance only.")
    state: InstanceState | None = Field(
        None,
        description="Default: originals run while protected and are stopped once failed over;"
        " targets are stopped.",
    )
    allow_launch_into: bool = Field(
        True, description="Tag it AWSDRS=AllowLaunchingIntoThisInstance (false: leave it off)."
    )
    private_ip: IPv4 | None = Field(None, description="Primary private IP; default: allocated.")
    instance_type: str | None = Field(None, description="Default: the server's instance_type.")


class ServerBody(EstateModel):
    """Everything about a server except what names it (shared by servers and generators)."""

    tags: Tags = Field(
        default_factory=dict,
        description="Tags of the DRS source server and of its original and recovery instances.",
    )
    architecture: Architecture = "x86_64"
    instance_type: str | None = Field(
        None, description="Default: t3.medium (x86_64) or t4g.medium (arm64)."
    )
    availability_zone: ZoneLetter | None = Field(
        None, description="Zone letter; default: spread over network.availability_zones."
    )
    disks: list[Disk] = Field(default_factory=lambda: [Disk()], min_length=1, max_length=60)
    replication: Replication = Field(
        default_factory=Replication, description="The FAILOVER source server's replication."
    )
    original: InstanceSpec = Field(
        default_factory=InstanceSpec, description="The original instance in the primary region."
    )
    target: InstanceSpec | None = Field(
        None, description="A pre-provisioned target in the recovery region ({} for defaults)."
    )
    phase: PhaseName | None = Field(None, description="Default: the estate's phase.")
    reverse_replication: ReverseReplication | None = Field(
        None, description="Default: the estate's reverse_replication (failed_over only)."
    )


class Server(ServerBody):
    """One DRS source server, protecting one original EC2 instance."""

    name: Text = Field(description="Name tag of the source server and its instances.")
    hostname: Text | None = Field(
        None, description="identificationHints.hostname; default: the name, trimmed, lowercased."
    )
    wave: Wave | None = Field(None, description="Written as the dr:wave tag.")


class NameNoise(EstateModel):
    """Make some instance names differ from their server's name, the way real estates do."""

    rate: float = Field(0.1, ge=0, le=1, description="Share of servers whose names get noise.")
    kinds: list[NoiseKind] = Field(default_factory=_every_noise_kind, min_length=1)
    applies_to: list[NoiseTarget] = Field(default_factory=_targets_only, min_length=1)


class Unhealthy(EstateModel):
    """Make some generated servers' replication unhealthy."""

    rate: float = Field(ge=0, le=1, description="Share of servers with unhealthy replication.")
    states: list[ReplicationState] = Field(
        default_factory=_stalled, min_length=1, description="Picked at random."
    )
    lag_seconds: int = Field(3600, ge=0)


class Generator(EstateModel):
    """`count` servers from one stanza: names from a pattern, the rest from `template`."""

    count: int = Field(ge=1, le=10000)
    name: NamePattern = Field(description="Python format pattern with {index}: app-{index:04d}.")
    hostname: HostnamePattern | None = Field(None, description="Pattern with {index}, {name}.")
    start: int = Field(1, ge=0, description="The first index.")
    waves: list[Wave] = Field(
        default_factory=list, description="Waves in equal consecutive blocks, in order."
    )
    seed: int | None = Field(None, description="Default: the estate's seed.")
    name_noise: NameNoise | None = None
    unhealthy: Unhealthy | None = None
    template: ServerBody = Field(default_factory=ServerBody)


class Account(EstateModel):
    """An AWS account: the hub drsorch runs in, or a spoke it reaches by AssumeRole."""

    kind: Literal["hub", "spoke"]
    id: AccountId | None = Field(None, description="Hub default: 123456789012 (moto's).")
    name: Text | None = Field(None, description="A label for reports.")
    role_name: RoleName | None = Field(None, description="Spokes: the role the hub assumes.")
    external_id: str | None = Field(
        None, min_length=2, max_length=1224, description="Spokes: ExternalId of that AssumeRole."
    )
    reachable: bool = Field(
        True, description="Spokes: false leaves the role uncreated, so AssumeRole is refused."
    )
    drs_regions: list[RegionRole] = Field(
        default_factory=_both_regions,
        description="Regions where DRS is initialised.",
    )
    launch_into_source_instance: bool = Field(
        False, description="The DRS launch configuration template's launchIntoSourceInstance."
    )
    servers: list[Server] = Field(default_factory=list)
    generators: list[Generator] = Field(default_factory=list)


class Estate(EstateModel):
    """A simulated estate the local stack seeds."""

    version: Literal[1] = 1
    name: Text
    description: str = ""
    seed: int = Field(0, description="Default seed of generators.")
    regions: Regions = Field(default_factory=Regions)
    network: Network = Field(default_factory=Network)
    phase: PhaseName = "protected"
    reverse_replication: ReverseReplication | None = Field(
        None, description="failed_over only; absent: not started."
    )
    drs: EmulatorSettings = Field(
        default_factory=EmulatorSettings,
        description="The DRS emulator's settings: clock, seed, timings, quotas, faults.",
    )
    accounts: list[Account] = Field(min_length=1)
