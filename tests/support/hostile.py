"""Judging a run on a hostile estate by what EC2 and DRS hold afterwards, never by the report.

A launch into an existing instance shows in EC2 as its volumes replaced (DRS swaps them and
keeps the ID and IP); a standard launch shows as an instance that was not there before.
DRS's recovery instances in the launch region say which source server landed in each.
Against the ground truth the estate file declares per server (`expect`), every landing is
correct or wrong, and precision, recall and wrong-instance launches follow.

The services run as processes of their own (`python -m drsorch.<service>`), started by the
CLI's own `Workers`, against the local endpoint this test process serves.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from drsorch.cli.workers import FAST_LOCAL, Workers
from drsorch.contracts import EVENTS, Envelope, Event, RequestCompleted, RequestSpec
from drsorch.local.deploy import StackOutputs
from drsorch.local.estate import SeededServer, SeedReport
from drsorch.local.server import LocalEndpoint
from support.approving import sign
from support.aws import FAST, client
from support.observer import publish_request

Volumes = dict[str, frozenset[str]]
"""Instance ID -> its attached volume IDs."""


@dataclass(frozen=True)
class Account:
    """Where to read one account of the estate, and how."""

    account_id: str
    session: boto3.Session


def sessions(report: SeedReport, hub: str, role: str, external_id: str) -> list[Account]:
    """A session per account of the estate: the hub's own, spokes by AssumeRole (as drsorch)."""
    accounts = sorted(
        {s.account_id for s in report.servers} | {i.account_id for i in report.instances}
    )
    found = [Account(hub, boto3.Session())]
    for account_id in accounts:
        if account_id == hub:
            continue
        answer = client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/{role}",
            RoleSessionName="hostile-suite",
            ExternalId=external_id,
        )["Credentials"]
        session = boto3.Session(
            aws_access_key_id=answer["AccessKeyId"],
            aws_secret_access_key=answer["SecretAccessKey"],
            aws_session_token=answer["SessionToken"],
        )
        found.append(Account(account_id, session))
    return found


def volumes(accounts: list[Account], region: str) -> dict[str, Volumes]:
    """Per account, every instance in `region` and its volumes (terminated ones included)."""
    found: dict[str, Volumes] = {}
    for account in accounts:
        ec2 = account.session.client("ec2", region_name=region, config=FAST)
        held: Volumes = {}
        for page in ec2.get_paginator("describe_instances").paginate():
            for reservation in page["Reservations"]:
                for instance in reservation["Instances"]:
                    held[instance["InstanceId"]] = frozenset(
                        m["Ebs"]["VolumeId"]
                        for m in instance.get("BlockDeviceMappings", [])
                        if "Ebs" in m
                    )
        found[account.account_id] = held
    return found


def recovery_instances(accounts: list[Account], region: str) -> dict[str, str]:
    """EC2 instance ID -> the DRS source server whose recovery instance it is, in `region`."""
    owners: dict[str, str] = {}
    for account in accounts:
        drs = account.session.client("drs", region_name=region, config=FAST)
        for page in drs.get_paginator("describe_recovery_instances").paginate(filters={}):
            for item in page["items"]:
                if item.get("ec2InstanceID"):
                    owners[item["ec2InstanceID"]] = item["sourceServerID"]
    return owners


@dataclass(frozen=True)
class Landed:
    """One instance a launch went into (or created), and the seeded server that launched."""

    account_id: str
    instance_id: str
    new: bool
    """A standard launch: the instance was not there before the run."""
    server: SeededServer | None
    """None when DRS names a source server no seeded server owns."""


def landings(
    report: SeedReport,
    before: Mapping[str, Volumes],
    after: Mapping[str, Volumes],
    owners: Mapping[str, str],
) -> list[Landed]:
    """Every instance whose volumes the run replaced, or that the run created."""
    by_launcher: dict[str, SeededServer] = {}
    for server in report.servers:
        for launcher in (
            server.source_server_id,
            server.failback_source_server_id,
            server.earlier_failback_server_id,  # T10: re-pointed by a ReverseReplication
            *server.failback_duplicate_ids,
        ):
            if launcher:
                by_launcher[launcher] = server
    found = []
    for account_id, now in after.items():
        was = before.get(account_id, {})
        for instance_id, held in now.items():
            new = instance_id not in was
            if not new and held == was[instance_id]:
                continue
            owner = owners.get(instance_id)
            found.append(
                Landed(account_id, instance_id, new, by_launcher.get(owner) if owner else None)
            )
    return found


