"""The configurator on a 300-server failback: time from PairsMatched to TargetConfigured.

An in-process endpoint is seeded with 300 failed-over servers (no reverse
replication yet); one configurator worker runs in this process. For a plan-only
request and then the apply, this prints the seconds from publishing PairsMatched
to the whole TargetConfigured on the monitor's queue, the number of chunks, and the
DRS calls made by operation.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

import boto3
from aiobotocore.session import get_session

from bench.local import deploy, endpoint
from drsorch.cli.approval import KmsSigner, sign_approval
from drsorch.configurator.bootstrap import build_with
from drsorch.configurator.settings import ConfiguratorSettings
from drsorch.contracts import (
    Accounts,
    Envelope,
    Event,
    Pair,
    PairsMatched,
    RequestSpec,
    Scope,
    ServerRef,
    TargetRef,
    Topic,
)
from drsorch.local.deploy import StackOutputs
from drsorch.local.estate import SeededServer, parse_estate, seed_estate
from drsorch.runtime import RuntimeSettings, serve
from drsorch.runtime.approvals import APPROVALS_KEY_OUTPUT
from drsorch.runtime.sns import SnsPublisher

N = 300
HUB, PRIMARY, RECOVERY = "123456789012", "us-east-1", "us-west-2"
ESTATE = f"""
version: 1
name: bench-configurator
regions: {{primary: {PRIMARY}, recovery: {RECOVERY}}}
phase: failed_over
drs: {{seed: 3, clock: {{scale: 0}}}}
accounts:
  - kind: hub
    generators:
      - {{count: {N}, name: "bench-{{index:03d}}", waves: [1, 2, 3], name_noise: {{rate: 0}}}}
"""


def spec(plan_only: bool, **approval: Any) -> RequestSpec:
    return RequestSpec(
        operation="failback",
        scope=Scope(selector={"app": "bench"}),
        accounts=Accounts(hub=HUB),
        primary_region=PRIMARY,
        recovery_region=RECOVERY,
        plan_only=plan_only,
        requested_by="bench",
        **approval,
    )


def pairs(servers: list[SeededServer]) -> tuple[Pair, ...]:
    return tuple(
        Pair(
            server=ServerRef(
                source_server_id=s.source_server_id, account_id=HUB, region=RECOVERY, name=s.name
            ),
            target=TargetRef(instance_id=s.original_instance_id, account_id=HUB, region=PRIMARY),
            method="lineage",
            architecture="x86_64",
            recovery_instance_id=s.recovery_instance_id,
            recovery_ec2_instance_id=s.recovery_ec2_instance_id,
        )
        for s in servers
    )


def wait_configured(queue_url: str) -> tuple[int, int, dict[str, Any], str]:
    """Drain the monitor's queue until every TargetConfigured chunk is in."""
    sqs = boto3.client("sqs")
    results, chunks, count = 0, 0, None
    calls: dict[str, Any] = {}
    plan_hash = ""
    deadline = time.monotonic() + 300
    while count is None or chunks < count:
        if time.monotonic() > deadline:
            raise TimeoutError("no complete TargetConfigured within 300 s")
        response = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        for message in response.get("Messages", []):
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            body = json.loads(json.loads(message["Body"])["Message"])
            if body["type"] == "TargetConfigured":
                payload = body["payload"]
                results += len(payload["results"])
                chunks += 1
                count = payload.get("chunk", {}).get("count", 1)
                calls = calls or payload.get("api_calls", {})
                plan_hash = payload.get("plan_hash") or plan_hash
    return results, chunks, calls, plan_hash


async def approve(topology: StackOutputs, request_id: str, plan_hash: str) -> dict[str, Any]:
    """The apply's approval of the plan-only run's hash, signed as an approver does."""
    session = get_session()
    async with session.create_client("kms") as kms, session.create_client("sts") as sts:
        caller = await sts.get_caller_identity()
        signed = await sign_approval(
            KmsSigner(kms),
            key_arn=topology.outputs[APPROVALS_KEY_OUTPUT],
            request_id=request_id,
            plan_hash=plan_hash,
            approver=caller["Arn"],
            now=datetime.now(UTC),
        )
    return {"approved_plan_hash": plan_hash, "approvals": (signed,)}


async def run(topology: StackOutputs, servers: list[SeededServer]) -> None:
    stop = asyncio.Event()
    runtime = RuntimeSettings(stack_name=topology.stack_name, wait_seconds=1)
    worker = asyncio.create_task(
        serve("configurator", build_with(ConfiguratorSettings(retry_seconds=1)), stop, runtime)
    )
    topics = {Topic.EVENTS: topology.matcher.events_topic_arn}
    approval: dict[str, Any] = {}
    plan_hash = ""
    try:
        for label, plan_only in (("plan-only", True), ("apply", False)):
            request_id = f"req-bench-cfg-{label}"
            if not plan_only:
                approval = await approve(topology, request_id, plan_hash)
            event = PairsMatched(
                spec=spec(plan_only, **approval), match_hash="d" * 64, pairs=pairs(servers)
            )
            envelope: Envelope[Event] = Envelope.wrap(
                event, request_id=request_id, step="m", producer="matcher"
            )
            started = time.perf_counter()
            async with get_session().create_client("sns") as sns:
                await SnsPublisher(sns, topics).publish([envelope])
            results, chunks, calls, plan_hash = await asyncio.to_thread(
                wait_configured, topology.monitor.queue_url
            )
            seconds = time.perf_counter() - started
            print(f"  {label:<10} {results} results in {chunks} chunk(s), {seconds:5.1f} s")
            print(f"  {'':<10} DRS calls: {json.dumps(calls, sort_keys=True)}")
    finally:
        stop.set()
        await asyncio.wait_for(worker, timeout=30)


def main() -> None:
    with endpoint(PRIMARY):
        t0 = time.perf_counter()
        servers = list(seed_estate(parse_estate(ESTATE, "bench")).servers)
        print(f"{N} failed-over servers seeded in {time.perf_counter() - t0:.1f} s")
        asyncio.run(run(deploy("bcfg"), servers))
