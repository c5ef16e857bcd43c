"""A whole failback through all four services, timed by phase, as the monitor sees it.

An in-process endpoint is seeded with `BENCH_MONITOR_SERVERS` (default 300) servers
failed over in three waves, reverse replication not started; DRS runs on a simulated
clock (`BENCH_MONITOR_SCALE` simulated seconds per real second, default 600). The four
services run as in-process workers. This prints when each event of the request
arrived (seconds from the request), the jobs per wave, the monitor's runs and DRS
calls, and the peak of concurrent jobs the emulator saw.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from aiobotocore.session import get_session

from bench.local import deploy, endpoint
from drsorch.cli.approval import KmsSigner, sign_approval
from drsorch.cli.workers import Workers
from drsorch.configurator.bootstrap import build_with as configurator
from drsorch.configurator.settings import ConfiguratorSettings
from drsorch.contracts import (
    EVENTS,
    Accounts,
    Envelope,
    Event,
    FailbackRequested,
    RequestSpec,
    Scope,
    Topic,
)
from drsorch.discovery.bootstrap import build as discovery
from drsorch.local.deploy import StackOutputs
from drsorch.local.drs.emulator import default_emulator
from drsorch.local.estate import parse_estate, seed_estate
from drsorch.matcher.bootstrap import build as matcher
from drsorch.monitor.bootstrap import build_with as monitor
from drsorch.monitor.settings import MonitorSettings
from drsorch.runtime import RuntimeSettings, serve
from drsorch.runtime.approvals import APPROVALS_KEY_OUTPUT
from drsorch.runtime.sns import SnsPublisher

N = int(os.environ.get("BENCH_MONITOR_SERVERS", "300"))
SCALE = float(os.environ.get("BENCH_MONITOR_SCALE", "600"))
HUB, PRIMARY, RECOVERY = "123456789012", "us-east-1", "us-west-2"
REQUEST = "req-bench-monitor-01"
ESTATE = f"""
version: 1
name: bench-monitor
regions: {{primary: {PRIMARY}, recovery: {RECOVERY}}}
phase: failed_over
drs: {{seed: 5, clock: {{scale: {SCALE}}}}}
accounts:
  - kind: hub
    generators:
      - count: {N}
        name: "bmon-{{index:04d}}"
        waves: [1, 2, 3]
        name_noise: {{rate: 0}}
        template: {{tags: {{app: bmon}}}}
