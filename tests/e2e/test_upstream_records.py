"""Out-of-contract DRS and EC2 records, drawn by Hypothesis, through the four services.

Each example seeds a small failover estate, then makes DRS and EC2 answer one field of
three servers' records at or past its bounds in botocore's model (`support.upstream_records`):
DescribeSourceServers, GetLaunchConfiguration, DescribeRecoveryInstances and DescribeJobs
through the emulator's test hook, DescribeInstances through EC2 itself. The services run
as processes; the request is planned, approved by its hash and applied, so discovery, the
configurator and the monitor all read the records. Whatever the records say:

- nothing is dead-lettered, and the request completes (no dead request);
- every server is in the report, and one that did not land has a reason or a problem
  that names it; a record a service could not carry is named with the server's ID and
  the validation message ("out of range for drsorch: ...");
- the server with clean records lands where it should: the rest of the request goes on.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from drsorch.contracts import Accounts, RequestCompleted, RequestSpec, Scope
from drsorch.local.deploy import StackOutputs
from drsorch.local.drs.emulator import default_emulator
from drsorch.local.drs.raw import RawRecords, inject
from drsorch.local.estate import SeededServer, SeedReport
from drsorch.local.server import LocalEndpoint
from support.approving import sign
from support.aws import client, deploy
from support.discovery_estates import fresh
from support.hostile import run_request, workers_running
from support.observer import observer_queue
from support.upstream_records import Fault, faults

pytestmark = pytest.mark.e2e

STACK = "x9upstream"
HUB = "123456789012"
PRIMARY, RECOVERY = "us-east-1", "us-west-2"
# Drawn examples per operation, beside the fixed ones; each is a plan and an apply
# (about 8 s, a minute when a record makes a failback wait for readiness). Three keep
# `make test` inside its time budget; DRSORCH_UPSTREAM_EXAMPLES=30 explores further.
EXAMPLES = int(os.environ.get("DRSORCH_UPSTREAM_EXAMPLES", "3"))
HEAD = """
version: 1
name: upstream-records
regions: {primary: us-east-1, recovery: us-west-2}
drs: {seed: SEED, clock: {scale: 120}}
"""
SERVERS = """accounts:
  - kind: hub
    id: "123456789012"
    servers:
"""
ESTATES = {
    # Into pre-provisioned targets in the recovery region, paired by Name.
    "failover": HEAD
    + "phase: protected\n"
    + SERVERS
    + "".join(
        f"      - {{name: up-0{n}, wave: 1, tags: {{plan: up}}, target: {{}}}}\n"
        for n in range(1, 5)
    ),
    # Back into the original instances, reverse replication already continuous.
    "failback": HEAD
    + "phase: failed_over\nreverse_replication: {state: CONTINUOUS, lag_seconds: 0}\n"
    + SERVERS
    + "".join(f"      - {{name: up-0{n}, wave: 1, tags: {{plan: up}}}}\n" for n in range(1, 5)),
}
OUT_OF_RANGE = "out of range for drsorch"
# Always tried: a record each service cannot carry, which it must name. Discovery: a lag
# at the longest duration DRS's model allows, and a target's tag key past EC2's limit;
# the configurator: a launch configuration's name one character past DRS's; the
# monitor: a launch status DRS does not list and a recovery instance off its pattern.
REFUSED_BY = (
    Fault("source_servers", "dataReplicationInfo.lagDuration", "P" + "9" * 62 + "D", False),
    Fault("launch_configurations", "name", "n" * 129, True),
    Fault("participants", "launchStatus", "NOT_A_DRS_VALUE", True),
    Fault("recovery_instances", "ec2InstanceID", "!", True),
    Fault("ec2", "Tags", {"k" * 129: "v"}, True),
    Fault("source_servers", "sourceCloudProperties.originAccountID", "12345678901x", True),
    # DRS's pattern, i- and 8 or more hex digits, at its longest: drsorch's is 8 or 17.
    Fault(
        "source_servers",
        "sourceProperties.identificationHints.awsInstanceID",
        "i-" + "0" * 253,
        False,
    ),
)


@dataclass(frozen=True)
class Pipeline:
    stack: StackOutputs
    observer: str


@pytest.fixture(scope="module")
def pipeline(
    endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    endpoint.reset()
    # A poison message would take minutes to reach its dead-letter queue: the request's
    # RequestCompleted arriving within its deadline is the first proof none was made.
    stack = deploy(STACK, VisibilityTimeoutSeconds=60)
    observer = observer_queue(stack, f"{STACK}-observer")
    # A record can make a pair wait (a FAILBACK server DRS reports disconnected): it is
    # reported at the configurator's deadline, kept short so an example stays short.
    deadline = {"DRSORCH_CONFIGURATOR_PREPARE_DEADLINE_SECONDS": "20"}
    with workers_running(endpoint, STACK, tmp_path_factory.mktemp(STACK), **deadline):
        yield Pipeline(stack, observer)
    inject(default_emulator(), RawRecords())


def _spec(operation: str) -> RequestSpec:
    return RequestSpec(
        operation=operation,  # type: ignore[arg-type]
        scope=Scope(selector={"plan": "up"}),
        accounts=Accounts(hub=HUB),
        primary_region=PRIMARY,
        recovery_region=RECOVERY,
        requested_by="upstream-records-suite",
        # A FAILBACK server DRS reports not CONTINUOUS (or lagging) waits for readiness
        # and is reported not ready at the deadline: the shortest a request allows.
        options={"wave_success_ratio": 0.0, "readiness_deadline_seconds": 60},  # type: ignore[arg-type]
    )


def _target(server: SeededServer, operation: str) -> tuple[str, str]:
    """Where the server lands: (instance ID, region)."""
    if operation == "failback":
        return server.original_instance_id, PRIMARY
    assert server.target_instance_id is not None
    return server.target_instance_id, RECOVERY


def _set_ec2(fault: Fault, instance_id: str, region: str) -> None:
    """EC2 answers the target instance with this fault: tags through EC2's own API."""
    if fault.path == "Tags":
        tags = [{"Key": key, "Value": value} for key, value in fault.value.items()]
        client("ec2", region_name=region).create_tags(Resources=[instance_id], Tags=tags)
        return
    from moto.ec2.models import ec2_backends  # noqa: PLC0415 - the backend serves the endpoint

    # EC2's API sets no architecture on an existing instance: set what it reports.
    ec2_backends[HUB][region].get_instance(instance_id).architecture = fault.value


