"""The failback pipelined within the replicating quota, at full size (a `make bench-scale` case).

Case `failback-1000-one-account`: 1,000 servers failed over from one primary account, in
three waves, fail back at the real quota of 300 replicating source servers per account
and region. Each FAILBACK server takes a primary-region slot from reverse replication
until drsorch stops its replication after it landed. The FAILOVER servers' replication
was stopped after the failover (drs-api-facts.md §3.2 step 1b), so the recovery region
holds them. Every simulated duration is fixed, so the best any orchestrator could do is
computed exactly: the quota lower bound is the last landing of an ideal pipeline that
starts each server's reverse replication the moment a slot frees (earlier waves first),
launches each as soon as it synced and its wave may launch, and frees its slot as it
lands, with zero overhead. `launch_phase_ratio` is the measured time from the first
ReverseReplication to the last job's end, both in DRS's simulated time, over that bound.
The four services run as in-process workers; the operator plans and approves as usual.

Fields: case, servers, status, recovered, quota_errors (calls DRS refused with
ServiceQuotaExceeded), max_replicating_per_place (FAILBACK servers replicating at once in
the primary account and region, replayed from the emulator's call log), launch_phase_ratio.
`BENCH_SCALE_SCALE` sets the simulated seconds per real second (default 30).
"""

from __future__ import annotations

import asyncio
import heapq
import json
import os
import time
from datetime import UTC, datetime
from typing import Any

import boto3
from aiobotocore.session import get_session

from bench.local import deploy, endpoint
from bench.monitor import MONITOR, observer
from drsorch.cli.approval import KmsSigner, sign_approval
from drsorch.configurator.bootstrap import build_with as configurator
from drsorch.configurator.settings import ConfiguratorSettings
from drsorch.contracts import (
    EVENTS,
    Accounts,
    Envelope,
    FailbackRequested,
    RequestCompleted,
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
from drsorch.runtime import RuntimeSettings, serve
from drsorch.runtime.approvals import APPROVALS_KEY_OUTPUT
from drsorch.runtime.sns import SnsPublisher

SCALE = float(os.environ.get("BENCH_PIPELINE_CLOCK", "30"))
HUB, PRIMARY, RECOVERY = "123456789012", "us-east-1", "us-west-2"
QUOTA = 300
WAVES = (1, 2, 3)
SYNC = 60 + 300  # replication_initiating + initial_sync
JOB = 10 + 20 + 60 + 60 + 2  # job_pending + snapshot + conversion + launch + job_end
TIMINGS = {
    "job_pending": 10,
    "snapshot": 20,
    "conversion": 60,
    "launch": 60,
    "job_end": 2,
    "replication_initiating": 60,
    "initial_sync": 300,
    "recovery_instance_initializing": 1,
}


def estate(servers: int) -> str:
    timings = ", ".join(
        f"{name}: {{min_seconds: {s}, max_seconds: {s}}}" for name, s in TIMINGS.items()
    )
    return f"""
version: 1
name: bench-scale
regions: {{primary: {PRIMARY}, recovery: {RECOVERY}}}
phase: failed_over
drs: {{seed: 7, clock: {{scale: {SCALE}}}, timings: {{{timings}}}}}
accounts:
  - kind: hub
    generators:
      - count: {servers}
        name: "bsc-{{index:04d}}"
        waves: {list(WAVES)}
        name_noise: {{rate: 0}}
        template:
          tags: {{app: bscale}}
          replication: {{state: STOPPED}}
"""


def ideal_seconds(waves: list[int], slots: int, sync: int, job: int) -> int:
    """The last landing of the ideal pipeline (see the module's docstring), from t=0."""
    free = [0] * slots  # when each slot is next free; a heap
    landed_by = 0  # when the wave before landed whole
    for count in waves:
        lands = []
        for _ in range(count):  # earlier waves take the earliest slots
            admitted = heapq.heappop(free)
            land = max(admitted + sync, landed_by) + job
            heapq.heappush(free, land)
            lands.append(land)
        landed_by = max(lands, default=landed_by)
    return landed_by


async def completed(url: str, request_id: str) -> list[RequestCompleted]:
    chunks: dict[int, RequestCompleted] = {}
    async with get_session().create_client("sqs") as sqs:
        while True:
            answer = await sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
            for message in answer.get("Messages", []):
                envelope = EVENTS.parse(message["Body"])
                await sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                payload = envelope.payload
                if envelope.request_id == request_id and isinstance(payload, RequestCompleted):
                    chunks[payload.chunk.index] = payload
                    if len(chunks) == payload.chunk.count:
                        return [chunks[i] for i in sorted(chunks)]


async def publish(topology: StackOutputs, spec: RequestSpec, request_id: str) -> None:
    request = Envelope.wrap(
        FailbackRequested(spec=spec), request_id=request_id, step="r", producer="cli"
    )
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
            valid_minutes=120,
        )


