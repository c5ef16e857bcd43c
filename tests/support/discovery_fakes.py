"""Hand-written fakes of discovery's ports, and builders for the records they hold.

`World` is a small estate in memory: per (account, region) a DRS and an EC2 with
whatever a test puts there, plus accounts that cannot be reached or whose DRS is
not initialised. `MemoryRepository` keeps snapshots and claims as the DynamoDB
adapter does (the same contract suite runs against both).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from drsorch.contracts import (
    Accounts,
    CandidateTarget,
    RequestOptions,
    RequestSpec,
    Scope,
    Spoke,
)
from drsorch.discovery.domain import ActiveJob, RecoveryInstanceRecord, SourceServerRecord
from drsorch.discovery.errors import AccountUnreachable, DrsNotInitialized
from drsorch.discovery.ports import ServerKey

HUB, SPOKE = "111111111111", "222222222222"
PRIMARY, RECOVERY = "us-east-1", "us-west-2"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def server_id(n: int) -> str:
    return f"s-{n:017d}"


def instance_id(n: int) -> str:
    return f"i-{n:017x}"


def source_server(
    n: int,
    *,
    account: str = HUB,
    region: str = RECOVERY,
    origin: int | None = None,
    direction: str = "FAILOVER",
    state: str = "CONTINUOUS",
    lag: int = 0,
    **tags: str,
) -> SourceServerRecord:
    """A source server `s-…n`, replicating instance `origin` (default: instance n)."""
    origin_region = PRIMARY if direction == "FAILOVER" else RECOVERY
    return SourceServerRecord(
        source_server_id=server_id(n),
        account_id=account,
        region=region,
        arn=f"arn:aws:drs:{region}:{account}:source-server/{server_id(n)}",
        hostname=f"host-{n}",
        tags={k.replace("__", ":"): v for k, v in tags.items()},
        architecture="x86_64",
        direction=direction,  # type: ignore[arg-type]
        replication_state=state,  # type: ignore[arg-type]
        lag_seconds=lag,
        origin_instance_id=instance_id(n if origin is None else origin),
        origin_account_id=account,
        origin_region=origin_region,
    )


def instance(
    n: int, *, account: str = HUB, region: str = PRIMARY, state: str = "stopped", **tags: str
) -> CandidateTarget:
    """An EC2 instance `i-…n`; `Name` and other tags from keyword arguments."""
    tags = {k.replace("__", ":"): v for k, v in tags.items()}
    return CandidateTarget(
        instance_id=instance_id(n),
        account_id=account,
        region=region,
        name=tags.get("Name"),
        state=state,  # type: ignore[arg-type]
        tags=tags,
    )


def recovery_instance(
    server: int, ec2: int, *, state: str = "RUNNING", drill: bool = False
) -> RecoveryInstanceRecord:
    return RecoveryInstanceRecord(
        recovery_instance_id=instance_id(ec2),
        source_server_id=server_id(server),
        ec2_instance_id=instance_id(ec2),
        ec2_state=state,  # type: ignore[arg-type]
        is_drill=drill,
    )


@dataclass
class Region:
    """DRS and EC2 of one account in one region."""

    servers: list[SourceServerRecord] = field(default_factory=list)
    recovery_instances: list[RecoveryInstanceRecord] = field(default_factory=list)
    jobs: list[ActiveJob] = field(default_factory=list)
    instances: list[CandidateTarget] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    """Instances EC2 reports outside drsorch's contract, as the EC2 adapter notes them."""


@dataclass
class FakeDrs:
    world: World
    account: str
    region: str
    calls: Counter[str]

    def _here(self, operation: str) -> Region:
        self.calls[operation] += 1
        self.world.drs_reads.append((self.account, self.region, operation))
        if operation in self.world.failing:
            raise ConnectionError(f"{operation} timed out in {self.region}")
        if (self.account, self.region) in self.world.uninitialized:
            raise DrsNotInitialized(self.account, self.region, "DRS is not initialized")
        return self.world.region(self.account, self.region)

    async def source_servers(self, ids: Sequence[str] | None = None) -> list[SourceServerRecord]:
        servers = self._here("DescribeSourceServers").servers
        return [s for s in servers if ids is None or s.source_server_id in ids]

    async def recovery_instances(self) -> list[RecoveryInstanceRecord]:
        return list(self._here("DescribeRecoveryInstances").recovery_instances)

    async def active_jobs(self) -> list[ActiveJob]:
        return list(self._here("DescribeJobs").jobs)


