"""The estate file as pydantic models: strict, and every unknown key is an error.

An estate is what the local stack seeds before drsorch runs: accounts (one hub, any
number of spokes), two regions, and per account the DRS source servers with their
original EC2 instances, optional pre-provisioned targets, and the phase they are in.
`servers` lists servers one by one; `generators` make many from one stanza.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from drsorch.local.drs.settings import EmulatorSettings
from drsorch.local.estate.types import (
    MUST_NOT_LAUNCH,
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
    RecoveryState,
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
    duplicates: int = Field(
        0,
        ge=0,
        le=3,
        description="Extra FAILBACK-direction servers replicating the same recovery instance.",
    )
    earlier_landing: bool = Field(
        False,
        description="T10: an earlier round trip's failback of this server, never retired: its"
        " FAILBACK server (replication stopped, unless started again) and that server's record"
        " of a launch into the original, by a job DRS completed 40 days ago. Also with"
        " started: false.",
    )


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
        " targets are stopped. terminated: EC2 lists it as terminated.",
    )
    allow_launch_into: bool = Field(
        True, description="Tag it AWSDRS=AllowLaunchingIntoThisInstance (false: leave it off)."
    )
    private_ip: IPv4 | None = Field(None, description="Primary private IP; default: allocated.")
    instance_type: str | None = Field(
        None, description="Default: the server's, or the architecture's default."
    )
    architecture: Architecture | None = Field(
        None, description="This instance's architecture; default: the server's."
    )
    exists: bool = Field(
        True,
        description="Originals: false records a well-formed instance ID that EC2 never saw.",
    )


class RecoverySpec(EstateModel):
    """The recovery EC2 instance a failover launched (failed-over servers)."""

    state: RecoveryState = Field("running", description="Its EC2 state.")


class Lineage(EstateModel):
    """Where DRS records the server's origin, when not its own account's primary region."""

    origin_account: AccountId | None = Field(
        None,
        description="sourceCloudProperties.originAccountID; default: the server's account. The"
        " original is created there when the account is in the estate, else only recorded.",
    )
    origin_region: RegionName | None = Field(
        None, description="sourceCloudProperties.originRegion; default: the primary region."
    )


class InstanceRef(EstateModel):
    """An instance of the same account named by what it is: exactly one key."""

    server: Text | None = Field(None, description="The original of the server with this name.")
    target: Text | None = Field(
        None, description="The pre-provisioned target of the server with this name."
    )
    instance: Text | None = Field(None, description="The account's decoy instance with this name.")

    @model_validator(mode="after")
    def _one(self) -> Self:
        given = [key for key in ("server", "target", "instance") if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError("name exactly one of server, target or instance")
        return self


class LaunchConfiguration(EstateModel):
    """DRS launch settings already in place before drsorch runs."""

    launch_into: InstanceRef | None = Field(
        None,
        description="launchIntoEC2InstanceID of the server that launches next: the FAILBACK"
        " server once reverse replication started, else the FAILOVER server.",
    )
    failover_launch_into: InstanceRef | None = Field(
        None, description="launchIntoEC2InstanceID of the FAILOVER server."
    )


class ServerFaults(EstateModel):
    """Emulator faults for the server that launches next (FAILBACK once reverse replication
    started, else FAILOVER), written into drs.faults.servers by its sourceServerID."""

    land_in: InstanceRef | Literal["new"] | None = Field(
        None,
        description="Its launch lands in this instance (or a new one), whatever its launch"
        " configuration says.",
    )
    launch_failure: str | None = Field(None, description="Every launch fails with this reason.")
    stall_replication: bool = Field(False, description="Its replication reads STALLED.")

    @field_validator("land_in", mode="wrap")
    @classmethod
    def _land_in(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise ValueError(
                "land_in is new, or one of {server: NAME}, {target: NAME}, {instance: NAME}"
            ) from None


class MustNotLaunch(EstateModel):
    """Ground truth: drsorch must leave this server alone, for this reason."""

    reason: Text = Field(alias="must-not-launch", description="Why, in a few words.")


Expect = Literal["land-in-original", "land-in-target", "new-instance"] | MustNotLaunch


class Decoy(EstateModel):
    """An instance tied to no server: a look-alike, or any instance a server must not land in."""

    name: Text = Field(description="Its Name tag; unique among the account's decoys.")
    region: RegionRole = Field("primary", description="primary or recovery.")
    near: Text | None = Field(
        None, description="The server it imitates (reported with that server's instances)."
    )
    state: InstanceState = Field("stopped")
    allow_launch_into: bool = Field(
        True, description="Tag it AWSDRS=AllowLaunchingIntoThisInstance (false: leave it off)."
    )
    tags: Tags = Field(default_factory=dict, description="Its tags. Not Name.")
    architecture: Architecture = "x86_64"
    instance_type: str | None = Field(None, description="Default: the architecture's default.")
    availability_zone: ZoneLetter | None = Field(
        None, description="Zone letter; default: the first of network.availability_zones."
    )
    private_ip: IPv4 | None = Field(None, description="Primary private IP; default: allocated.")


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
    recovery: RecoverySpec | None = Field(
        None, description="The recovery EC2 instance (failed_over only); default: running."
    )
    lineage: Lineage | None = Field(
        None, description="The origin DRS records, when elsewhere than this account's primary."
    )
    launch_configuration: LaunchConfiguration | None = Field(
        None, description="DRS launch settings preset before drsorch runs."
    )
    faults: ServerFaults | None = Field(None, description="Emulator faults for this server.")
    staging_account: AccountId | None = Field(
        None,
        description="Replicate in this staging account (one of the account's staging_accounts),"
        " under its own replicating quota, and extend into this account (protected only).",
    )
    expect: Expect | None = Field(
        None,
        description="Ground truth: land-in-original, land-in-target, new-instance or"
        " {must-not-launch: reason}. Default: see the estates README.",
    )

    @field_validator("expect", mode="wrap")
    @classmethod
    def _expect(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            if value == MUST_NOT_LAUNCH:
                raise ValueError("say why: expect: {must-not-launch: <reason>}") from None
            raise ValueError(
                "expect is land-in-original, land-in-target, new-instance"
                " or {must-not-launch: <reason>}"
            ) from None


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
    staging_accounts: list[AccountId] = Field(
        default_factory=list,
        description="Spread the servers over these staging accounts in equal consecutive"
        " blocks, in order (overrides the template's staging_account).",
    )
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
    staging_accounts: list[AccountId] = Field(
        default_factory=list,
        description="Staging accounts: DRS-only accounts (no EC2 here) that replicate some of"
        " this account's servers, each under its own replicating quota, and trust this"
        " account to extend them (DRS's trusted accounts). DRS is initialised in the recovery"
        " region there.",
    )
    servers: list[Server] = Field(default_factory=list)
    generators: list[Generator] = Field(default_factory=list)
    instances: list[Decoy] = Field(
        default_factory=list, description="Decoys: instances tied to no server."
    )


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
