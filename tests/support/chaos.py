"""A kill storm: the four services as processes on the local endpoint, SIGKILLed at
random while a failback runs, restarted at once, and what must hold afterwards.

The services run as `python -m drsorch.<service>` with the runtime's default settings:
no inbox lease, visibility or retry is overridden. The monitor's pacing follows the
DRS emulator's fast clock (`cli.workers.FAST_LOCAL`, what `make demo` runs with).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from drsorch.cli.workers import FAST_LOCAL
from drsorch.contracts import Accounts, RequestCompleted, RequestSpec, Scope, Spoke
from drsorch.local.deploy import StackOutputs
from drsorch.local.estate import SeededServer
from drsorch.local.server import LocalEndpoint
from support.approving import plan_and_approve
from support.aws import FAST, LOCAL_SPOKES, client, deploy
from support.monitor_e2e import running
from support.monitor_world import calls, seed
from support.observer import observer_queue

SERVICES = ("discovery", "matcher", "configurator", "monitor")
HUB, SPOKE = "123456789012", "210987654321"
TESTS = Path(__file__).resolve().parents[1]


@dataclass
class Fleet:
    """One process per service; `kill` is a SIGKILL followed by a restart."""

    endpoint_url: str
    stack: str
    logs: Path
    env: Mapping[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    kills: Counter[str] = field(default_factory=Counter)

    def start(self, service: str) -> None:
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])),
            "DRSORCH_STACK_NAME": self.stack,
            "DRSORCH_LOG_LEVEL": "WARNING",
            **FAST_LOCAL,
            **self.env,
        }
        with (self.logs / f"{service}.log").open("ab") as sink:
            self.processes[service] = subprocess.Popen(
                [sys.executable, "-m", f"drsorch.{service}"], env=env, stdout=sink, stderr=sink
            )

    def start_all(self) -> None:
        for service in SERVICES:
            self.start(service)

    def kill(self, service: str) -> None:
        process = self.processes[service]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        self.kills[service] += 1
        self.start(service)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


def schedule(anyone: int, monitor: int, seed: int) -> list[str]:
    """The victims in order: `anyone` kills over all four services, `monitor` of the monitor."""
    rng = random.Random(seed)
    victims = [rng.choice(SERVICES) for _ in range(anyone)] + ["monitor"] * monitor
    rng.shuffle(victims)
    return victims


async def storm(fleet: Fleet, victims: Sequence[str], every: float, done: asyncio.Event) -> None:
    """Kill the victims one after another, `every` seconds apart, until `done`."""
    for victim in victims:
        try:
            await asyncio.wait_for(done.wait(), every)
            return
        except TimeoutError:
            await asyncio.to_thread(fleet.kill, victim)


def launches() -> Counter[str]:
    """Source servers by the number of jobs DRS created for them."""
    started = [c for c in calls("StartRecovery") if c["status"] == 202]
    return Counter(s["sourceServerID"] for c in started for s in c["arguments"]["sourceServers"])


def dead_letters(stack: StackOutputs) -> dict[str, list[tuple[str, str]]]:
    """Per service, every message in its dead-letter queue as (body, the reason drsorch
    parked it with; empty when the queue's redrive put it there); the queues are drained."""
    sqs = client("sqs")
    found: dict[str, list[tuple[str, str]]] = {}
    for service in SERVICES:
        url = stack.service(service).dead_letter_queue_url
        entries = found.setdefault(service, [])
        while True:
            answer = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=1,
                MessageAttributeNames=["All"],
            )
            messages = answer.get("Messages", [])
            if not messages:
                break
            for message in messages:
                attributes = message.get("MessageAttributes", {})
                reason = attributes.get("drsorch_park_reason", {}).get("StringValue", "")
                entries.append((message["Body"], reason))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def unexplained_dead_letters(stack: StackOutputs) -> dict[str, list[str]]:
    """Every message in a dead-letter queue that drsorch did not park with a reason."""
    found = {
        service: [body[:200] for body, reason in entries if not reason]
        for service, entries in dead_letters(stack).items()
    }
    return {service: bodies for service, bodies in found.items() if bodies}


def _session(account: str) -> boto3.Session:
    """The hub's own session, or a spoke's through its role, as drsorch reaches it."""
    if account == HUB:
        return boto3.Session()
    answer = client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{LOCAL_SPOKES['DRSORCH_SPOKE_ROLE_NAME']}",
        RoleSessionName="drsorch-chaos",
        ExternalId=LOCAL_SPOKES["DRSORCH_SPOKE_EXTERNAL_ID"],
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=answer["AccessKeyId"],
        aws_secret_access_key=answer["SecretAccessKey"],
        aws_session_token=answer["SessionToken"],
    )


