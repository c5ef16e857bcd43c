"""Large estates at DRS's quota bounds: one JSON line per case (`make bench-scale`).

Each case seeds an estate on an endpoint in a process of its own (as AWS is apart from a
deployment), runs the four services as a process each (as they are deployed), plans the
request, signs its approval as an approver does, and applies it. Every figure comes
from DRS's own answers and the emulator's call log:

- `quota_errors`: calls DRS refused with ServiceQuotaExceeded;
- `max_replicating_per_place`: the most source servers replicating at once in one
  account and region (sampled, so a short peak between samples can be missed);
- `launch_phase_ratio`: the launch phase (first LAUNCH job created to last one ended, in
  simulated seconds) over the quota lower bound. Every job lasts the same simulated
  time D here (fixed timings), and at most `servers_in_active_jobs` servers may be in
  active jobs per account and region, so a wave needs at least ceil(n / 500) rounds of
  D in its busiest place, and waves run one after the other: the bound is the sum over

The monitor runs with its default cadence carried onto the simulated clock (every
delay divided by the clock's scale), so the ratio shows what its polling costs in
production, not what a faster test setting would hide. Cases: `BENCH_SCALE_CASES`
(comma-separated names, default all; `drill-3000-10-staging` is a drill sent as `drsorch
drill` sends it, with `drill_checks` and `verify_wall_s` from its evidence (DrillVerified);
`failback-1000-one-account` is `bench.pipeline`,
with its own bound, and `failback-overhead-instant-drs` is `bench overhead`); the
failover sizes can be shrunk with `BENCH_SCALE_FACTOR` (e.g. 0.1) to try the bench.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import boto3
from aiobotocore.session import get_session

from bench import overhead, pipeline
from bench.local import deploy, drs_admin, endpoint_process
from bench.monitor import worker_env
from bench.pipeline import simulated_seconds
from drsorch.cli.approval import KmsSigner, sign_approval
from drsorch.cli.workers import Workers
from drsorch.configurator.settings import ConfiguratorSettings
from drsorch.contracts import (
    EVENTS,
    Accounts,
    DrillRequested,
    DrillVerified,
    Envelope,
    Event,
    FailbackRequested,
    FailoverRequested,
    RequestCompleted,
    RequestSpec,
    Scope,
    Topic,
)
from drsorch.local.deploy import StackOutputs
from drsorch.monitor.settings import MonitorSettings
from drsorch.runtime import RuntimeSettings
from drsorch.runtime.approvals import APPROVALS_KEY_OUTPUT
from drsorch.runtime.sns import SnsPublisher

HUB, PRIMARY, RECOVERY = "123456789012", "us-east-1", "us-west-2"
SCALE = float(os.environ.get("BENCH_SCALE_CLOCK", "10"))
FACTOR = float(os.environ.get("BENCH_SCALE_FACTOR", "1"))
# Every job lasts the same simulated time: the bound is then exact.
TIMINGS = {
    "job_pending": 20,
    "cleanup": 30,
    "snapshot": 60,
    "conversion": 600,
    "launch": 300,
    "job_end": 5,
}
SERVERS_IN_ACTIVE_JOBS = 500  # DRS's quota, per account and region
DRILL_KEEP_SECONDS = 86_400  # a drill's instances outlive the bench: no clean-up mid-case
VERIFY_S = float(os.environ.get("BENCH_SCALE_VERIFY_S", "1800"))
"""How long a drill case waits for its evidence (DrillVerified) after its report."""


@dataclass(frozen=True)
class Case:
    name: str
    operation: str
    servers: int
    waves: int
    staging_accounts: int = 0
    """Staging accounts the servers replicate in (0: they replicate in the hub)."""
    replicating_quota: int = 300
    targets: bool = False
    """Every server has a pre-provisioned target in the recovery region to launch into."""
    drill: bool = False
    """A drill, as `drsorch drill` asks for it (DrillRequested), then verified."""


CASES = (
    Case("failover-3000-10-staging", "failover", 3000, waves=3, staging_accounts=10, targets=True),
    Case("failover-2000-staging-1-wave", "failover", 2000, waves=1, staging_accounts=7),
    Case("failover-2000-staging-3-waves", "failover", 2000, waves=3, staging_accounts=7),
    Case("drill-3000-10-staging", "failover", 3000, waves=3, staging_accounts=10, drill=True),
)


def _count(case: Case) -> int:
    return max(case.waves, round(case.servers * FACTOR))


def estate(case: Case) -> str:
    """The case's estate file: protected servers, to fail over."""
    count = _count(case)
    timings = {name: {"min_seconds": s, "max_seconds": s} for name, s in TIMINGS.items()}
    staging = [f"5555{i:08d}" for i in range(1, case.staging_accounts + 1)]
    drs = {
        "seed": 14,
        "clock": {"scale": SCALE},
        "timings": timings,
        "quotas": {"replicating_servers": case.replicating_quota},
        "call_log_limit": 1_000_000,
    }
    generator: dict[str, Any] = {
        "count": count,
        "name": f"{case.name[:8]}-{{index:05d}}",
        "waves": list(range(1, case.waves + 1)),
        "name_noise": {"rate": 0},
        "template": {"tags": {"app": "scale"}, **({"target": {}} if case.targets else {})},
    }
    hub: dict[str, Any] = {"kind": "hub", "id": HUB, "generators": [generator]}
    if staging:
        hub["staging_accounts"] = staging
        generator["staging_accounts"] = staging
    document = {
        "version": 1,
        "name": f"bench-{case.name}",
        "regions": {"primary": PRIMARY, "recovery": RECOVERY},
        "phase": "failed_over" if case.operation == "failback" else "protected",
        "drs": drs,
        "accounts": [hub],
    }
    return json.dumps(document)  # YAML is a superset of JSON