def _inject(report: SeedReport, drawn: list[Fault], operation: str) -> dict[str, Fault]:
    """Each fault into the records of one server (both of its DRS source servers in a
    failback), or its target instance; the last server keeps clean records."""
    patches: dict[str, dict[str, Any]] = {}
    by_server: dict[str, Fault] = {}
    for fault, server in zip(drawn, report.servers, strict=False):
        by_server[server.source_server_id] = fault
        if fault.record == "ec2":
            _set_ec2(fault, *_target(server, operation))
            continue
        for server_id in (server.source_server_id, server.failback_source_server_id):
            if server_id:
                patches.setdefault(fault.record, {})[server_id] = fault.patch()
    inject(default_emulator(), RawRecords(**patches))
    return by_server


def _aliases(report: SeedReport) -> dict[str, str]:
    """Each DRS source server ID of the estate -> the server of the plan it stands for."""
    out = {s.source_server_id: s.source_server_id for s in report.servers}
    out.update(
        {
            s.failback_source_server_id: s.source_server_id
            for s in report.servers
            if s.failback_source_server_id
        }
    )
    return out


def _dead_letters(stack: StackOutputs) -> dict[str, int]:
    sqs = client("sqs")
    counts = {}
    for name in ("discovery", "matcher", "configurator", "monitor"):
        url = getattr(stack, name).dead_letter_queue_url
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        counts[name] = sum(int(v) for v in attributes.values())
    return counts


def _named(chunks: list[RequestCompleted], aliases: dict[str, str]) -> dict[str, list[str]]:
    """Every reason the report gives, by the server of the plan it names."""
    out: dict[str, list[str]] = {}

    def add(server_id: str, text: str) -> None:
        out.setdefault(aliases.get(server_id, server_id), []).append(text)

    for chunk in chunks:
        for line in chunk.servers:
            add(line.server.source_server_id, f"{line.outcome}: {line.reason or ''}")
        for group in (chunk.unmatched, chunk.ambiguous):
            for item in group:
                add(item.server.source_server_id, f"unmatched: {item.reason}")
        for problem in chunk.problems:
            if problem.source_server_id:
                add(problem.source_server_id, f"{problem.kind}: {problem.reason}")
    return out


