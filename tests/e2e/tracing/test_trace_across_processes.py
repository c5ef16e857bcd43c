"""One request, one trace, with every service a process of its own writing to one spans file.

The four workers run as `python -m drsorch.<service>` with `OTEL_TRACES_EXPORTER=console`
and `DRSORCH_TRACES_FILE` naming the same file, against the local endpoint this test
process serves. The request is published without a trace context (as the alarm rule
sends one), so discovery starts the trace; the spans of all four processes must share
it, and RequestCompleted must name it. A later cancel about the request joins that trace.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.instrumentation.utils import suppress_instrumentation

from drsorch.cli.follow import joined_trace
from drsorch.contracts import (
    EVENTS,
    Accounts,
    CancelRequested,
    Envelope,
    Event,
    FailbackRequested,
    RequestCompleted,
    RequestSpec,
    Scope,
)
from drsorch.local.deploy import StackOutputs
from drsorch.local.server import LocalEndpoint
from drsorch.runtime import tracing
from drsorch.runtime.wire import attributes_for
from support.alarm_traces import (
    FAST_MONITOR,
    SERVICES,
    TRACE_ESTATE,
    TRACE_SELECTOR,
    read_spans,
    request_trace,
    services_in,
)
from support.approving import sign
from support.aws import client, deploy, wait_for
from support.discovery_estates import HUB, PRIMARY, RECOVERY, fresh
from support.observer import observer_queue

pytestmark = pytest.mark.e2e

STACK = "x6procs"
REQUEST_ID = "req-x6-procs-01"


@pytest.fixture(scope="module")
def stack(endpoint: LocalEndpoint) -> tuple[StackOutputs, str]:
    outputs = deploy(STACK, MaxReceiveCount=3, VisibilityTimeoutSeconds=30)
    return outputs, observer_queue(outputs, f"{STACK}-observer")


def worker_environment(endpoint: LocalEndpoint, spans_file: Path) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint.url,
        "DRSORCH_STACK_NAME": STACK,
        "DRSORCH_WAIT_SECONDS": "1",
        "DRSORCH_RETRY_BASE_SECONDS": "0",
        "DRSORCH_RETRY_BUSY_SECONDS": "1",
        "DRSORCH_AWS_MAX_ATTEMPTS": "2",
        "OTEL_TRACES_EXPORTER": "console",
        "DRSORCH_TRACES_FILE": str(spans_file),
        **{f"DRSORCH_MONITOR_{k.upper()}": str(v) for k, v in FAST_MONITOR.items()},
    }


@pytest.fixture(scope="module")
def workers(
    endpoint: LocalEndpoint,
    stack: tuple[StackOutputs, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Path]:
    """The four workers running; yields the spans file they share."""
    run = tmp_path_factory.mktemp("procs")
    spans_file = run / "spans.jsonl"
    env = worker_environment(endpoint, spans_file)
    processes = []
    for service in SERVICES:
        with (run / f"{service}.log").open("w") as log:
            command = [sys.executable, "-m", f"drsorch.{service}"]
            processes.append(subprocess.Popen(command, env=env, stderr=log))
    try:
        yield spans_file
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process, service in zip(processes, SERVICES, strict=True):
            code = process.wait(timeout=60)
            assert code == 0, f"{service} exited {code}: see {run / f'{service}.log'}"


def publish_untraced(stack: StackOutputs, envelope: Envelope[Event]) -> None:
    """Publish as the alarm rule does: no trace context, even where an earlier test in this
    process instrumented botocore (its SNS hook would otherwise inject one)."""
    with suppress_instrumentation():
        client("sns").publish(
            TopicArn=stack.requests_topic_arn,
            Message=envelope.to_json(),
            MessageAttributes={
                k: {"DataType": "String", "StringValue": v}
                for k, v in attributes_for(envelope).items()
            },
        )


def completed_from(observer: str, request_id: str) -> Envelope[Event] | None:
    """The request's RequestCompleted, if it is in the observer queue now (others are dropped)."""
    sqs = client("sqs")
    response: dict[str, Any] = sqs.receive_message(
        QueueUrl=observer, MaxNumberOfMessages=10, WaitTimeSeconds=1
    )
    found = None
    for message in response.get("Messages", []):
        envelope = EVENTS.parse(message["Body"])
        if (envelope.type, envelope.request_id) == (RequestCompleted.event_type, request_id):
            found = envelope
        sqs.delete_message(QueueUrl=observer, ReceiptHandle=message["ReceiptHandle"])
    return found


