"""Hand-written fakes of the monitor's ports: a DRS world on a fake clock, EC2, the table.

`FakeDrsWorld` behaves as DRS does where the monitor depends on it: jobs go PENDING,
STARTED, COMPLETED over (fake) time; quotas are enforced and every breach is recorded
as a violation; a server may be in one active job only; launch-into keeps the target's
ID and private IP. It also checks that every StartRecovery was preceded by the
monitor's intent in the store, and never carries tags.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from drsorch.contracts import Accounts, ConfigurationResult, RecoveryPoint, RequestCompleted
from drsorch.contracts.types import Place
from drsorch.monitor.adapters.items import Layout, parse_state
from drsorch.monitor.cache import fresh_version
from drsorch.monitor.domain.facts import (
    Instance,
    JobLog,
    Participant,
    RecoveryInstance,
    RecoveryJob,
    Replication,
)
from drsorch.monitor.domain.records import (
    BatchRecord,
    BatchStatus,
    RequestState,
    ServerRecord,
    Summary,
)
from drsorch.monitor.errors import AwsFailure, StartRefused, Throttled
from drsorch.monitor.ports import Armed, Emission, Head


@dataclass
class FakeClock:
    at: datetime = field(default_factory=lambda: datetime(2026, 11, 25, 12, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@dataclass
class FakeJob:
    job_id: str
    place: Place
    server_ids: tuple[str, ...]
    created_at: datetime
    drill: bool
    ends_at: datetime
    foreign: bool = False


@dataclass
class FakeDrsWorld:
    """DRS in every account and region, as the monitor sees it."""

    clock: FakeClock
    concurrent_jobs: int = 20
    servers_in_active_jobs: int = 500
    servers_per_job: int = 100
    pending_seconds: float = 10
    job_seconds: float = 120
    jobs: dict[str, FakeJob] = field(default_factory=dict)
    replication: dict[str, Replication] = field(default_factory=dict)
    recovery_snapshots: dict[str, list[tuple[str, datetime]]] = field(default_factory=dict)
    """Each server's recovery snapshots (ID, time), oldest first."""
    launched_from: dict[str, str] = field(default_factory=dict)
    """The recoverySnapshotID each server's last StartRecovery named."""
    launch_into: dict[str, str] = field(default_factory=dict)
    """Launching server ID -> the instance its launch configuration launches into."""
    refused: dict[str, str] = field(default_factory=dict)
    """Accounts the deployment does not configure as spokes, with the refusal."""
    failures: dict[str, str] = field(default_factory=dict)
    """Launching server ID -> the rawError its launch fails with."""
    origins: dict[str, str | None] = field(default_factory=dict)
    """Paired (FAILOVER-direction) server ID -> the awsInstanceID DRS records for it."""
    throttle: Counter[str] = field(default_factory=Counter)
    """Operation -> how many of its next calls are throttled."""
    throttle_rate: float = 0.0
    retry_after: float = 3
    refuse_next: int = 0
    listing_lag_seconds: float = 0
    """DescribeJobs lists a new job only this long after StartRecovery created it."""
    start_calls: list[tuple[Place, tuple[str, ...], bool]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    peak_jobs: int = 0
    peak_servers: int = 0
    before_start: Callable[[Place, Sequence[str]], None] | None = None
    """Called before a StartRecovery takes effect (to check the intent, or to crash)."""
    after_start: Callable[[Place, Sequence[str]], None] | None = None
    """Called after a StartRecovery created its job, before the caller hears of it."""
    calls: Counter[str] = field(default_factory=Counter)
    order: list[str] = field(default_factory=list)
    """Every DRS call, in the order made."""
    ec2: FakeEc2 | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _random: random.Random = field(default_factory=lambda: random.Random(7))

    def status(self, job: FakeJob) -> str:
        now = self.clock.now()
        if now >= job.ends_at:
            return "COMPLETED"
        return (
            "STARTED"
            if now >= job.created_at + timedelta(seconds=self.pending_seconds)
            else "PENDING"
        )

    def active(self, place: Place) -> list[FakeJob]:
        return [j for j in self.jobs.values() if j.place == place and self.status(j) != "COMPLETED"]

    def add_foreign_job(self, place: Place, server_ids: Sequence[str], seconds: float) -> str:
        """A job drsorch did not start (an operator's, another tool's)."""
        job = self._new_job(place, tuple(server_ids), drill=False, seconds=seconds)
        job.foreign = True
        return job.job_id

    def _new_job(
        self, place: Place, ids: tuple[str, ...], *, drill: bool, seconds: float
    ) -> FakeJob:
        now = self.clock.now()
        job = FakeJob(
            job_id=f"drsjob-{next(self._ids):017d}",
            place=place,
            server_ids=ids,
            created_at=now,
            drill=drill,
            ends_at=now + timedelta(seconds=seconds),
        )
        self.jobs[job.job_id] = job
        return job

    def check_throttle(self, operation: str) -> None:
        self.calls[operation] += 1
        self.order.append(operation)
        if self.throttle[operation] > 0 or self._random.random() < self.throttle_rate:
            self.throttle[operation] = max(0, self.throttle[operation] - 1)
            raise Throttled(f"{operation}: Rate exceeded", retry_after=self.retry_after)

    def start(self, place: Place, ids: Sequence[str], drill: bool) -> FakeJob:
        self.check_throttle("StartRecovery")
        if self.before_start is not None:
            self.before_start(place, ids)
        if self.refuse_next > 0:
            self.refuse_next -= 1
            raise StartRefused("StartRecovery: ConflictException: injected")
        active = self.active(place)
        busy = {s for j in active for s in j.server_ids}
        problems = []
        if len(ids) > self.servers_per_job:
            problems.append(f"{len(ids)} servers in one job")
        if busy & set(ids):
            problems.append(f"servers already in active jobs: {sorted(busy & set(ids))}")
        if len(active) + 1 > self.concurrent_jobs:
            problems.append(f"{len(active) + 1} concurrent jobs")
        if len(busy) + len(ids) > self.servers_in_active_jobs:
            problems.append(f"{len(busy) + len(ids)} servers in active jobs")
        if problems:
            self.violations.extend(f"{place}: {p}" for p in problems)
            raise StartRefused(
                "StartRecovery: ServiceQuotaExceededException: " + "; ".join(problems)
            )
        job = self._new_job(place, tuple(ids), drill=drill, seconds=self.job_seconds)
        self.start_calls.append((place, tuple(ids), drill))
        self.peak_jobs = max(self.peak_jobs, len(active) + 1)
        self.peak_servers = max(self.peak_servers, len(busy) + len(ids))
        if self.after_start is not None:
            self.after_start(place, ids)
        return job

    def view(self, job: FakeJob) -> RecoveryJob:
        status = self.status(job)
        participants = tuple(
            Participant(sid, self._launch_status(job, sid, status), self._recovery_id(job, sid))
            for sid in job.server_ids
        )
        return RecoveryJob(
            job_id=job.job_id,
            status=status,
            created_at=job.created_at,
            ended_at=job.ends_at if status == "COMPLETED" else None,
            participants=participants,
        )

    def _launch_status(self, job: FakeJob, server_id: str, status: str) -> str:
        if status != "COMPLETED":
            return "PENDING" if status == "PENDING" else "IN_PROGRESS"
        return "FAILED" if server_id in self.failures else "LAUNCHED"

    def _recovery_id(self, job: FakeJob, server_id: str) -> str | None:
        if self.status(job) != "COMPLETED" or server_id in self.failures:
            return None
        index = job.server_ids.index(server_id)
        return f"i-{int(job.job_id[7:]):08x}{index:09x}"

    def landed_in(self, job: FakeJob, server_id: str) -> str:
        """The EC2 instance a launched server runs as: its launch-into target, or a new one."""
        target = None if job.drill else self.launch_into.get(server_id)
        if target is not None:
            return target
        new = f"i-{int(job.job_id[7:]):08x}{job.server_ids.index(server_id):09x}"
        if self.ec2 is not None:
            self.ec2.instances.setdefault(job.place, {}).setdefault(
                new, Instance(new, "running", "10.9.9.9")
            )
        return new


async def _next_turn() -> None:
    """Give the event loop one turn, as a call waiting on its answer does (no time passes)."""
    loop = asyncio.get_running_loop()
    turn = loop.create_future()
    loop.call_soon(turn.set_result, None)
    await turn


@dataclass
class FakeDrs:
    world: FakeDrsWorld
    place: Place
    cloud_calls: Counter[str]

    def _call(self, operation: str) -> None:
        self.cloud_calls[operation] += 1
        self.world.check_throttle(operation)

    async def jobs(self, job_ids: Sequence[str]) -> list[RecoveryJob]:
        self._call("DescribeJobs")
        await _next_turn()  # the loop runs others while DRS answers, as over HTTP
        return [self.world.view(self.world.jobs[i]) for i in job_ids if i in self.world.jobs]

    async def recent_jobs(self, window: timedelta) -> list[RecoveryJob]:
        self._call("DescribeJobs")
        listed = self.world.clock.now() - timedelta(seconds=self.world.listing_lag_seconds)
        mine = [
            job
            for job in self.world.jobs.values()
            if job.place == self.place and job.created_at <= listed
        ]
        newest = max((job.created_at for job in mine), default=None)
        return [
            self.world.view(job)
            for job in mine
            if newest is None or job.created_at >= newest - window
        ]

    async def start_recovery(
        self, server_ids: Sequence[str], *, drill: bool, snapshots: Mapping[str, str] | None = None
    ) -> RecoveryJob:
        self.cloud_calls["StartRecovery"] += 1
        job = self.world.view(self.world.start(self.place, server_ids, drill))
        self.world.launched_from.update(snapshots or {})
        return job

    async def recovery_snapshot(self, server_id: str, point: RecoveryPoint) -> str | None:
        self._call("DescribeRecoverySnapshots")
        held = self.world.recovery_snapshots.get(server_id, [])
        if point.before is not None:
            before = [sid for sid, at in held if at <= point.before]
            return before[-1] if before else None
        return next((sid for sid, _ in held if sid in point.snapshot_ids), None)

    async def job_log(self, job_id: str) -> JobLog:
        self._call("DescribeJobLogItems")
        job = self.world.jobs[job_id]
        failures = {
            s: f"LAUNCH_FAILED: {self.world.failures[s]}"
            for s in job.server_ids
            if s in self.world.failures
        }
        return JobLog(failures=failures)

    async def origins(self, server_ids: Sequence[str]) -> dict[str, str | None]:
        self._call("DescribeSourceServers")
        return {sid: self.world.origins[sid] for sid in server_ids if sid in self.world.origins}

    async def recovery_instances(self, server_ids: Sequence[str]) -> list[RecoveryInstance]:
        self._call("DescribeRecoveryInstances")
        found = []
        for job in self.world.jobs.values():
            for sid in job.server_ids:
                rid = self.world._recovery_id(job, sid)
                if sid in server_ids and job.place == self.place and rid is not None:
                    landed = self.world.landed_in(job, sid)
                    found.append(RecoveryInstance(rid, sid, landed, "RUNNING", job.job_id))
        return found

    async def replication(self, server_ids: Sequence[str]) -> dict[str, Replication]:
        self._call("DescribeSourceServers")
        default = Replication("CONTINUOUS", 0)
        return {sid: self.world.replication.get(sid, default) for sid in server_ids}


@dataclass
class FakeEc2:
    instances: dict[Place, dict[str, Instance]] = field(default_factory=dict)
    order: list[str] | None = None
    """Where DescribeInstances is noted beside the DRS calls (the world's `order`)."""
    fail_next: int = 0
    """How many of the next DescribeInstances fail (an error past the client's retries)."""

    def add(self, place: Place, instance: Instance) -> None:
        self.instances.setdefault(place, {})[instance.instance_id] = instance

    async def instances_in(self, place: Place, ids: Sequence[str]) -> dict[str, Instance]:
        if self.order is not None:
            self.order.append("DescribeInstances")
        if self.fail_next > 0:
            self.fail_next -= 1
            if self.order is not None:
                self.order.append("failed")
            raise AwsFailure("DescribeInstances: InternalError")
        held = self.instances.get(place, {})
        return {i: held[i] for i in ids if i in held}


@dataclass
class _Ec2Port:
    ec2: FakeEc2
    place: Place

    async def instances(self, instance_ids: Sequence[str]) -> dict[str, Instance]:
        return await self.ec2.instances_in(self.place, instance_ids)


@dataclass
class FakeCloud:
    world: FakeDrsWorld
    ec2_world: FakeEc2
    accounts: Accounts
    calls: Counter[str] = field(default_factory=Counter)

    def drs(self, place: Place) -> FakeDrs:
        return FakeDrs(self.world, place, self.calls)

    def ec2(self, place: Place) -> _Ec2Port:
        return _Ec2Port(self.ec2_world, place)

    async def refusal(self, account_id: str) -> str | None:
        return self.world.refused.get(account_id)


@dataclass
class FakeCloudFactory:
    world: FakeDrsWorld
    ec2: FakeEc2
    made: list[Accounts] = field(default_factory=list)

    def __call__(self, accounts: Accounts) -> FakeCloud:
        self.made.append(accounts)
        return FakeCloud(self.world, self.ec2, accounts)


@dataclass
class FakeStore:
    """The table in dicts, items serialized as the real adapter serializes them."""

    items: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    leases: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)
    """`summary:<id>` per read of a summary, `load:<id>` per load of a whole request."""
    armed: dict[str, Armed] = field(default_factory=dict)
    on_intent: Callable[[], None] | None = None
    """Runs as each batch intent is written (a slow write, an operator meanwhile)."""
    _order: itertools.count[int] = field(default_factory=itertools.count)

    def _put(self, item: dict[str, Any]) -> None:
        pk, sk = item["pk"]["S"], item["sk"]["S"]
        self.items[(str(pk), str(sk))] = item
        self.writes.append(str(sk))

    def _layout(self, request_id: str) -> Layout:
        return Layout(request_id, 0)

    async def acquire(self, request_id: str, holder: str, now: datetime, until: datetime) -> bool:
        held = self.leases.get(request_id)
        if held is not None and held[0] != holder and held[1] >= now:
            return False
        self.leases[request_id] = (holder, until)
        return True

    async def release(self, request_id: str, holder: str) -> None:
        if self.leases.get(request_id, ("",))[0] == holder:
            del self.leases[request_id]

    def _all(self, request_id: str, prefix: str = "") -> list[dict[str, Any]]:
        pk = self._layout(request_id).pk
        return [v for (p, s), v in sorted(self.items.items()) if p == pk and s.startswith(prefix)]

    async def summary(self, request_id: str) -> Summary | None:
        head = await self.head(request_id)
        return head.summary if head else None

    def _summary_item(self, request_id: str) -> dict[str, Any] | None:
        return self.items.get((self._layout(request_id).pk, "summary"))

    async def head(self, request_id: str) -> Head | None:
        self.reads.append(f"summary:{request_id}")
        item = self._summary_item(request_id)
        if item is None:
            return None
        version = item.get("version", {}).get("S")
        return Head(Summary.model_validate_json(item["body"]["S"]), version)

    async def claim(self, request_id: str, seen: str | None, version: str) -> bool:
        item = self._summary_item(request_id)
        if item is None or item.get("version", {}).get("S") != seen:
            return False
        item["version"] = {"S": version}
        return True

    def _move_version(self, request_id: str) -> None:
        item = self._summary_item(request_id)
        if item is not None:
            item["version"] = {"S": fresh_version()}

    async def load(self, request_id: str) -> RequestState | None:
        self.reads.append(f"load:{request_id}")
        return parse_state(self._all(request_id))

    async def create(self, state: RequestState) -> None:
        layout = self._layout(state.summary.request_id)
        servers, batches = state.take_dirty()
        for item in [
            *map(layout.server, servers),
            *map(layout.extras, state.extras),
            *map(layout.batch, batches),
        ]:
            self._put(item)

    async def save(
        self,
        request_id: str,
        servers: Sequence[ServerRecord],
        batches: Sequence[BatchRecord],
        summary: Summary | None = None,
        version: str | None = None,
    ) -> bool:
        layout = self._layout(request_id)
        for item in [*map(layout.server, servers), *map(layout.batch, batches)]:
            self._put(item)
        if summary is None:
            return False
        stored = (self._summary_item(request_id) or {}).get("version", {}).get("S")
        kept = version is not None and stored == version
        self._put(layout.summary(summary, version if kept and version else fresh_version()))
        self._put(layout.history(summary))
        return kept

    async def record_intent(self, request_id: str, batch: BatchRecord) -> bool:
        if self.on_intent is not None:
            self.on_intent()
        item = self._layout(request_id).batch(batch)
        if (item["pk"]["S"], item["sk"]["S"]) in self.items:
            return False
        self._put(item)
        return True

    async def add_results(
        self,
        request_id: str,
        event_id: str,
        results: Sequence[ConfigurationResult],
        api_calls: Mapping[str, int],
        plan_hash: str | None = None,
        *,
        seen: str | None = None,
    ) -> str | None:
        layout = self._layout(request_id)
        for result in results:
            self._put(layout.result(result))
        self._put(layout.calls(event_id, api_calls, plan_hash))
        version = fresh_version()
        if seen is not None and await self.claim(request_id, seen, version):
            return version
        self._move_version(request_id)
        return None

    async def add_emission(self, request_id: str, emission: Emission) -> None:
        item = self._layout(request_id).emission(emission, next(self._order))
        if (item["pk"]["S"], item["sk"]["S"]) not in self.items:
            self._put(item)

    async def emissions(self, request_id: str) -> list[Emission]:
        items = sorted(self._all(request_id, "emit#"), key=lambda i: int(i["order"]["N"]))
        return [
            Emission(
                str(i["sk"]["S"]).removeprefix("emit#"), int(i["seq"]["N"]), str(i["body"]["S"])
            )
            for i in items
        ]

    async def clear_emissions(self, request_id: str, keys: Sequence[str]) -> None:
        pk = self._layout(request_id).pk
        for key in keys:
            self.items.pop((pk, f"emit#{key}"), None)

    async def keep_drill(self, request_id: str, point: RecoveryPoint) -> None:
        self._put(self._layout(request_id).drill(point))
        self._move_version(request_id)

    async def keep_report(self, request_id: str, chunks: Sequence[RequestCompleted]) -> None:
        layout = self._layout(request_id)
        for chunk in chunks:
            self._put(layout.report(chunk))

    async def mark_cancel(self, request_id: str, who: str, at: datetime) -> None:
        item = self._layout(request_id).cancel(who, at)
        if (item["pk"]["S"], "cancel") not in self.items:
            self._put(item)

    async def cancel_mark(self, request_id: str) -> tuple[str, datetime] | None:
        item = self.items.get((self._layout(request_id).pk, "cancel"))
        if item is None:
            return None
        return item["cancelled_by"]["S"], datetime.fromisoformat(item["cancelled_at"]["S"])

    async def arm(self, request_id: str, seq: int, due_at: datetime) -> None:
        self.armed[request_id] = Armed(request_id, seq, due_at)

    async def disarm(self, request_id: str) -> None:
        self.armed.pop(request_id, None)

    async def overdue(self, before: datetime) -> list[Armed]:
        return [a for a in self.armed.values() if a.due_at < before]

    def batches(self, request_id: str) -> list[BatchRecord]:
        return [
            BatchRecord.model_validate_json(str(i["body"]["S"]))
            for i in self._all(request_id, "batch#")
        ]

    def intended(self, request_id: str, place: Place, ids: Sequence[str]) -> bool:
        """Whether an intended batch of exactly these servers is recorded."""
        return any(
            b.place == place
            and b.launching_ids == frozenset(ids)
            and b.status is BatchStatus.INTENDED
            for b in self.batches(request_id)
        )


@dataclass
class FakeMetrics:
    jobs: list[tuple[str, float, int, int]] = field(default_factory=list)
    requests: list[tuple[str, str, int, int]] = field(default_factory=list)
    elsewhere: list[tuple[str, int]] = field(default_factory=list)

    async def job_finished(
        self, request_id: str, operation: str, seconds: float, launched: int, failed: int
    ) -> None:
        self.jobs.append((request_id, seconds, launched, failed))

    async def request_finished(
        self, request_id: str, operation: str, status: str, launched: int, failed: int
    ) -> None:
        self.requests.append((request_id, status, launched, failed))

    async def landed_elsewhere(self, request_id: str, operation: str, servers: int) -> None:
        self.elsewhere.append((request_id, servers))


@dataclass
class FakeNotifier:
    notices: list[tuple[str, str]] = field(default_factory=list)

    async def request_ended(self, subject: str, message: str) -> None:
        self.notices.append((subject, message))
