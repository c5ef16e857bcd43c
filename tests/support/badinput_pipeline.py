"""The scripted pipeline of `cli_pipeline`, held at a gate, and keeping the monitor's record.

An apply request waits at `gate` after discovery, so a test can do things while a
failback is in progress (send bad commands, drop the endpoint) and then let it finish.
At the end the stand-in writes the request's record to the monitor's table as the
monitor does (a summary and the report), so `drsorch status REQUEST_ID` can read it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from drsorch.contracts import (
    EVENTS,
    Envelope,
    Event,
    FailbackRequested,
    FailoverRequested,
    RequestCompleted,
)
from drsorch.runtime import Outbox, Resources, Service, ServiceFactory
from support.aws import client
from support.cli_pipeline import AsTheirProducers, Run, Script

GATE_SECONDS = 60.0


def gated_pipeline(script: Script, gate: asyncio.Event, monitor_table: str) -> ServiceFactory:
    """The stand-in's factory, for `serve("discovery", ...)`."""

    async def build(resources: Resources) -> Service:
        producers = await AsTheirProducers.open(resources)

        async def on_request(envelope: Envelope[Event], outbox: Outbox) -> None:
            payload = envelope.payload
            assert isinstance(payload, FailbackRequested | FailoverRequested)
            script.seen.append(envelope.request_id)
            script.specs.append(payload.spec)
            run = Run(script, envelope, payload.spec)
            results = run.plan()
            if not payload.spec.plan_only:
                await asyncio.wait_for(gate.wait(), GATE_SECONDS)
            run.finish(results)
            completed = run.out[-1].payload
            assert isinstance(completed, RequestCompleted)
            await asyncio.to_thread(keep_record, monitor_table, envelope, completed)
            await producers.publish(run.out)

        return Service(
            "discovery", EVENTS, {"FailbackRequested": on_request, "FailoverRequested": on_request}
        )

    return build


def keep_record(table: str, request: Envelope[Event], completed: RequestCompleted) -> None:
    """The monitor's items of an ended request: its summary and its one-chunk report."""
    payload = request.payload
    assert isinstance(payload, FailbackRequested | FailoverRequested)
    key = {"pk": {"S": f"request#{request.request_id}"}}
    summary: dict[str, Any] = {
        **key,
        "sk": {"S": "summary"},
        "phase": {"S": "completed"},
        "operation": {"S": payload.spec.operation},
        "drill": {"BOOL": payload.spec.drill},
        "status": {"S": completed.status},
        "plan_hash": {"S": completed.plan_hash or ""},
        "body": {"S": json.dumps({"spec": payload.spec.model_dump(mode="json")})},
    }
    report = {**key, "sk": {"S": "report#0"}, "body": {"S": completed.model_dump_json()}}
    dynamodb = client("dynamodb")
    dynamodb.put_item(TableName=table, Item=summary)
    dynamodb.put_item(TableName=table, Item=report)
