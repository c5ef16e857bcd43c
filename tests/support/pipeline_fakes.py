"""A hand-written fake of the failback pipeline's port, and pair records to feed it.

`FakePipeline` is one account and region's DRS and EC2 as the pipeline reads them: the
source servers held there, recovery instances, jobs and EC2 states; `stopped` keeps
every StopReplication asked for, so a test can say which slots were freed.
`MemoryLedger` is the deployment's slot ledger, with its conditional write.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from drsorch.configurator.dependencies import Dependencies, Pipeline
from drsorch.configurator.pipeline.ports import Held, JobOutcome, Launched, Ledger, Reservation
from drsorch.configurator.records import PairRecord, RequestRecord
from drsorch.configurator.settings import ConfiguratorSettings
from drsorch.contracts import Accounts, ConfigurationResult, Pair, ServerRef, TargetRef
from drsorch.contracts.types import Place
from support.approval_fakes import ApprovedAlready
from support.configurator_fakes import FakeClock, FakeCloud, MemoryStore
from support.configurator_scenario import HUB, PRIMARY, RECOVERY, spec

PLACE = Place(HUB, PRIMARY)
BEGAN = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
"""When every FAILBACK server's current replication began, as DRS lists it."""
_ids = itertools.count(1)


def _id(prefix: str) -> str:
    return f"{prefix}-{next(_ids):017x}"


@dataclass
class FakePipeline:
    """DRS and EC2 of the primary place, as the pipeline reads them."""

    held: list[Held] = field(default_factory=list)
    launched: list[Launched] = field(default_factory=list)
    jobs_by_id: dict[str, JobOutcome] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)
    stopped: list[str] = field(default_factory=list)
    fail_stop: bool = False
    """StopReplication raises (a crash between the intent and the call)."""
    calls: Counter[str] = field(default_factory=Counter)

    async def servers_in(self, place: Place) -> list[Held]:
        self.calls["DescribeSourceServers"] += 1
        return list(self.held)

    async def recovery_instances(self, place: Place, server_ids: Sequence[str]) -> list[Launched]:
        self.calls["DescribeRecoveryInstances"] += 1
        return [i for i in self.launched if i.source_server_id in server_ids]

    async def jobs(self, place: Place, job_ids: Sequence[str]) -> dict[str, JobOutcome]:
        self.calls["DescribeJobs"] += 1
        return {k: v for k, v in self.jobs_by_id.items() if k in job_ids}

    async def instance_states(self, place: Place, ec2_ids: Sequence[str]) -> dict[str, str]:
        return {k: v for k, v in self.states.items() if k in ec2_ids}

    async def stop_replication(self, place: Place, server_id: str) -> None:
        self.calls["StopReplication"] += 1
        if self.fail_stop:
            raise RuntimeError("crashed before StopReplication")
        self.stopped.append(server_id)
        self.held = [
            Held(
                h.source_server_id,
                h.direction,
                h.aws_instance_id,
                "STOPPED",
                replicating_since=h.replicating_since,
            )
            if h.source_server_id == server_id
            else h
            for h in self.held
        ]

    def replicate(self, record: PairRecord, server_id: str, state: str = "CONTINUOUS") -> None:
        """The FAILBACK server of a pair, replicating."""
        ec2 = record.pair.recovery_ec2_instance_id
        self.held.append(Held(server_id, "FAILBACK", ec2, state, replicating_since=BEGAN))

    def outside(self, count: int) -> None:
        """Servers outside the request, replicating in the place."""
        for _ in range(count):
            self.held.append(Held(_id("s"), "FAILBACK", _id("i"), "CONTINUOUS"))

    def land(
        self,
        record: PairRecord,
        *,
        launch_status: str = "LAUNCHED",
        created: datetime = BEGAN + timedelta(minutes=30),
        state: str = "running",
    ) -> None:
        """A job that launched the pair's FAILBACK server into its target: by default
        this replication's, created after it began (`created`: when DRS made the job)."""
        assert record.result is not None and record.result.launching_server_id
        assert record.result.target_instance_id is not None
        job = _id("drsjob")
        server = record.result.launching_server_id
        target = record.result.target_instance_id
        self.launched.append(Launched(_id("i"), server, target, state.upper(), False, job))
        launched = frozenset({server}) if launch_status == "LAUNCHED" else frozenset()
        self.jobs_by_id[job] = JobOutcome(job, "COMPLETED", launched, created=created)
        self.states[target] = state