def report_against_ec2(
    report: Sequence[RequestCompleted], servers: Mapping[str, SeededServer], region: str
) -> list[str]:
    """Where the report and EC2 disagree: each server in its original instance, running,
    with the private IP the report gives."""
    lines = {line.server.source_server_id: line for chunk in report for line in chunk.servers}
    seen: dict[str, Any] = {}
    for account in sorted({s.account_id for s in servers.values()}):
        ec2 = _session(account).client("ec2", region_name=region, config=FAST)
        ids = [s.original_instance_id for s in servers.values() if s.account_id == account]
        for start in range(0, len(ids), 500):
            answer = ec2.describe_instances(InstanceIds=ids[start : start + 500])
            seen.update(
                {i["InstanceId"]: i for r in answer["Reservations"] for i in r["Instances"]}
            )
    wrong = []
    for server in servers.values():
        line = lines.get(server.source_server_id)
        instance = seen.get(server.original_instance_id)
        if line is None or instance is None:
            wrong.append(f"{server.name}: {'not in the report' if line is None else 'not in EC2'}")
        elif line.outcome != "recovered" or line.ec2_instance_id != server.original_instance_id:
            wrong.append(f"{server.name}: {line.outcome} into {line.ec2_instance_id}")
        elif instance["State"]["Name"] != "running":
            wrong.append(f"{server.name}: EC2 says {instance['State']['Name']}")
        elif line.private_ip_after != instance.get("PrivateIpAddress"):
            wrong.append(f"{server.name}: IP {line.private_ip_after} != EC2's")
    return wrong


@dataclass(frozen=True)
class Storm:
    """One kill-storm scenario: servers in the hub and `in_spoke` of them in a spoke (DRS
    lets at most 300 source servers replicate per account and region)."""

    name: str
    servers: int
    waves: tuple[int, ...]
    anyone: int  # kills spread over all four services
    monitor: int  # kills of the monitor alone
    every: float  # seconds between kills
    within: float  # seconds the request may take
    throttle_rate: float = 0.0
    internal_error_rate: float = 0.0
    queue: Mapping[str, str | int] = field(default_factory=dict)  # template parameters
    env: Mapping[str, str] = field(default_factory=dict)  # worker settings beyond the defaults

    in_spoke: int = 0  # of `servers`, how many sit in the spoke account

    def estate(self) -> str:
        faults = ""
        if self.throttle_rate or self.internal_error_rate:
            faults = (
                '\n  faults:\n    operations:\n      "*": {'
                f"throttle_rate: {self.throttle_rate}, "
                f"internal_error_rate: {self.internal_error_rate}, retry_after_seconds: 1}}"
            )
        accounts = [self._account("  - kind: hub", self.servers - self.in_spoke, "")]
        if self.in_spoke:
            spoke = (
                f'  - kind: spoke\n    id: "{SPOKE}"\n'
                f"    role_name: {LOCAL_SPOKES['DRSORCH_SPOKE_ROLE_NAME']}\n"
                f"    external_id: {LOCAL_SPOKES['DRSORCH_SPOKE_EXTERNAL_ID']}"
            )
            accounts.append(self._account(spoke, self.in_spoke, "s"))
        head = f"""
version: 1
name: {self.name}
seed: 31
regions: {{primary: us-east-1, recovery: us-west-2}}
phase: failed_over
drs:
  seed: 31
  clock: {{scale: 600}}{faults}
accounts:
"""
        return head + "".join(accounts)

    def _account(self, header: str, count: int, mark: str) -> str:
        return f"""{header}
    generators:
      - count: {count}
        name: {self.name}-{mark}{{index:03d}}
        waves: {list(self.waves)}
        name_noise: {{rate: 0}}
        template: {{tags: {{app: {self.name}}}}}
"""


async def run_storm(endpoint: LocalEndpoint, case: Storm, logs: Path) -> dict[str, object]:
    endpoint.reset()
    servers = seed(case.estate(), case.name)
    stack = deploy(case.name, **case.queue)
    watch = observer_queue(stack, f"{case.name}-observer")
    fleet = Fleet(endpoint.url, case.name, logs, case.env)
    victims = schedule(case.anyone, case.monitor, seed=len(case.name))
    spec = RequestSpec(
        operation="failback",
        scope=Scope(selector={"app": case.name}),
        accounts=Accounts(hub=HUB, spokes=(Spoke(account_id=SPOKE),) if case.in_spoke else ()),
        primary_region="us-east-1",
        recovery_region="us-west-2",
        requested_by="chaos",
    )
    request_id = f"req-{case.name}"
    started = time.monotonic()
    fleet.start_all()
    try:
        async with running(stack, watch, []) as flow:
            done = asyncio.Event()
            # The storm starts with the plan: an operator plans and approves on a live
            # estate while services fall over, then applies.
            killer = asyncio.create_task(storm(fleet, victims, case.every, done))
            try:
                spec = await plan_and_approve(flow, spec, request_id, within=case.within)
                await flow.request(spec, request_id)
                report = await flow.completed(request_id, within=case.within)
            finally:
                done.set()
                await killer
    finally:
        fleet.stop_all()
    elapsed = time.monotonic() - started
    lines = [line for chunk in report for line in chunk.servers]
    outcomes = Counter((line.outcome, (line.reason or "")[:160]) for line in lines)
    starts = Counter((c["status"], c["error_code"]) for c in calls("StartRecovery"))
    assert report[0].status == "SUCCEEDED", (report[0].reason, outcomes, starts)
    counted = launches()
    assert len(counted) == case.servers and set(counted.values()) == {1}, counted.most_common(3)
    assert report_against_ec2(report, servers, "us-east-1") == []
    assert unexplained_dead_letters(stack) == {}
    return {"seconds": round(elapsed, 1), "kills": dict(fleet.kills)}
