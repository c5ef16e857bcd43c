"""What seeding made: every ID a test, a demo or a hostile-estate suite needs, with ground truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

CountKey = tuple[str, str, str]  # account ID, region (or "global"), kind
InstanceKind = Literal["original", "target", "recovery", "decoy"]


@dataclass(frozen=True)
class SeededInstance:
    """One EC2 instance seeding created."""

    kind: InstanceKind
    name: str
    """Its Name tag."""
    instance_id: str
    account_id: str
    region: str
    state: str
    """As seeded: running, stopped or terminated."""
    architecture: str
    server: str | None = None
    """The server it belongs to (for a decoy: the one it imitates, `near`), if any."""


@dataclass(frozen=True)
class SeededServer:
    """Where one server of the estate ended up, and where a correct drsorch run leaves it."""

    account_id: str
    name: str
    hostname: str
    source_server_id: str
    """The FAILOVER-direction source server (recovery region)."""
    original_instance_id: str
    """identificationHints.awsInstanceID of that server: created, or only recorded."""
    target_instance_id: str | None = None
    recovery_ec2_instance_id: str | None = None
    recovery_instance_id: str | None = None
    failback_source_server_id: str | None = None
    failback_duplicate_ids: tuple[str, ...] = ()
    """Extra FAILBACK-direction servers replicating the same recovery instance."""
    earlier_landing_id: str | None = None
    """T10: the recovery instance of an earlier round trip's launch into the original."""
    earlier_failback_server_id: str | None = None
    """T10: the FAILBACK server of that earlier round trip."""
    origin_account_id: str | None = None
    """sourceCloudProperties.originAccountID (None: not recorded by this seeding)."""
    origin_region: str | None = None
    original_exists: bool = True
    """False when the original was only recorded (EC2 never saw it, or its account is
    not in the estate)."""
    expect: str = "land-in-original"
    """land-in-original, land-in-target, new-instance or must-not-launch."""
    expect_reason: str | None = None
    expect_declared: bool = False
    """True when the estate file said `expect`; False for the documented default."""
    expected_instance_id: str | None = None
    """The instance a correct run lands this server in (None: a new one, or none)."""
    preset_launch_into: str | None = None
    """launchIntoEC2InstanceID preset on the server that launches next."""
    preset_failover_launch_into: str | None = None
    instances: tuple[SeededInstance, ...] = ()
    """Every instance seeded for it: original, target, recovery, and decoys `near` it."""
    primary_region: str = "us-east-1"
    recovery_region: str = "us-west-2"
    staging_account_id: str | None = None
    """The staging account the server replicates in; `source_server_id` is then the
    server extended into `account_id`."""
    staging_source_server_id: str | None = None

    @property
    def launching_source_server_id(self) -> str:
        """The server that launches next: FAILBACK once reverse replication started."""
        return self.failback_source_server_id or self.source_server_id

    @property
    def must_not_launch(self) -> bool:
        return self.expect == "must-not-launch"


@dataclass(frozen=True)
class SeedReport:
    """What seeding created, per account, region and kind, and how long it took."""

    estate: str
    seconds: float
    counts: dict[CountKey, int]
    servers: tuple[SeededServer, ...] = field(repr=False)
    instances: tuple[SeededInstance, ...] = field(default=(), repr=False)
    """Every EC2 instance seeding created, decoys included."""

    def render(self) -> str:
        lines = [f"estate {self.estate!r}: {len(self.servers)} servers in {self.seconds:.2f} s"]
        lines += [
            f"  {account}  {region:<14} {kind:<30} {count:>6}"
            for (account, region, kind), count in sorted(self.counts.items())
        ]
        return "\n".join(lines)

    def server(self, name: str, account_id: str | None = None) -> SeededServer:
        """The server with this name (in this account, when names repeat across accounts)."""
        found = [s for s in self.servers if s.name == name and account_id in {None, s.account_id}]
        if len(found) != 1:
            raise KeyError(f"{len(found)} servers named {name!r} (account {account_id})")
        return found[0]

    def instance(self, instance_id: str) -> SeededInstance | None:
        """The seeded instance with this ID, if seeding made it."""
        return next((i for i in self.instances if i.instance_id == instance_id), None)

    @property
    def decoys(self) -> tuple[SeededInstance, ...]:
        return tuple(i for i in self.instances if i.kind == "decoy")