def record(wave: int) -> PairRecord:
    """A failback pair of the hub, not configured yet."""
    server = ServerRef(source_server_id=_id("s"), account_id=HUB, region=RECOVERY, wave=wave)
    target = TargetRef(instance_id=_id("i"), account_id=HUB, region=PRIMARY)
    pair = Pair(
        server=server,
        target=target,
        method="lineage",
        replication_direction="FAILOVER",
        recovery_instance_id=_id("i"),
        recovery_ec2_instance_id=_id("i"),
    )
    return PairRecord(pair=pair)


def configured(item: PairRecord, fake: FakePipeline, at: datetime) -> PairRecord:
    """The pair after its reverse replication started and it was configured."""
    back = _id("s")
    fake.replicate(item, back)
    assert item.pair.target is not None
    result = ConfigurationResult(
        source_server_id=item.server_id,
        launching_server_id=back,
        account_id=HUB,
        launch_region=PRIMARY,
        target_instance_id=item.pair.target.instance_id,
        outcome="configured",
        reverse_replication_started=True,
    )
    return item.model_copy(
        update={"admitted_at": at, "reverse_replication_started": True, "result": result}
    )


@dataclass
class MemoryLedger:
    """The slot ledger: a version and entries per place, written only at the version read."""

    ledgers: dict[Place, Ledger] = field(default_factory=dict)
    before_write: Callable[[], Awaitable[None]] | None = None
    """Runs once, just before the next write: another request overtaking this one."""
    fail_writes: int = 0
    """Writes that raise (a crash after the ledger was read), counted down."""
    conflicts: int = 0

    async def read(self, place: Place) -> Ledger:
        return self.ledgers.get(place, Ledger())

    async def write(self, place: Place, seen: Ledger, entries: Sequence[Reservation]) -> bool:
        if self.before_write is not None:
            overtake, self.before_write = self.before_write, None
            await overtake()
        if self.fail_writes:
            self.fail_writes -= 1
            raise RuntimeError("the configurator stopped here")
        if self.ledgers.get(place, Ledger()).version != seen.version:
            self.conflicts += 1
            return False
        self.ledgers[place] = Ledger(seen.version + 1, tuple(entries))
        return True

    def held(self, place: Place = PLACE) -> list[Reservation]:
        return list(self.ledgers.get(place, Ledger()).entries)


@dataclass
class World:
    """The pipeline's dependencies over the fakes."""

    fake: FakePipeline = field(default_factory=FakePipeline)
    ledger: MemoryLedger = field(default_factory=MemoryLedger)
    store: MemoryStore = field(default_factory=MemoryStore)
    clock: FakeClock = field(default_factory=FakeClock)
    settings: ConfiguratorSettings = field(
        default_factory=lambda: ConfiguratorSettings(
            replicating_servers_quota=10, prepare_deadline_seconds=600
        )
    )

    made: RequestRecord | None = None
    """The request of the test, once made."""

    @property
    def deps(self) -> Dependencies:
        return Dependencies(
            store=self.store,
            cloud=FakeCloud(),
            assembler=None,  # type: ignore[arg-type]  # the pipeline assembles nothing
            clock=self.clock,
            settings=self.settings,
            approvals=ApprovedAlready(),
            pipeline=Pipeline(lambda accounts: (self.fake, self.fake.calls), self.ledger),
        )

    def request(self, **changes: Any) -> RequestRecord:
        now = self.clock.now()
        return RequestRecord(
            spec=spec(accounts=Accounts(hub=HUB), **changes),
            plan_hash="a" * 64,
            causation_id="e" * 32,
            deadline=now + timedelta(seconds=600),
            received_at=now,
        )


T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
