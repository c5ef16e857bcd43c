"""One request, one trace: a small failback through all four services, every span in one file.

The four services run in-process against the local endpoint, with the runtime's spans
file exporter on the process's tracer provider and the AWS clients instrumented, as
`OTEL_TRACES_EXPORTER=console DRSORCH_TRACES_FILE=...` sets a worker up. The request is
published as the CLI publishes it; everything any service did for it must then sit in
the one trace its RequestCompleted names. (tests/e2e/tracing runs the same failback
with each service a process of its own.)
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from drsorch.configurator.bootstrap import build as build_configurator
from drsorch.contracts import Accounts, Envelope, Event, RequestCompleted, RequestSpec, Scope
from drsorch.discovery.bootstrap import build as build_discovery
from drsorch.local.deploy import StackOutputs
from drsorch.local.server import LocalEndpoint
from drsorch.matcher.bootstrap import build as build_matcher
from drsorch.monitor.bootstrap import build as build_monitor
from drsorch.monitor.settings import MonitorSettings
from drsorch.runtime.tracing import SpanFileExporter, instrument_aws_clients
from support.alarm_traces import (
    FAST_MONITOR,
    SERVICES,
    TRACE_ESTATE,
    TRACE_SELECTOR,
    aws_calls,
    export_to,
    read_spans,
    request_trace,
    services_in,
)
from support.approving import sign
from support.aws import deploy
from support.discovery_estates import HUB, PRIMARY, RECOVERY, fresh
from support.discovery_pipeline import running
from support.observer import observer_queue

pytestmark = pytest.mark.integration

STACK = "x6trace"
REQUEST_ID = "req-x6-trace-01"


@pytest.fixture(scope="module")
def spans_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("traces") / "spans.jsonl"
    exporter = SpanFileExporter(path)
    export_to(exporter)
    instrument_aws_clients()
    yield path
    exporter.shutdown()  # the provider outlives the module; the file stops here


@pytest.fixture(scope="module")
def stack(endpoint: LocalEndpoint) -> tuple[StackOutputs, str]:
    outputs = deploy(STACK, MaxReceiveCount=3, VisibilityTimeoutSeconds=30)
    return outputs, observer_queue(outputs, f"{STACK}-observer")


@dataclass(frozen=True)
class Failback:
    """What one traced failback left: its RequestCompleted, and its trace's spans."""

    completed: Envelope[Event]
    report: RequestCompleted
    trace: list[dict[str, Any]]
    servers: int

    @property
    def trace_id(self) -> str:
        return str(self.trace[0]["context"]["trace_id"]).removeprefix("0x")


@pytest.fixture(scope="module")
async def failback(stack: tuple[StackOutputs, str], spans_file: Path) -> Failback:
    outputs, observer = stack
    monitor = functools.partial(
        build_monitor, settings=MonitorSettings.model_validate(FAST_MONITOR)
    )
    services = [
        ("discovery", build_discovery),
        ("matcher", build_matcher),
        ("configurator", build_configurator),
        ("monitor", monitor),
    ]
    seeded = fresh(TRACE_ESTATE)
    spec = RequestSpec(
        operation="failback",
        scope=Scope(selector=TRACE_SELECTOR),
        accounts=Accounts(hub=HUB),
        primary_region=PRIMARY,
        recovery_region=RECOVERY,
        requested_by="tracing-tests",
    )
    async with running(STACK, outputs, observer, services) as pipeline:
        # Planned first, as an operator must: only an approved plan applies.
        await pipeline.request(spec.model_copy(update={"plan_only": True}), f"{REQUEST_ID}-plan")
        (planned,) = await pipeline.result(
            f"{REQUEST_ID}-plan", RequestCompleted.event_type, within=90
        )
        assert isinstance(planned.payload, RequestCompleted)
        plan_hash = planned.payload.plan_hash
        assert plan_hash is not None, planned.payload.reason
        approval = await sign(outputs, REQUEST_ID, plan_hash)
        spec = spec.model_copy(update={"approved_plan_hash": plan_hash, "approvals": (approval,)})
        await pipeline.request(spec, REQUEST_ID)
        (completed,) = await pipeline.result(REQUEST_ID, RequestCompleted.event_type, within=90)
    # The workers have stopped: every span they started has ended and is in the file.
    assert isinstance(completed.payload, RequestCompleted)
    trace = request_trace(read_spans(spans_file), REQUEST_ID)
    return Failback(completed, completed.payload, trace, len(seeded.servers))


def test_the_failback_lands_every_server(failback: Failback) -> None:
    assert failback.report.status == "SUCCEEDED", failback.report.reason
    assert len(failback.report.servers) == failback.servers


def test_every_service_works_on_the_request_within_its_one_trace(failback: Failback) -> None:
    assert failback.completed.trace.trace_id == failback.trace_id
    roots = [span["name"] for span in failback.trace if span["parent_id"] is None]
    assert roots == ["drsorch publish"]  # the request's publish, as the CLI makes it
    assert services_in(failback.trace) == set(SERVICES)
    assert {"drs.StartRecovery", "drs.UpdateLaunchConfiguration", "SNS.PublishBatch"} <= (
        aws_calls(failback.trace)
    )


def test_the_report_names_the_requests_trace(failback: Failback) -> None:
    assert failback.report.trace_id == failback.trace_id
