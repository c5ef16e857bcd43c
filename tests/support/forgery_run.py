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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiobotocore.session import get_session

from drsorch.cli.feed import SqsEventFeed, event_feed
from drsorch.cli.request_run import FOLLOWED
from drsorch.contracts import (
    EVENTS,
    Accounts,
    Envelope,
    Event,
    RequestCompleted,
    RequestSpec,
    Scope,
    SignedApproval,
    Spoke,
)
from drsorch.local.deploy import StackOutputs
from drsorch.local.server import LocalEndpoint
from support.approving import sign
from support.aws import client, deploy, wait_for
from support.chaos import HUB, Fleet, Storm, launches, report_against_ec2
from support.forgery import (
    APPLY_REFUSALS,
    FORGED_REASON,
    MARKER,
    UNLISTED_SPOKE,
    Addresses,
    Answers,
    Catalogue,
    Hostile,
    Routes,
    hostile_apply,
    lost,
    parked_markers,
    send,
    tally,
    volley,
)
from support.monitor_world import calls, seed
from support.observer import observe, observer_queue, publish_request


@dataclass(frozen=True)
class Raid:
    """One hostile-message run: `servers` in the hub, `messages` hostile messages, of which
    `applies_each` hostile applies of each kind on the requests topic."""

    name: str
    servers: int
    messages: int
    within: float
    applies_each: int = 1

    @property
    def applies(self) -> int:
        return self.applies_each * len(APPLY_REFUSALS)

    def bystander(self, k: int) -> str:
        """The app tag of the k-th bystander: one server no other request holds."""
        return f"{self.name}-by{k:02d}"

    def estate(self, storm: Storm) -> str:
        """The storm's estate and one bystander server per hostile apply, in wave 1."""
        bystanders = "".join(
            f"""      - count: 1
        name: {self.bystander(k)}-{{index}}
        waves: [1]
        name_noise: {{rate: 0}}
        template: {{tags: {{app: {self.bystander(k)}}}}}
"""
            for k in range(self.applies)
        )
        return storm.estate() + bystanders


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


async def _started(feed: SqsEventFeed, seen: Seen, request_id: str, within: float) -> None:
    """Read until the services have taken the request (its first event)."""
    deadline = time.monotonic() + within
    while not any(e.request_id == request_id for e in seen.envelopes):
        if time.monotonic() > deadline:
            raise AssertionError(f"{request_id} was not taken within {within} s")
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
    hostile: Sequence[Hostile], routes: Routes, stack: StackOutputs, answers: Answers
) -> dict[str, dict[str, str]]:
    """Dead-letter entries gathered until every hostile delivery is parked or answered with
    a reason (or time is up)."""
    parked: dict[str, dict[str, str]] = {}

    def probe() -> bool | None:
        for service, markers in parked_markers(stack).items():
            parked.setdefault(service, {}).update(markers)
        return True if not lost(hostile, routes, parked, answers) else None

    with contextlib.suppress(TimeoutError):  # the assertion on `lost` says what is missing
        wait_for(probe, timeout=180, every=1)
    return parked


def _spec(app: str, *, plan_only: bool = False) -> RequestSpec:
    return RequestSpec(
        operation="failback",
        scope=Scope(selector={"app": app}),
        accounts=Accounts(hub=HUB),
        primary_region="us-east-1",
        recovery_region="us-west-2",
        requested_by="operator",
        plan_only=plan_only,
    )


@dataclass
class Watch:
    """Every event the services publish, read off the observer queue as it comes."""

    answers: Answers = field(default_factory=Answers)
    plans: dict[str, str | None] = field(default_factory=dict)

    def record(self, body: str) -> None:
        if MARKER.search(body):
            return  # a hostile message published to a service's topic: no service's answer
        self.answers.record(body)
        envelope = EVENTS.parse(body)
        if isinstance(envelope.payload, RequestCompleted) and envelope.payload.chunk.index == 0:
            self.plans[envelope.request_id] = envelope.payload.plan_hash


async def _plan_bystanders(stack: StackOutputs, raid: Raid, watch: Watch) -> list[str]:
    """Each bystander's plan hash, planned as an operator would before approving."""
    ids = [f"req-{raid.bystander(k)}-plan" for k in range(raid.applies)]
    for k, request_id in enumerate(ids):
        await publish_request(stack, _spec(raid.bystander(k), plan_only=True), request_id)

    def planned() -> list[str] | None:
        hashes = [watch.plans.get(i) for i in ids]
        return [h for h in hashes if h] if all(hashes) else None

    return await asyncio.to_thread(wait_for, planned, timeout=raid.within, every=1)


def _other_key() -> str:
    """An asymmetric key like the deployment's approvals key, that is not it."""
    key = client("kms", region_name="us-east-1").create_key(
        KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY"
    )
    return str(key["KeyMetadata"]["Arn"])