"""
MONITOR = MonitorSettings(
    poll_min_seconds=1,
    poll_max_seconds=3,
    readiness_poll_seconds=2,
    batch_linger_seconds=2,
    intent_settle_seconds=2,
    lease_seconds=20,
    wake_delay_seconds=1,
)


def observer(topology: StackOutputs) -> str:
    sqs = boto3.client("sqs")
    url: str = sqs.create_queue(QueueName="bmon-observer")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    for topic_arn in topology.events_topic_arns:
        boto3.client("sns").subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=arn["QueueArn"],
            Attributes={"RawMessageDelivery": "true"},
        )
    return url


async def watch(
    url: str, seen: dict[str, tuple[float, Envelope[Event]]], started: float, request_id: str
) -> None:
    """Collect the request's events (first arrival time of each) until every RequestCompleted
    chunk is in."""
    async with get_session().create_client("sqs") as sqs:
        while True:
            answer = await sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
            for message in answer.get("Messages", []):
                envelope = EVENTS.parse(message["Body"])
                await sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                if envelope.request_id != request_id:
                    continue
                seen.setdefault(envelope.event_id, (time.perf_counter() - started, envelope))
            done = [e for _, e in seen.values() if e.type == "RequestCompleted"]
            if done and len(done) >= done[0].payload.chunk.count:  # type: ignore[attr-defined]
                return


async def publish(topology: StackOutputs, spec: RequestSpec, request_id: str) -> None:
    request = Envelope.wrap(
        FailbackRequested(spec=spec), request_id=request_id, step="r", producer="cli"
    )
    async with get_session().create_client("sns") as sns:
        await SnsPublisher(sns, {Topic.REQUESTS: topology.requests_topic_arn}).publish([request])


async def approved(topology: StackOutputs, spec: RequestSpec, url: str) -> RequestSpec:
    """Plan first, then the apply's spec carrying a signed approval of exactly that plan,
    as an operator must (the services verify approvals themselves)."""
    planning = f"{REQUEST}-plan"
    await publish(topology, spec.model_copy(update={"plan_only": True}), planning)
    seen: dict[str, tuple[float, Envelope[Event]]] = {}
    await asyncio.wait_for(watch(url, seen, time.perf_counter(), planning), timeout=1800)
    (plan,) = [e.payload for _, e in seen.values() if e.type == "RequestCompleted"][:1]
    plan_hash = getattr(plan, "plan_hash", None)
    if plan_hash is None:
        raise RuntimeError(f"the plan produced no hash: {getattr(plan, 'reason', '?')}")
    session = get_session()
    async with (
        session.create_client("kms") as kms,
        session.create_client("sts") as sts,
    ):
        caller = await sts.get_caller_identity()
        approval = await sign_approval(
            KmsSigner(kms),
            key_arn=topology.outputs[APPROVALS_KEY_OUTPUT],
            request_id=REQUEST,
            plan_hash=plan_hash,
            approver=caller["Arn"],
            now=datetime.now(UTC),
        )
    return spec.model_copy(update={"approved_plan_hash": plan_hash, "approvals": (approval,)})


async def run(
    topology: StackOutputs,
    configurator_settings: ConfiguratorSettings | None = None,
    before_apply: Callable[[], None] = lambda: None,
    processes: Path | None = None,
    after_apply: Callable[[], None] = lambda: None,
) -> dict[str, tuple[float, Envelope[Event]]]:
    """The failback through all four services, planned and approved first (then
    `before_apply` is called); the apply's events by ID with their arrival (seconds from
    the apply's request). `after_apply` is called once the apply has ended, before the
    services stop.

    The services run as in-process workers on this event loop, or (`processes`: their log
    folder) as one `python -m drsorch.<service>` process each, as they are deployed, with
    the same settings."""
    stop = asyncio.Event()
    settings = RuntimeSettings(
        stack_name=topology.stack_name, wait_seconds=1, retry_base_seconds=1, pollers=2
    )
    chosen = configurator_settings or ConfiguratorSettings(retry_seconds=1)
    tasks: list[asyncio.Task[Any]] = []
    fleet = None
    if processes is None:
        workers = [
            ("discovery", discovery),
            ("matcher", matcher),
            ("configurator", configurator(chosen)),
            ("monitor", monitor(MONITOR)),
        ]
        tasks = [asyncio.create_task(serve(n, b, stop, settings)) for n, b in workers]
    else:
        fleet = Workers(processes)
        fleet.start(worker_env(settings, chosen, MONITOR))
        await asyncio.to_thread(fleet.wait_ready, 120)
    spec = RequestSpec(
        operation="failback",
        scope=Scope(selector={"app": "bmon"}),
        accounts=Accounts(hub=HUB),
        primary_region=PRIMARY,
        recovery_region=RECOVERY,
        requested_by="bench",
    )
    seen: dict[str, tuple[float, Envelope[Event]]] = {}
    try:
        url = observer(topology)
        spec = await approved(topology, spec, url)
        before_apply()
        started = time.perf_counter()
        await publish(topology, spec, REQUEST)
        await asyncio.wait_for(watch(url, seen, started, REQUEST), timeout=1800)
        after_apply()
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=60)
        if fleet is not None:
            fleet.stop()
    return seen


def worker_env(
    runtime: RuntimeSettings, configurator: ConfiguratorSettings, monitor: MonitorSettings
) -> dict[str, str]:
    """The variables that give worker processes these settings (those set explicitly),
    talking to this process's endpoint."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRSORCH_")}
    for prefix, settings in (
        ("DRSORCH_", runtime),
        ("DRSORCH_CONFIGURATOR_", configurator),
        ("DRSORCH_MONITOR_", monitor),
    ):
        for name in settings.model_fields_set:
            env[f"{prefix}{name.upper()}"] = str(getattr(settings, name))
    return env | {"DRSORCH_LOG_LEVEL": "INFO"}


def cpu_seconds(pids: Iterable[int]) -> float:
    """CPU seconds used so far by these processes (Linux's /proc)."""
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def report(seen: dict[str, tuple[float, Envelope[Event]]], topology: StackOutputs) -> None:
    by_type: dict[str, list[tuple[float, Any]]] = {}
    for at, envelope in sorted(seen.values(), key=lambda pair: pair[0]):
        by_type.setdefault(envelope.type, []).append((at, envelope.payload))
    print("  seconds from the request to the first and last of each event:")
    for kind, items in by_type.items():
        print(f"    {kind:<18} {items[0][0]:7.1f} {items[-1][0]:7.1f}  ({len(items)})")
    done = [p for _, p in by_type["RequestCompleted"]]
    lines = [line for chunk in done for line in chunk.servers]
    print(f"  status {done[0].status}: {Counter(line.outcome for line in lines)}")
    for job in sorted((j for c in done for j in c.jobs), key=lambda j: j.started_at):
        seconds = (job.ended_at - job.started_at).total_seconds() if job.ended_at else None
        print(
            f"    wave {job.wave} job {job.job_id}: {len(job.source_server_ids)} servers, "
            f"{seconds} simulated s"
        )
    print(f"  DRS calls of the request: {json.dumps(done[0].api_calls, sort_keys=True)}")
    summary = boto3.client("dynamodb").get_item(
        TableName=topology.monitor.table_name,
        Key={"pk": {"S": f"request#{REQUEST}"}, "sk": {"S": "summary"}},
    )["Item"]
    body = json.loads(summary["body"]["S"])
    print(f"  monitor runs (ticks): {body['tick_seq']}, its DRS calls: {body['calls']}")
    emulator = default_emulator()
    with emulator.lock:
        errors = Counter(r.error_code for r in emulator.calls.records() if r.error_code)
    print(f"  errors DRS answered: {dict(errors) or 'none'}")


def main() -> None:
    with endpoint(PRIMARY):
        t0 = time.perf_counter()
        seed_estate(parse_estate(ESTATE, "bench-monitor"))
        print(f"{N} failed-over servers seeded in {time.perf_counter() - t0:.1f} s")
        topology = deploy("bmon")
        t0 = time.perf_counter()
        seen = asyncio.run(run(topology))
        print(f"  request done in {time.perf_counter() - t0:.1f} s")
        report(seen, topology)