@dataclass
class Score:
    """How a run fared against the estate's ground truth."""

    correct: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    """Each launch that went somewhere its server must not land, said in a line."""
    missed: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        total = len(self.correct) + len(self.wrong)
        return len(self.correct) / total if total else 1.0

    @property
    def recall(self) -> float:
        expected = len(self.correct) + len(self.missed)
        return len(self.correct) / expected if expected else 1.0


def score(report: SeedReport, landed: list[Landed]) -> Score:
    """Each landing judged against its server's declared expectation.

    The estate declares one for every server, those outside the request's scope
    included (they must not launch).
    """
    result = Score()
    landed_by_server: dict[str, list[Landed]] = {}
    for landing in landed:
        server = landing.server
        if server is None:
            result.wrong.append(f"{landing.instance_id}: launched by a server no estate declares")
            continue
        landed_by_server.setdefault(server.source_server_id, []).append(landing)
        if _is_right(server, landing):
            result.correct.append(f"{server.name} -> {landing.instance_id}")
        else:
            result.wrong.append(
                f"{server.name} ({server.expect}) -> {landing.instance_id}"
                f"{' (new)' if landing.new else ''}"
            )
    for server in report.servers:
        wants = server.expect in ("land-in-original", "land-in-target", "new-instance")
        if wants and server.source_server_id not in landed_by_server:
            result.missed.append(f"{server.name} ({server.expect})")
    return result


def _is_right(server: SeededServer, landing: Landed) -> bool:
    if server.expect == "new-instance":
        return landing.new
    return not landing.new and landing.instance_id == server.expected_instance_id


@contextmanager
def workers_running(
    endpoint: LocalEndpoint, stack: str, folder: Path, **env: str
) -> Iterator[None]:
    """The four services as processes, consuming their queues, until the block ends."""
    workers = Workers(folder)
    environment = {
        **os.environ,
        **FAST_LOCAL,
        "AWS_ENDPOINT_URL": endpoint.url,
        "DRSORCH_STACK_NAME": stack,
        "DRSORCH_WAIT_SECONDS": "1",
        "DRSORCH_AWS_MAX_ATTEMPTS": "3",
        **env,
    }
    workers.start(environment)
    try:
        workers.wait_ready(60)
        yield
    finally:
        workers.stop()


async def run_request(
    stack: StackOutputs,
    observer: str,
    spec: RequestSpec,
    request_id: str,
    *,
    within: float,
    seen: list[Envelope[Event]] | None = None,
) -> list[RequestCompleted]:
    """Publish the request as the CLI does and wait for every chunk of its RequestCompleted;
    every event of the request read on the way is added to `seen`."""
    await publish_request(stack, spec, request_id)
    return await completed(observer, request_id, within=within, seen=seen)


async def approved(
    stack: StackOutputs,
    observer: str,
    spec: RequestSpec,
    *,
    plan_id: str,
    apply_id: str,
    within: float = 120,
    seen: list[Envelope[Event]] | None = None,
) -> RequestSpec:
    """The request planned (as `plan_id`), and its plan's hash signed as an approver signs
    it: the spec to send as `apply_id`. The plan's events are added to `seen`."""
    plan_only = spec.model_copy(update={"plan_only": True})
    planned = await run_request(stack, observer, plan_only, plan_id, within=within, seen=seen)
    plan_hash = planned[0].plan_hash
    assert plan_hash is not None, planned[0].reason
    approval = await sign(stack, apply_id, plan_hash)
    return spec.model_copy(update={"approved_plan_hash": plan_hash, "approvals": (approval,)})


async def completed(
    observer: str,
    request_id: str,
    *,
    within: float,
    seen: list[Envelope[Event]] | None = None,
) -> list[RequestCompleted]:
    """Every chunk of the request's RequestCompleted, read from the observer queue (and every
    event of the request, into `seen`)."""
    sqs = client("sqs")
    chunks: dict[int, RequestCompleted] = {}
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        answer: dict[str, Any] = await asyncio.to_thread(
            sqs.receive_message, QueueUrl=observer, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        for message in answer.get("Messages", []):
            envelope = EVENTS.parse(message["Body"])
            sqs.delete_message(QueueUrl=observer, ReceiptHandle=message["ReceiptHandle"])
            payload = envelope.payload
            if seen is not None and envelope.request_id == request_id:
                seen.append(envelope)
            if envelope.request_id == request_id and isinstance(payload, RequestCompleted):
                chunks[payload.chunk.index] = payload
                if len(chunks) == payload.chunk.count:
                    return [chunks[i] for i in sorted(chunks)]
    raise TimeoutError(f"no RequestCompleted for {request_id} within {within} s")