@dataclass
class FakeEc2:
    world: World
    account: str
    region: str
    refused: list[tuple[str, str]] = field(default_factory=list)

    async def instances(self) -> list[CandidateTarget]:
        if (self.account, self.region) in self.world.ec2_down:
            raise AccountUnreachable(self.account, self.region, "EC2 denied DescribeInstances")
        found = self.world.region(self.account, self.region).instances
        return [i for i in found if i.state != "terminated"]

    async def instances_by_id(self, ids: Sequence[str]) -> list[CandidateTarget]:
        if (self.account, self.region) in self.world.ec2_down:
            raise AccountUnreachable(self.account, self.region, "EC2 denied DescribeInstances")
        found = self.world.region(self.account, self.region).instances
        return [i for i in found if i.instance_id in ids]


@dataclass
class World:
    """Accounts and regions in memory, reached as `AccountAccess`."""

    regions: dict[tuple[str, str], Region] = field(default_factory=dict)
    unreachable: set[str] = field(default_factory=set)
    uninitialized: set[tuple[str, str]] = field(default_factory=set)
    ec2_down: set[tuple[str, str]] = field(default_factory=set)
    failing: set[str] = field(default_factory=set)
    """DRS operations that fail as a throttled or broken call does once retries run out."""
    drs_reads: list[tuple[str, str, str]] = field(default_factory=list)
    spokes_seen: list[Spoke | None] = field(default_factory=list)

    def region(self, account: str, region: str) -> Region:
        return self.regions.setdefault((account, region), Region())

    async def drs(
        self, account_id: str, spoke: Spoke | None, region: str, calls: Counter[str]
    ) -> FakeDrs:
        self._reach(account_id, spoke)
        return FakeDrs(self, account_id, region, calls)

    async def ec2(self, account_id: str, spoke: Spoke | None, region: str) -> FakeEc2:
        self._reach(account_id, spoke)
        return FakeEc2(self, account_id, region, list(self.region(account_id, region).refused))

    def _reach(self, account_id: str, spoke: Spoke | None) -> None:
        self.spokes_seen.append(spoke)
        if account_id in self.unreachable:
            raise AccountUnreachable(account_id, None, "AccessDenied: not authorized to assume")


@dataclass
class MemoryRepository:
    """`DiscoveryRepository` in memory."""

    snapshots: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    claims: dict[ServerKey, tuple[str, int]] = field(default_factory=dict)
    held: dict[str, list[ServerKey]] = field(default_factory=dict)

    async def load_snapshot(self, request_id: str, cause_id: str) -> list[str] | None:
        found = self.snapshots.get((request_id, cause_id))
        return list(found) if found is not None else None

    async def save_snapshot(
        self, request_id: str, cause_id: str, chunks: Sequence[str], *, expires_at: int
    ) -> None:
        self.snapshots[(request_id, cause_id)] = list(chunks)

    async def claim(
        self, request_id: str, servers: Sequence[ServerKey], *, now: int, expires_at: int
    ) -> dict[ServerKey, str]:
        self.held.setdefault(request_id, []).extend(servers)
        taken: dict[ServerKey, str] = {}
        for key in servers:
            holder = self.claims.get(key)
            if holder is None or holder[0] == request_id or holder[1] < now:
                self.claims[key] = (request_id, expires_at)
            else:
                taken[key] = holder[0]
        return taken

    async def holders(self, servers: Sequence[ServerKey], *, now: int) -> dict[ServerKey, str]:
        return {
            key: self.claims[key][0]
            for key in servers
            if key in self.claims and self.claims[key][1] >= now
        }

    async def release(self, request_id: str) -> int:
        keys = set(self.held.pop(request_id, []))
        for key in keys:
            if self.claims.get(key, ("", 0))[0] == request_id:
                del self.claims[key]
        return len(keys)


def request_spec(
    operation: str = "failover",
    *,
    selector: dict[str, str] | None = None,
    ids: Sequence[str] | None = None,
    spokes: Sequence[Spoke] = (),
    hub: str = HUB,
    plan_only: bool = False,
    max_lag: int = 60,
) -> RequestSpec:
    """A request over the fakes' regions; by default every server tagged app=shop."""
    return RequestSpec(
        operation=operation,  # type: ignore[arg-type]
        scope=Scope(
            selector=selector if selector is not None or ids else {"app": "shop"},
            source_server_ids=tuple(ids) if ids else None,
        ),
        accounts=Accounts(hub=hub, spokes=tuple(spokes)),
        primary_region=PRIMARY,
        recovery_region=RECOVERY,
        plan_only=plan_only,
        options=RequestOptions(max_replication_lag_seconds=max_lag),
        requested_by="tests",
    )
