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
from drsorch.local.estate import SeedReport
from drsorch.local.server import LocalEndpoint
from support.aws import client, deploy
from support.discovery_estates import fresh
from support.hostile import run_request, workers_running
from support.observer import observer_queue
from support.upstream_records import Fault, faults

pytestmark = pytest.mark.e2e

STACK = "x9upstream"
HUB = "123456789012"
PRIMARY, RECOVERY = "us-east-1", "us-west-2"
EXAMPLES = int(os.environ.get("DRSORCH_UPSTREAM_EXAMPLES", "10"))
ESTATE = """
version: 1
name: upstream-records
regions: {primary: us-east-1, recovery: us-west-2}
phase: protected
drs: {seed: SEED, clock: {scale: 120}}
accounts:
  - kind: hub
    id: "123456789012"
    servers:
      - {name: up-01, wave: 1, tags: {plan: up}, target: {}}
      - {name: up-02, wave: 1, tags: {plan: up}, target: {}}
      - {name: up-03, wave: 1, tags: {plan: up}, target: {}}
      - {name: up-04, wave: 1, tags: {plan: up}, target: {}}
"""
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
    with workers_running(endpoint, STACK, tmp_path_factory.mktemp(STACK)):
        yield Pipeline(stack, observer)
    inject(default_emulator(), RawRecords())


def _spec() -> RequestSpec:
    return RequestSpec(
        operation="failover",
        scope=Scope(selector={"plan": "up"}),
        accounts=Accounts(hub=HUB),
        primary_region=PRIMARY,
        recovery_region=RECOVERY,
        requested_by="upstream-records-suite",
        options={"wave_success_ratio": 0.0},  # type: ignore[arg-type]
    )


def _set_ec2(fault: Fault, instance_id: str) -> None:
    """EC2 answers the target instance with this fault: tags through EC2's own API."""
    if fault.path == "Tags":
        tags = [{"Key": key, "Value": value} for key, value in fault.value.items()]
        client("ec2", region_name=RECOVERY).create_tags(Resources=[instance_id], Tags=tags)
        return
    from moto.ec2.models import ec2_backends  # noqa: PLC0415 - the backend serves the endpoint

    # EC2's API sets no architecture on an existing instance: set what it reports.
    ec2_backends[HUB][RECOVERY].get_instance(instance_id).architecture = fault.value


def _inject(report: SeedReport, drawn: list[Fault]) -> dict[str, Fault]:
    """Each fault into the records of one server; the last server keeps clean records."""
    patches: dict[str, dict[str, Any]] = {}
    by_server: dict[str, Fault] = {}
    for fault, server in zip(drawn, report.servers, strict=False):
        by_server[server.source_server_id] = fault
        if fault.record == "ec2":
            assert server.target_instance_id is not None
            _set_ec2(fault, server.target_instance_id)
        else:
            patches.setdefault(fault.record, {})[server.source_server_id] = fault.patch()
    inject(default_emulator(), RawRecords(**patches))
    return by_server


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


def _named(chunks: list[RequestCompleted]) -> dict[str, list[str]]:
    """Every reason the report gives, by the server it names."""
    out: dict[str, list[str]] = {}
    for chunk in chunks:
        for line in chunk.servers:
            out.setdefault(line.server.source_server_id, []).append(
                f"{line.outcome}: {line.reason or ''}"
            )
        for group in (chunk.unmatched, chunk.ambiguous):
            for item in group:
                out.setdefault(item.server.source_server_id, []).append(f"unmatched: {item.reason}")
        for problem in chunk.problems:
            if problem.source_server_id:
                out.setdefault(problem.source_server_id, []).append(
                    f"{problem.kind}: {problem.reason}"
                )
    return out