async def run(topology: StackOutputs, case: str) -> list[RequestCompleted]:
    stop = asyncio.Event()
    settings = RuntimeSettings(
        stack_name=topology.stack_name, wait_seconds=1, retry_base_seconds=1, pollers=2
    )
    workers = [
        ("discovery", discovery),
        ("matcher", matcher),
        ("configurator", configurator(ConfiguratorSettings(retry_seconds=1))),
        ("monitor", monitor(MONITOR)),
    ]
    tasks = [asyncio.create_task(serve(n, b, stop, settings)) for n, b in workers]
    spec = RequestSpec(
        operation="failback",
        scope=Scope(selector={"app": "bscale"}),
        accounts=Accounts(hub=HUB),
        primary_region=PRIMARY,
        recovery_region=RECOVERY,
        requested_by="bench",
    )
    url = observer(topology)
    try:
        planning, applying = f"req-{case}-plan", f"req-{case}-apply"
        await publish(topology, spec.model_copy(update={"plan_only": True}), planning)
        planned = await asyncio.wait_for(completed(url, planning), timeout=1800)
        plan_hash = planned[0].plan_hash
        assert plan_hash is not None, planned[0].reason
        approval = await approve(topology, applying, plan_hash)
        update = {"approved_plan_hash": plan_hash, "approvals": (approval,)}
        await publish(topology, spec.model_copy(update=update), applying)
        return await asyncio.wait_for(completed(url, applying), timeout=3600)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=60)


def simulated_seconds(text: str) -> float:
    """A DRS timestamp (the emulator's simulated clock) in epoch seconds."""
    return datetime.fromisoformat(text).timestamp()


def measure(report: list[RequestCompleted], servers: int, case: str) -> dict[str, Any]:
    emulator = default_emulator()
    with emulator.lock:
        log = [r.to_json() for r in emulator.calls.records()]
    replicating: set[str] = set()
    most = 0
    for call in log:
        if call["status"] >= 300:
            continue
        if call["operation"] == "ReverseReplication":
            replicating.add(call["result"]["reversedDirectionSourceServerArn"].rsplit("/", 1)[-1])
        elif call["operation"] == "StopReplication" and call["region"] == PRIMARY:
            replicating.discard(call["arguments"]["sourceServerID"])
        most = max(most, len(replicating))
    reversed_at = [
        simulated_seconds(c["simulated_time"])
        for c in log
        if c["operation"] == "ReverseReplication" and c["status"] < 300
    ]
    drs = boto3.client("drs", region_name=PRIMARY)
    jobs = [j for p in drs.get_paginator("describe_jobs").paginate() for j in p["items"]]
    ends = [
        simulated_seconds(j["endDateTime"])
        for j in jobs
        if j["type"] == "LAUNCH" and "endDateTime" in j
    ]
    lines = [line for chunk in report for line in chunk.servers]
    per_wave = [sum(1 for line in lines if line.server.wave == w) for w in WAVES]
    bound = ideal_seconds(per_wave, QUOTA, SYNC, JOB)
    measured = max(ends) - min(reversed_at) if ends and reversed_at else None
    return {
        "case": case,
        "servers": servers,
        "status": report[0].status,
        "recovered": sum(1 for line in lines if line.outcome == "recovered"),
        "quota_errors": sum(1 for c in log if c["error_code"] == "ServiceQuotaExceededException"),
        "max_replicating_per_place": most,
        "launch_phase_ratio": round(measured / bound, 3) if measured else None,
        "launch_phase_s": round(measured) if measured else None,
        "quota_bound_s": bound,
    }


def failback_1000_one_account() -> dict[str, Any]:
    case, servers = "failback-1000-one-account", 1000
    with endpoint(PRIMARY):
        seed_estate(parse_estate(estate(servers), "bench-scale"))
        topology = deploy("bscale")
        started = time.perf_counter()
        report = asyncio.run(run(topology, case))
        figures = measure(report, servers, case)
        figures["wall_s"] = round(time.perf_counter() - started, 1)
        return figures


CASES = {"failback-1000-one-account": failback_1000_one_account}


def main() -> None:
    # The monitor's metric lines would mix with the figures on stdout.
    os.environ.setdefault("DRSORCH_METRICS_FILE", os.devnull)
    for case in CASES.values():
        print(json.dumps(case()), flush=True)