async def _applies(stack: StackOutputs, raid: Raid, hashes: list[str], first: int) -> list[Hostile]:
    """The hostile applies, one bystander each, each signed (or not) as its kind says."""
    other_key, wrong = _other_key(), "0" * 64
    made: list[Hostile] = []
    kinds = [kind for kind in APPLY_REFUSALS for _ in range(raid.applies_each)]
    for k, (kind, plan_hash) in enumerate(zip(kinds, hashes, strict=True)):
        request_id = f"req-{raid.bystander(k)}"
        spec, approved = _spec(raid.bystander(k)), plan_hash
        approvals: tuple[SignedApproval, ...] = ()
        if kind == "approval of another plan":
            approvals = (await sign(stack, request_id, wrong),)
        elif kind == "expired approval":
            then = datetime.now(UTC) - timedelta(hours=2)
            approvals = (await sign(stack, request_id, plan_hash, valid_minutes=1, now=then),)
        elif kind == "approval signed with another key":
            approvals = (await sign(stack, request_id, plan_hash, key_arn=other_key),)
        elif kind == "forged signature":
            real = await sign(stack, request_id, plan_hash)
            other = await sign(stack, request_id, plan_hash, key_arn=other_key)
            approvals = (real.model_copy(update={"signature": other.signature}),)
        elif kind == "one approver where two are needed":
            approvals = (await sign(stack, request_id, plan_hash, required=2),)
        elif kind == "borrowed spoke":
            spoke = Spoke(account_id=UNLISTED_SPOKE, role_name="borrowed", external_id="x-b")
            spec = spec.model_copy(update={"accounts": Accounts(hub=HUB, spokes=(spoke,))})
            approved, approvals = wrong, (await sign(stack, request_id, wrong),)
        marker = f"hostile-{first + k:05d}"
        made.append(hostile_apply(kind, spec, request_id, approvals, approved, marker))
    return made


def _interleave(many: list[Hostile], few: list[Hostile]) -> list[Hostile]:
    """`few` spread evenly through `many`."""
    out, step = list(many), max(1, len(many) // (len(few) + 1))
    for i, hostile in enumerate(few):
        out.insert((i + 1) * step + i, hostile)
    return out


async def run_raid(endpoint: LocalEndpoint, raid: Raid, logs: Path) -> dict[str, Any]:
    endpoint.reset()
    storm = Storm(raid.name, raid.servers, (1, 2), 0, 0, 1, raid.within)
    seeded = seed(raid.estate(storm), raid.name)
    servers = {n: s for n, s in seeded.items() if not n.startswith(f"{raid.name}-by")}
    stack = deploy(raid.name)
    routes = Routes.from_template()
    request_id = f"req-{raid.name}"
    catalogue = Catalogue(request_id, raid.name, HUB, routes).every_kind()
    volleyed = volley(catalogue, raid.messages - raid.applies)
    to_cli = sum(1 for h in volleyed if h.target == "queue:cli")
    followed = {s: stack.service(s).events_topic_arn for s in FOLLOWED}
    fleet = Fleet(endpoint.url, raid.name, logs)
    watch, stop, changed = Watch(), asyncio.Event(), asyncio.Condition()
    observer = observer_queue(stack, f"{raid.name}-observer")
    watching = asyncio.create_task(observe(observer, watch.record, changed, stop))
    fleet.start_all()
    seen = Seen([])
    try:
        session = get_session()
        # The operator plans first and approves exactly that plan, as the services demand;
        # the bystanders are planned too, so a hostile apply can name the right hash.
        spec = await _approved(stack, _spec(raid.name), request_id, followed, raid.within)
        hashes = await _plan_bystanders(stack, raid, watch)
        applies = await _applies(stack, raid, hashes, len(volleyed))
        hostile = _interleave(volleyed, applies)
        async with (
            session.create_client("sqs") as sqs,
            session.create_client("sns") as sns,
            event_feed(sqs, sns, followed, request_id) as feed,
        ):
            addresses = Addresses(stack, feed.queue_url)
            await publish_request(stack, spec, request_id)
            # Hostile messages start once the request is taken: a request ID names one
            # request, and the operator's request was sent first.
            await _started(feed, seen, request_id, raid.within)
            sending = asyncio.create_task(asyncio.to_thread(_send_all, addresses, hostile))
            await _follow(feed, seen, request_id, raid.within)
            await sending
            await _drain_feed(feed, seen, to_cli, 60)
            untrusted, unreadable = feed.untrusted, feed.unreadable
        parked = await asyncio.to_thread(_settled, hostile, routes, stack, watch.answers)
    finally:
        fleet.stop_all()
        stop.set()
        await watching
    report = seen.report(request_id)
    assert report is not None
    counted = launches()
    refused = Counter(h.kind for h in applies if watch.answers.explains(h))
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
        "applies": len(applies),
        "applies_refused_for_their_approval": dict(refused),
        "apply_outcomes": {
            f"{h.kind} ({h.request_id})": watch.answers.reports.get(h.request_id, "none")[:240]
            for h in applies
        },
        "drs_calls_in_the_borrowed_spoke": len(
            [c for c in calls() if c["account_id"] == UNLISTED_SPOKE]
        ),
        "lost": lost(hostile, routes, parked, watch.answers),
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
    assert sum(refused.values()) == len(applies), outcome
    assert outcome["drs_calls_in_the_borrowed_spoke"] == 0, outcome
    assert outcome["cli_dropped"] == to_cli, outcome
    assert outcome["lost"] == [], outcome
    assert outcome["unexplained_parks"] == 0, outcome
    return outcome