async def _plan_and_apply(pipeline: Pipeline, name: str) -> list[RequestCompleted]:
    spec = _spec()
    plan_only = spec.model_copy(update={"plan_only": True})
    planned = await run_request(
        pipeline.stack, pipeline.observer, plan_only, f"req-{name}-plan", within=90
    )
    assert planned[0].status == "PLANNED", planned[0].reason
    approved = spec.model_copy(update={"approved_plan_hash": planned[0].plan_hash})
    return await run_request(
        pipeline.stack, pipeline.observer, approved, f"req-{name}-apply", within=120
    )


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=st.lists(faults(), min_size=3, max_size=3))
@example(drawn=list(REFUSED_BY[:3]))
@example(drawn=list(REFUSED_BY[3:]))
def test_a_bad_record_is_one_named_server_and_the_request_goes_on(
    pipeline: Pipeline, drawn: list[Fault]
) -> None:
    # Fresh IDs each time: drsorch keeps what it learnt of a server (its failover pair)
    # across requests, and an example must not meet the last one's servers.
    run = uuid.uuid4()
    report = fresh(ESTATE.replace("SEED", str(run.int % 10**9)))
    name = f"up-{run.hex[:12]}"
    try:
        by_server = _inject(report, drawn)
        applied = asyncio.run(_plan_and_apply(pipeline, name))
    finally:
        inject(default_emulator(), RawRecords())
    assert _dead_letters(pipeline.stack) == dict.fromkeys(
        ("discovery", "matcher", "configurator", "monitor"), 0
    )
    if os.environ.get("DRSORCH_UPSTREAM_DUMP"):
        Path(os.environ["DRSORCH_UPSTREAM_DUMP"]).write_text(
            "\n".join(c.model_dump_json(indent=1) for c in applied)
        )
    _each_server_accounted_for(report, by_server, applied)
    _each_refusal_named(report, by_server, applied)


def _each_server_accounted_for(
    report: SeedReport, by_server: dict[str, Fault], applied: list[RequestCompleted]
) -> None:
    """Clean servers land; a faulted one lands or is named, a refused record as such."""
    named = _named(applied)
    lines = {line.server.source_server_id: line for c in applied for line in c.servers}
    for server in report.servers:
        server_id = server.source_server_id
        fault = by_server.get(server_id)
        line = lines.get(server_id)
        if fault is None:
            assert line is not None and line.outcome == "recovered", named.get(server_id)
            continue
        said = named.get(server_id)
        assert said, f"{fault.describe()}: server {server_id} is missing from the report"
        landed = line is not None and line.outcome == "recovered"
        assert landed or any(s.split(": ", 1)[1:] != [""] for s in said), (fault, said)
        refused = [s for s in said if OUT_OF_RANGE in s]
        for why in refused:
            assert server_id in why or why.startswith("record_invalid"), why
        if fault in REFUSED_BY and fault.record != "ec2":
            assert refused, f"{fault.describe()}: not named as out of range: {said}"
        verdict = "named" if refused else "carried"
        event(f"{'past' if fault.past else 'at'} bounds: {verdict}")
        event(f"{fault.record}.{fault.path}: {verdict}")


def _each_refusal_named(
    report: SeedReport, by_server: dict[str, Fault], applied: list[RequestCompleted]
) -> None:
    """A refused DRS record names its server; a refused EC2 instance names itself.

    No server owns a candidate target yet when discovery reads it, so the instance
    (the target of a server drawn an EC2 fault) is the subject.
    """
    targets = {
        s.target_instance_id: by_server[s.source_server_id]
        for s in report.servers
        if s.source_server_id in by_server and by_server[s.source_server_id].record == "ec2"
    }
    invalid = [p for c in applied for p in c.problems if p.kind == "record_invalid"]
    for problem in invalid:
        assert OUT_OF_RANGE in problem.reason, problem
        assert problem.source_server_id in by_server or any(
            f"instance {t!r}" in problem.reason for t in targets
        ), problem
    for target, fault in targets.items():
        if fault in REFUSED_BY:
            assert any(f"instance {target!r}" in p.reason for p in invalid), invalid