def monitor_settings() -> MonitorSettings:
    """The monitor's default cadence, carried onto the simulated clock."""
    defaults = MonitorSettings()
    scaled: dict[str, float] = {}
    for name, info in MonitorSettings.model_fields.items():
        value = getattr(defaults, name)
        if not name.endswith("_seconds") or not isinstance(value, float):
            continue
        low = next((m.ge for m in info.metadata if hasattr(m, "ge")), 0)
        scaled[name] = max(float(low), value / SCALE)
    # The lease and the sweep guard against crashes; they do not pace the work.
    scaled.update(lease_seconds=60.0, sweep_seconds=60.0, sweep_grace_seconds=60.0)
    return MonitorSettings.model_validate(scaled)


class Sampler:
    """The most servers replicating at once per account and region, as DRS's quota counts
    them (the emulator's admin route)."""

    def __init__(self, url: str, interval: float = 0.2) -> None:
        self.peak: Counter[tuple[str, str]] = Counter()
        self.missed = 0
        """Looks that failed (the peak may be understated when it is not 0)."""
        self._url = url
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                places = drs_admin(self._url, "/replicating")["places"]
            except OSError:
                self.missed += 1  # a look lost, not the sampler: said in the figures
                continue
            for place in places:
                key = (place["account"], place["region"])
                self.peak[key] = max(self.peak[key], place["replicating"])

    @contextmanager
    def running(self) -> Iterator[Sampler]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()


E = TypeVar("E", RequestCompleted, DrillVerified)


async def completed(
    url: str,
    request_id: str,
    within: float,
    kind: type[E] = RequestCompleted,  # type: ignore[assignment]
    seen: dict[str, dict[int, Any]] | None = None,
) -> list[E]:
    """Every chunk of one request's `kind` (RequestCompleted, DrillVerified), from an observer
    queue; chunks of the other kind read on the way are kept in `seen` for a later call."""
    seen = {} if seen is None else seen
    deadline = time.monotonic() + within
    async with get_session().create_client("sqs") as sqs:
        while time.monotonic() < deadline:
            chunks = seen.get(kind.event_type, {})
            if chunks and len(chunks) >= next(iter(chunks.values())).chunk.count:
                return [chunks[i] for i in sorted(chunks)]
            answer = await sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
            for message in answer.get("Messages", []):
                envelope = EVENTS.parse(message["Body"])
                await sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                payload = envelope.payload
                if envelope.request_id == request_id and isinstance(
                    payload, RequestCompleted | DrillVerified
                ):
                    seen.setdefault(envelope.type, {})[payload.chunk.index] = payload
    raise TimeoutError(f"{request_id} had no {kind.event_type} within {within:.0f} s")


def observer(topology: StackOutputs, name: str) -> str:
    sqs = boto3.client("sqs")
    url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    for topic_arn in topology.events_topic_arns:
        boto3.client("sns").subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=arn["QueueArn"],
            Attributes={"RawMessageDelivery": "true"},
        )
    return url