async def _plan_and_apply(pipeline: Pipeline, operation: str, name: str) -> list[RequestCompleted]:
    spec = _spec(operation)
    plan_only = spec.model_copy(update={"plan_only": True})
    planned = await run_request(
        pipeline.stack, pipeline.observer, plan_only, f"req-{name}-plan", within=90
    )
    assert planned[0].status == "PLANNED", planned[0].reason
    plan_hash = planned[0].plan_hash
    assert plan_hash is not None
    approval = await sign(pipeline.stack, f"req-{name}-apply", plan_hash)
    approved = spec.model_copy(update={"approved_plan_hash": plan_hash, "approvals": (approval,)})
    return await run_request(
        pipeline.stack, pipeline.observer, approved, f"req-{name}-apply", within=240
    )


@dataclass(frozen=True)
class Outcome:
    """One example: the estate, the faults drawn per server, and the report."""

    operation: str
    report: SeedReport
    by_server: dict[str, Fault]
    applied: list[RequestCompleted]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("operation", ["failover", "failback"])
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=st.lists(faults(), min_size=3, max_size=3))
@example(drawn=list(REFUSED_BY[:3]))
@example(drawn=list(REFUSED_BY[3:6]))
@example(drawn=list(REFUSED_BY[6:]))
def test_a_bad_record_is_one_named_server_and_the_request_goes_on(
    pipeline: Pipeline, operation: str, drawn: list[Fault]
) -> None:
    # Fresh IDs each time: drsorch keeps what it learnt of a server (its failover pair)
    # across requests, and an example must not meet the last one's servers.
    run = uuid.uuid4()
    report = fresh(ESTATES[operation].replace("SEED", str(run.int % 10**9)))
    try:
        by_server = _inject(report, drawn, operation)
        applied = asyncio.run(_plan_and_apply(pipeline, operation, f"up-{run.hex[:12]}"))
    finally:
        inject(default_emulator(), RawRecords())
    assert _dead_letters(pipeline.stack) == dict.fromkeys(
        ("discovery", "matcher", "configurator", "monitor"), 0
    )
    if os.environ.get("DRSORCH_UPSTREAM_DUMP"):
        Path(os.environ["DRSORCH_UPSTREAM_DUMP"]).write_text(
            "\n".join(c.model_dump_json(indent=1) for c in applied)
        )
    outcome = Outcome(operation, report, by_server, applied)
    _each_server_accounted_for(outcome)
    _each_refusal_named(outcome)


def _each_server_accounted_for(outcome: Outcome) -> None:
    """Clean servers land; a faulted one lands or is named, a refused record as such."""
    aliases = _aliases(outcome.report)
    named = _named(outcome.applied, aliases)
    lines = {line.server.source_server_id: line for c in outcome.applied for line in c.servers}
    for server in outcome.report.servers:
        server_id = server.source_server_id
        fault = outcome.by_server.get(server_id)
        line = lines.get(server_id)
        if fault is None:
            assert line is not None and line.outcome == "recovered", named.get(server_id)
            continue
        said = named.get(server_id)
        assert said, f"{fault.describe()}: server {server_id} is missing from the report"
        landed = line is not None and line.outcome == "recovered"
        assert landed or any(s.split(": ", 1)[1:] != [""] for s in said), (fault, said)
        refused = [s for s in said if OUT_OF_RANGE in s]
        ids = {i for i, plan in aliases.items() if plan == server_id}
        for why in refused:
            assert any(i in why for i in ids) or why.startswith("record_invalid"), why
        if fault in REFUSED_BY and fault.record != "ec2":
            assert refused, f"{fault.describe()}: not named as out of range: {said}"
        verdict = "named" if refused else "carried"
        event(f"{outcome.operation}: {'past' if fault.past else 'at'} bounds: {verdict}")
        event(f"{outcome.operation}: {fault.record}.{fault.path}: {verdict}")


def _each_refusal_named(outcome: Outcome) -> None:
    """A refused DRS record names its server; a refused EC2 instance names itself.

    No server owns a candidate target yet when discovery reads it, so the instance
    (the target of a server drawn an EC2 fault) is the subject.
    """
    aliases = _aliases(outcome.report)
    targets = {
        _target(s, outcome.operation)[0]: outcome.by_server[s.source_server_id]
        for s in outcome.report.servers
        if outcome.by_server.get(s.source_server_id, REFUSED_BY[0]).record == "ec2"
    }
    invalid = [p for c in outcome.applied for p in c.problems if p.kind == "record_invalid"]
    for problem in invalid:
        assert OUT_OF_RANGE in problem.reason, problem
        assert aliases.get(problem.source_server_id or "") in outcome.by_server or any(
            f"instance {t!r}" in problem.reason for t in targets
        ), problem
    for target, fault in targets.items():
        if fault in REFUSED_BY:
            assert any(f"instance {target!r}" in p.reason for p in invalid), invalid