async def _approved(outputs: StackOutputs, observer: str, spec: RequestSpec) -> RequestSpec:
    """The apply's spec approving the plan a plan-only request (its own trace) produced."""
    planning = f"{REQUEST_ID}-plan"
    plan = spec.model_copy(update={"plan_only": True})
    publish_untraced(
        outputs,
        Envelope.wrap(
            FailbackRequested(spec=plan), request_id=planning, step="request", producer="cli"
        ),
    )
    planned = wait_for(lambda: completed_from(observer, planning), timeout=120)
    assert isinstance(planned.payload, RequestCompleted)
    plan_hash = planned.payload.plan_hash
    assert plan_hash is not None, planned.payload.reason
    approval = await sign(outputs, REQUEST_ID, plan_hash)
    return spec.model_copy(update={"approved_plan_hash": plan_hash, "approvals": (approval,)})


@pytest.fixture(scope="module")
async def failback(stack: tuple[StackOutputs, str], workers: Path) -> tuple[RequestCompleted, str]:
    """The request's report and its trace ID, once the failback is over."""
    outputs, observer = stack
    fresh(TRACE_ESTATE)
    spec = RequestSpec(
        operation="failback",
        scope=Scope(selector=TRACE_SELECTOR),
        accounts=Accounts(hub=HUB),
        primary_region=PRIMARY,
        recovery_region=RECOVERY,
        requested_by="tracing-tests",
    )
    spec = await _approved(outputs, observer, spec)
    request = Envelope.wrap(
        FailbackRequested(spec=spec), request_id=REQUEST_ID, step="request", producer="cli"
    )
    assert request.trace.traceparent is None
    publish_untraced(outputs, request)
    completed = wait_for(lambda: completed_from(observer, REQUEST_ID), timeout=120)
    assert isinstance(completed.payload, RequestCompleted)
    assert completed.trace.trace_id is not None
    return completed.payload, completed.trace.trace_id


def test_the_spans_of_four_worker_processes_share_the_requests_one_trace(
    failback: tuple[RequestCompleted, str], workers: Path
) -> None:
    report, trace_id = failback
    assert report.status == "SUCCEEDED", report.reason
    trace = request_trace(read_spans(workers), REQUEST_ID)
    assert trace[0]["context"]["trace_id"].removeprefix("0x") == trace_id
    assert services_in(trace) == set(SERVICES)
    names = {span["resource"]["attributes"]["service.name"] for span in trace}
    assert names == {f"drsorch-{service}" for service in SERVICES}
    roots = [span for span in trace if span["parent_id"] is None]
    assert [root["attributes"].get("drsorch.service") for root in roots] == ["discovery"]


def test_the_report_names_the_requests_trace(failback: tuple[RequestCompleted, str]) -> None:
    report, trace_id = failback
    assert report.trace_id == trace_id


def test_a_cancel_about_the_request_joins_its_one_trace(
    stack: tuple[StackOutputs, str], failback: tuple[RequestCompleted, str], workers: Path
) -> None:
    """A step about an earlier request (here a cancel, as `drsorch cancel` sends it; the
    round trip's reprotect and retire alike) continues that request's trace."""
    outputs, _ = stack
    _, trace_id = failback
    cancel_id = f"{REQUEST_ID}-cancel"
    with joined_trace(trace_id):
        carried = tracing.current_trace_context()
    event = CancelRequested(cancel_request_id=REQUEST_ID, requested_by="tracing-tests")
    envelope = Envelope.wrap(event, request_id=cancel_id, step="cancel", producer="cli")
    publish_untraced(outputs, envelope.with_trace(carried))

    def handled() -> list[dict[str, Any]] | None:
        spans = [
            span
            for span in read_spans(workers)
            if span.get("attributes", {}).get("drsorch.request_id") == cancel_id
            and span.get("attributes", {}).get("drsorch.service") == "monitor"
        ]
        return spans or None

    spans = wait_for(handled, timeout=60)
    assert {span["context"]["trace_id"].removeprefix("0x") for span in spans} == {trace_id}