async def publish(topology: StackOutputs, spec: RequestSpec, request_id: str) -> None:
    event: Event
    if spec.drill:  # as `drsorch drill` sends it; its instances are kept past the bench
        event = DrillRequested(spec=spec, keep_for_seconds=DRILL_KEEP_SECONDS)
    elif spec.operation == "failback":
        event = FailbackRequested(spec=spec)
    else:
        event = FailoverRequested(spec=spec)
    request = Envelope.wrap(event, request_id=request_id, step="r", producer="cli")
    async with get_session().create_client("sns") as sns:
        await SnsPublisher(sns, {Topic.REQUESTS: topology.requests_topic_arn}).publish([request])


async def approve(topology: StackOutputs, request_id: str, plan_hash: str) -> Any:
    session = get_session()
    async with session.create_client("kms") as kms, session.create_client("sts") as sts:
        caller = await sts.get_caller_identity()
        return await sign_approval(
            KmsSigner(kms),
            key_arn=topology.outputs[APPROVALS_KEY_OUTPUT],
            request_id=request_id,
            plan_hash=plan_hash,
            approver=caller["Arn"],
            now=datetime.now(UTC),
            valid_minutes=240,
            required=1,
        )


@dataclass
class Ran:
    """What a case's apply produced: its report chunks, its wall time, and for a drill its
    verification (the evidence pack's chunks) and the wall time that took after the report."""

    chunks: list[RequestCompleted]
    wall: float
    verified: list[DrillVerified] = field(default_factory=list)
    verify_wall: float | None = None
    verify_error: str | None = None


async def run_case(case: Case, topology: StackOutputs, logs: Path) -> Ran:
    """Plan, approve and apply the case's request (and, for a drill, wait for its evidence),
    the services running as a process each, logging into `logs`."""
    settings = RuntimeSettings(
        stack_name=topology.stack_name, wait_seconds=1, retry_base_seconds=1, pollers=2
    )
    spec = RequestSpec(
        operation=case.operation,  # type: ignore[arg-type]
        scope=Scope(selector={"app": "scale"}),
        accounts=Accounts(hub=HUB),
        primary_region=PRIMARY,
        recovery_region=RECOVERY,
        requested_by="bench-scale",
        drill=case.drill,
    )
    fleet = Workers(logs)
    try:  # the workers lead sessions of their own: stopped here whatever happens
        fleet.start(worker_env(settings, ConfiguratorSettings(retry_seconds=1), monitor_settings()))
        await asyncio.to_thread(fleet.wait_ready, 120)
        url = observer(topology, f"{topology.stack_name}-observer")
        plan_id, apply_id = f"req-{case.name}-plan", f"req-{case.name}"
        await publish(topology, spec.model_copy(update={"plan_only": True}), plan_id)
        (planned, *_) = await completed(url, plan_id, within=1800)
        if planned.plan_hash is None:
            raise RuntimeError(f"{case.name}: the plan was {planned.status}: {planned.reason}")
        approval = await approve(topology, apply_id, planned.plan_hash)
        update = {"approved_plan_hash": planned.plan_hash, "approvals": (approval,)}
        started = time.perf_counter()
        await publish(topology, spec.model_copy(update=update), apply_id)
        seen: dict[str, dict[int, Any]] = {}
        chunks = await completed(url, apply_id, within=3600, seen=seen)
        ran = Ran(chunks, time.perf_counter() - started)
        if case.drill:
            reported = time.perf_counter()
            try:
                ran.verified = await completed(url, apply_id, VERIFY_S, DrillVerified, seen)
                ran.verify_wall = time.perf_counter() - reported
            except TimeoutError as exc:  # the launch figures still stand; say what is missing
                ran.verify_error = str(exc)
        return ran
    finally:
        await asyncio.to_thread(fleet.stop)


@dataclass(frozen=True)
class _Job:
    """A LAUNCH job as DescribeJobs tells it, its times in simulated seconds."""

    place: tuple[str, str]
    job_id: str
    created: float
    ended: float
    participants: tuple[str, ...]


def _launch_jobs() -> list[_Job]:
    """The ended LAUNCH jobs of the hub's recovery region, where every case launches."""
    drs = boto3.client("drs", region_name=RECOVERY)
    pages = drs.get_paginator("describe_jobs").paginate()
    return [
        _Job(
            place=(HUB, RECOVERY),
            job_id=job["jobID"],
            created=simulated_seconds(job["creationDateTime"]),
            ended=simulated_seconds(job["endDateTime"]),
            participants=tuple(p["sourceServerID"] for p in job["participatingServers"]),
        )
        for page in pages
        for job in page["items"]
        if job["type"] == "LAUNCH" and job.get("endDateTime")
    ]


