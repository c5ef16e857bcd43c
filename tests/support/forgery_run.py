"""A real failback, followed by the CLI's own feed, while hostile messages rain on every
topic and queue; and what must hold afterwards.

The services run as processes (`python -m drsorch.<service>`) with the runtime's default
settings. The operator's view is the CLI's `event_feed` (its queue, its subscription to
the monitor's topic, its trust rule), not a test observer.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiobotocore.session import get_session

from drsorch.cli.feed import SqsEventFeed, event_feed
from drsorch.cli.request_run import FOLLOWED
from drsorch.contracts import Accounts, Envelope, Event, RequestCompleted, RequestSpec, Scope
from drsorch.local.deploy import StackOutputs
from drsorch.local.server import LocalEndpoint
from support.approving import sign
from support.aws import deploy, wait_for
from support.chaos import HUB, Fleet, Storm, launches, report_against_ec2
from support.forgery import (
    FORGED_REASON,
    Addresses,
    Catalogue,
    Hostile,
    Routes,
    lost,
    parked_markers,
    send,
    tally,
    volley,
)
from support.monitor_world import seed
from support.observer import publish_request


@dataclass(frozen=True)
class Raid:
    """One hostile-message run: `servers` in the hub, `messages` hostile messages."""

    name: str
    servers: int
    messages: int
    within: float


@dataclass
class Seen:
    """What the operator's feed handed the CLI."""

    envelopes: list[Envelope[Event]]

    def report(self, request_id: str) -> list[RequestCompleted] | None:
        chunks = {
            e.event_id: e.payload
            for e in self.envelopes
            if e.request_id == request_id and isinstance(e.payload, RequestCompleted)
        }
        ordered = sorted(chunks.values(), key=lambda c: c.chunk.index)
        if not ordered or len(ordered) < ordered[0].chunk.count:
            return None
        return ordered


async def _approved(
    stack: StackOutputs,
    spec: RequestSpec,
    request_id: str,
    followed: dict[str, str],
    within: float,
) -> RequestSpec:
    """The apply's spec, carrying a signed approval of the plan a plan-only run produced."""
    planning = f"{request_id}-plan"
    seen = Seen([])
    session = get_session()
    async with (
        session.create_client("sqs") as sqs,
        session.create_client("sns") as sns,
        event_feed(sqs, sns, followed, planning) as feed,
    ):
        await publish_request(stack, spec.model_copy(update={"plan_only": True}), planning)
        await _follow(feed, seen, planning, within)
    report = seen.report(planning)
    assert report is not None and report[0].plan_hash is not None, report
    approval = await sign(stack, request_id, report[0].plan_hash)
    update = {"approved_plan_hash": report[0].plan_hash, "approvals": (approval,)}
    return spec.model_copy(update=update)


async def _follow(feed: SqsEventFeed, seen: Seen, request_id: str, within: float) -> None:
    deadline = time.monotonic() + within
    while seen.report(request_id) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"{request_id} did not complete within {within} s")
        seen.envelopes.extend(await feed.receive(1))


async def _drain_feed(feed: SqsEventFeed, seen: Seen, untrusted: int, within: float) -> None:
    """Read on until every hostile message sent to the feed's queue was counted."""
    deadline = time.monotonic() + within
    while feed.untrusted + feed.unreadable < untrusted and time.monotonic() < deadline:
        seen.envelopes.extend(await feed.receive(1))


def _send_all(addresses: Addresses, hostile: Sequence[Hostile]) -> None:
    for message in hostile:
        send(addresses, message)


def _settled(
    hostile: Sequence[Hostile], routes: Routes, stack: StackOutputs
) -> dict[str, dict[str, str]]:
    """Dead-letter entries gathered until every hostile delivery is parked (or time is up)."""
    parked: dict[str, dict[str, str]] = {}

    def probe() -> bool | None:
        for service, markers in parked_markers(stack).items():
            parked.setdefault(service, {}).update(markers)
        return True if not lost(hostile, routes, parked) else None

    with contextlib.suppress(TimeoutError):  # the assertion on `lost` says what is missing
        wait_for(probe, timeout=180, every=1)
    return parked


async def run_raid(endpoint: LocalEndpoint, raid: Raid, logs: Path) -> dict[str, Any]:
    endpoint.reset()
    storm = Storm(raid.name, raid.servers, (1, 2), 0, 0, 1, raid.within)
    servers = seed(storm.estate(), raid.name)
    stack = deploy(raid.name)
    routes = Routes.from_template()
    request_id = f"req-{raid.name}"
    catalogue = Catalogue(request_id, raid.name, HUB, routes).every_kind()
    hostile = volley(catalogue, raid.messages)
    to_cli = sum(1 for h in hostile if h.target == "queue:cli")
    spec = RequestSpec(
        operation="failback",
        scope=Scope(selector={"app": raid.name}),
        accounts=Accounts(hub=HUB),
        primary_region="us-east-1",
        recovery_region="us-west-2",
        requested_by="operator",
    )
    followed = {s: stack.service(s).events_topic_arn for s in FOLLOWED}
    fleet = Fleet(endpoint.url, raid.name, logs)
    fleet.start_all()
    seen = Seen([])
    try:
        session = get_session()
        # The operator plans first and approves exactly that plan, as the services demand.
        spec = await _approved(stack, spec, request_id, followed, raid.within)
        async with (
            session.create_client("sqs") as sqs,
            session.create_client("sns") as sns,
            event_feed(sqs, sns, followed, request_id) as feed,
        ):
            addresses = Addresses(stack, feed.queue_url)
            await publish_request(stack, spec, request_id)
            sending = asyncio.create_task(asyncio.to_thread(_send_all, addresses, hostile))
            await _follow(feed, seen, request_id, raid.within)
            await sending
            await _drain_feed(feed, seen, to_cli, 60)
            untrusted, unreadable = feed.untrusted, feed.unreadable
        parked = await asyncio.to_thread(_settled, hostile, routes, stack)
    finally:
        fleet.stop_all()
    report = seen.report(request_id)
    assert report is not None
    counted = launches()
    forged_seen = [
        e
        for e in seen.envelopes
        if isinstance(e.payload, RequestCompleted)
        and (e.payload.status != "SUCCEEDED" or e.payload.reason == FORGED_REASON)
    ]
    outcome: dict[str, Any] = {
        "sent": len(hostile),
        "kinds": len(tally(hostile)),
        "status": report[0].status,
        "launched": len(counted),
        "launched_twice": sum(1 for n in counted.values() if n > 1),
        "report_vs_ec2": report_against_ec2(report, servers, "us-east-1"),
        "forged_outcomes_seen": len(forged_seen),
        "cli_dropped": untrusted + unreadable,
        "cli_sent": to_cli,
        "lost": lost(hostile, routes, parked),
        "unexplained_parks": sum(1 for m in parked.values() for r in m.values() if not r),
        "reasons": dict(Counter(r for m in parked.values() for r in m.values())),
        "not_sent_locally": dict(tally([h for h in catalogue if not h.sent_locally])),
    }
    assert outcome["status"] == "SUCCEEDED", outcome
    # The estate holds only the real request's servers: a hostile launch would be one more
    # StartRecovery of one of them.
    assert outcome["launched"] == raid.servers and outcome["launched_twice"] == 0, outcome
    assert outcome["report_vs_ec2"] == [], outcome
    assert outcome["forged_outcomes_seen"] == 0, outcome
    assert outcome["cli_dropped"] == to_cli, outcome
    assert outcome["lost"] == [], outcome
    assert outcome["unexplained_parks"] == 0, outcome
    return outcome