def launch_phase(chunks: list[RequestCompleted]) -> tuple[float | None, float | None]:
    """(launch phase in simulated seconds, its ratio to the quota lower bound)."""
    waves: dict[str, str] = {}
    for line in (line for chunk in chunks for line in chunk.servers):
        waves[line.server.source_server_id] = str(line.server.wave)
        if line.launching_server_id is not None:
            waves[line.launching_server_id] = str(line.server.wave)
    jobs = _launch_jobs()
    if not jobs:
        return None, None
    first = min(job.created for job in jobs)
    last = max(job.ended for job in jobs)
    duration = min(job.ended - job.created for job in jobs)
    per_wave: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for job in jobs:
        for server_id in job.participants:
            per_wave[str(waves.get(server_id))][job.place] += 1
    rounds = sum(
        max(math.ceil(n / SERVERS_IN_ACTIVE_JOBS) for n in places.values())
        for places in per_wave.values()
    )
    phase = last - first
    if os.environ.get("BENCH_SCALE_JOBS"):  # the job timeline, to see where gaps are
        for job in sorted(jobs, key=lambda j: j.created):
            print(
                f"  {job.place[0]} {job.job_id} {len(job.participants):>4} servers "
                f"{job.created - first:8.1f} -> {job.ended - first:8.1f}",
                file=sys.stderr,
            )
    return round(phase, 3), phase / (rounds * duration)


def figures(case: Case, ran: Ran, sampler: Sampler, url: str) -> dict[str, Any]:
    chunks = ran.chunks
    records = drs_admin(url, "/calls")["calls"]
    outcomes = Counter(line.outcome for chunk in chunks for line in chunk.servers)
    count = _count(case)
    line: dict[str, Any] = {
        "case": case.name,
        "servers": count,
        "status": chunks[0].status,
        "recovered": outcomes.get("recovered", 0),
        "outcomes": dict(outcomes),
        "quota_errors": sum(
            1 for r in records if r["error_code"] == "ServiceQuotaExceededException"
        ),
        "max_replicating_per_place": max(sampler.peak.values(), default=0),
        "drs_calls_per_server": round(len(records) / count, 2),
    }
    if sampler.missed:
        line["replicating_looks_missed"] = sampler.missed
    phase, ratio = launch_phase(chunks)
    line["launch_phase_s"] = phase
    line["launch_phase_ratio"] = None if ratio is None else round(ratio, 3)
    line["wall_s"] = round(ran.wall, 1)
    if case.drill:
        checks = Counter(i.check for chunk in ran.verified for i in chunk.instances)
        line["drill_checks"] = dict(checks)
        line["verify_wall_s"] = None if ran.verify_wall is None else round(ran.verify_wall, 1)
        if ran.verify_error:
            line["verify_error"] = ran.verify_error
    return line


PIPELINE = "failback-1000-one-account"
"""`bench.pipeline`: 1,000 servers fail back through one account's 300 replicating slots."""
OVERHEAD = "failback-overhead-instant-drs"
"""`bench.overhead`: the 1,000-server failback with DRS answering instantly."""


def main() -> None:
    wanted = [n for n in os.environ.get("BENCH_SCALE_CASES", "").split(",") if n]
    known = [c.name for c in CASES] + [PIPELINE, OVERHEAD]
    unknown = set(wanted) - set(known)
    if unknown:
        raise SystemExit(f"unknown case(s) {sorted(unknown)}; known: {known}")
    for case in CASES:
        if wanted and case.name not in wanted:
            continue
        with (
            endpoint_process(PRIMARY, estate(case), f"bench-{case.name}") as (url, _),
            tempfile.TemporaryDirectory() as folder,
        ):
            topology = deploy("bscale")
            # The services' logs (and metric lines) are not the bench's figures: kept in
            # BENCH_SCALE_LOGS (a folder) when it is set.
            logs = Path(os.environ.get("BENCH_SCALE_LOGS") or folder) / case.name
            with Sampler(url).running() as sampler:
                ran = asyncio.run(run_case(case, topology, logs))
            print(json.dumps(figures(case, ran, sampler, url)), flush=True)
    if not wanted or PIPELINE in wanted:
        pipeline.main()
    if not wanted or OVERHEAD in wanted:
        overhead.main()


if __name__ == "__main__":
    main()
