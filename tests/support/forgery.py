"""Hostile messages during a real failback, and what must become of each of them.

Every kind of message a forger could send, to every topic and queue drsorch has: events
of every type carrying the live request's ID, on topics whose producer never publishes
that type (with the type attribute the subscribers filter on, so SNS delivers them) and
straight to every service queue and the operator's follow queue; deeply nested and
oversized JSON; requests naming spokes the deployment does not list.

Each hostile message carries a marker (`hostile-00042`) in its body, so where it ended
can be checked: parked in the dead-letter queue of every queue SNS delivered it to, with
drsorch's reason, or dropped and counted by the operator's follow feed.

Some kinds are refused only by what the local endpoint does not enforce; they are in the
catalogue, marked, and not sent locally:
- `aws`: AWS's policy enforcement refuses them (a topic policy lets only its producer's
  role publish; a queue policy lets only its topics, the alarm rule and its own service
  send). tests/integration/security/test_policies.py evaluates those policy documents.
- `approvals`: an apply the services must refuse without a valid approval, which the
  services are being given in parallel; switch them on with `APPROVALS_ENFORCED`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import cycle
from typing import Any

from drsorch.contracts import (
    EVENTS,
    Accounts,
    Envelope,
    Event,
    FailbackRequested,
    RequestSpec,
    Scope,
    Spoke,
    Topic,
)
from drsorch.contracts.cfn import load_template
from drsorch.contracts.topology import read_topology
from drsorch.local.deploy import DEFAULT_TEMPLATE, StackOutputs
from support.aws import client
from unit.contracts.samples import all_events

APPROVALS_ENFORCED = False
"""Set when the services verify approvals themselves: the `approvals` kinds are sent too."""

MARKER = re.compile(r"hostile-[0-9]{5}")
SERVICES = ("discovery", "matcher", "configurator", "monitor")
UNLISTED_SPOKE = "999988887777"  # no deployment lists it
FORGED_REASON = "forged by the hostile suite"
NESTED_DEPTH = 60_000  # json.loads gives up (RecursionError) long before this


@dataclass(frozen=True)
class Hostile:
    """One hostile message: what it is, where it goes, and whether it is sent locally."""

    kind: str
    target: str
    """`topic:<requests|service>` or `queue:<service|cli>`."""
    body: str
    type_attribute: str
    marker: str
    needs: str = ""
    """Empty: refused by what drsorch enforces locally; `aws` or `approvals` (see above)."""

    @property
    def sent_locally(self) -> bool:
        return self.needs == "" or (self.needs == "approvals" and APPROVALS_ENFORCED)


@dataclass(frozen=True)
class Routes:
    """Which queues SNS delivers a message to: per topic, (queue's service, types) pairs."""

    by_topic: Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]]

    @classmethod
    def from_template(cls) -> Routes:
        routes: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for queue in read_topology(load_template(DEFAULT_TEMPLATE)).queues:
            for sub in queue.subscriptions:
                source = "requests" if sub.topic is Topic.REQUESTS else sub.producer
                routes.setdefault(source, []).append((queue.service, sub.event_types))
        return cls({topic: tuple(subs) for topic, subs in routes.items()})

    def delivered(self, hostile: Hostile) -> set[str]:
        """The service queues a message reaches: SNS's filters, or the queue it was sent to."""
        where, name = hostile.target.split(":", 1)
        if where == "queue":
            return {name} if name != "cli" else set()
        return {s for s, types in self.by_topic.get(name, ()) if hostile.type_attribute in types}


def _body(envelope: dict[str, Any], marker: str) -> str:
    return json.dumps({**envelope, "hostile": marker})


def _forged(event: Event, request_id: str) -> dict[str, Any]:
    producer = type(event).producers[0] if type(event).producers else "cli"
    envelope = Envelope.wrap(event, request_id=request_id, step="forged", producer=producer)
    wire: dict[str, Any] = json.loads(envelope.to_json())
    if event.event_type == "RequestCompleted":  # the outcome a forger wants the operator to see
        wire["payload"]["status"] = "FAILED"
        wire["payload"]["reason"] = FORGED_REASON
    return wire


@dataclass
class Catalogue:
    """Builds hostile messages of every kind, each with its own marker."""

    request_id: str
    app: str
    hub: str
    routes: Routes
    made: list[Hostile] = field(default_factory=list)

    def _add(self, kind: str, target: str, body: Any, type_attribute: str, needs: str = "") -> None:
        marker = f"hostile-{len(self.made):05d}"
        text = _body(body, marker) if isinstance(body, dict) else body.replace("@", marker, 1)
        self.made.append(Hostile(kind, target, text, type_attribute, marker, needs))

    def forged_events(self) -> None:
        """Every event type, live request ID: on every topic but its producers', straight to
        every queue and to the operator's; on its producer's own topic (AWS refuses it)."""
        for event in all_events():
            wire = _forged(event, self.request_id)
            kind = f"forged {event.event_type}"
            producers = set(type(event).producers) | (
                {"requests"} if event.topic is Topic.REQUESTS else set()
            )
            for topic, subs in self.routes.by_topic.items():
                lies = sorted({t for _, types in subs for t in types})
                if topic in producers or (topic == "requests" and "cli" in producers):
                    needs = "approvals" if topic == "requests" else "aws"
                    self._add(kind, f"topic:{topic}", wire, event.event_type, needs)
                    continue
                for lie in lies:
                    self._add(kind, f"topic:{topic}", wire, lie)
            for service in SERVICES:
                self._add(kind, f"queue:{service}", wire, event.event_type)
            self._add(kind, "queue:cli", wire, event.event_type)
            notified = {"Type": "Notification", "TopicArn": "(its producer's own topic)"}
            self._add(
                f"{kind} as if from its topic",
                "queue:cli",
                {**notified, "Message": json.dumps(wire)},
                event.event_type,
                "aws",
            )

    def unapproved_applies(self) -> None:
        """An apply of the live request's scope, no approval: straight to discovery (refused:
        only the alarm rule sends there, plan only), and on the requests topic."""
        spec = self._spec(plan_only=False)
        wire = _forged(FailbackRequested(spec=spec), f"{self.request_id}-x")
        self._add("unapproved apply", "queue:discovery", wire, "FailbackRequested")
        self._add("unapproved apply", "topic:requests", wire, "FailbackRequested", "approvals")
        plan = _forged(FailbackRequested(spec=self._spec(plan_only=True)), f"{self.request_id}-p")
        self._add(
            "plan sent as if by the alarm rule", "queue:discovery", plan, "FailbackRequested", "aws"
        )

    def borrowed_spokes(self) -> None:
        """Requests naming a spoke the deployment does not list, with a role and ExternalId
        of the sender's choosing."""
        spoke = Spoke(account_id=UNLISTED_SPOKE, role_name="borrowed", external_id="borrowed-x")
        spec = self._spec(plan_only=False, spokes=(spoke,))
        wire = _forged(FailbackRequested(spec=spec), f"{self.request_id}-s")
        self._add("borrowed spoke apply", "queue:discovery", wire, "FailbackRequested")
        self._add("borrowed spoke apply", "topic:requests", wire, "FailbackRequested", "approvals")

    def malformed(self) -> None:
        """Deeply nested and oversized JSON, to every queue and through every topic."""
        nested = '{"hostile":"@","x":' + "[" * NESTED_DEPTH + "]" * NESTED_DEPTH + "}"
        big = _body(
            {
                "event_id": "00000000-0000-4000-8000-000000000000",
                "type": "RequestCompleted",
                "version": 2,
                "request_id": self.request_id,
                "occurred_at": "2026-01-01T00:00:00Z",
                "producer": "monitor",
                "payload": {"padding": "A" * 200_000},
            },
            "@",
        )
        for kind, body in (("nested JSON", nested), ("oversized JSON", big)):
            for service in SERVICES:
                self._add(kind, f"queue:{service}", body, "RequestCompleted")
            self._add(kind, "queue:cli", body, "RequestCompleted")
            for topic, subs in self.routes.by_topic.items():
                for lie in sorted({t for _, types in subs for t in types}):
                    self._add(kind, f"topic:{topic}", body, lie)

    def _spec(self, *, plan_only: bool, spokes: tuple[Spoke, ...] = ()) -> RequestSpec:
        return RequestSpec(
            operation="failback",
            scope=Scope(selector={"app": self.app}),
            accounts=Accounts(hub=self.hub, spokes=spokes),
            primary_region="us-east-1",
            recovery_region="us-west-2",
            requested_by="hostile",
            plan_only=plan_only,
            approved_plan_hash=None if plan_only else "f" * 64,
        )

    def forged_timers(self) -> None:
        """A service's own timers, sent to its queue by someone else (only the service's role
        may send to its queue)."""
        for service, timer in (("configurator", "ConfigurationDue"), ("monitor", "MonitorTick")):
            body = {"type": timer, "version": 1, "request_id": self.request_id}
            self._add(f"forged {timer}", f"queue:{service}", body, timer, "aws")

    def every_kind(self) -> list[Hostile]:
        self.forged_timers()
        self.forged_events()
        self.unapproved_applies()
        self.borrowed_spokes()
        self.malformed()
        return self.made


def volley(kinds: Sequence[Hostile], count: int) -> list[Hostile]:
    """`count` messages sent locally, every kind at least once, then round the kinds again
    (each copy its own marker)."""
    local = [h for h in kinds if h.sent_locally]
    out: list[Hostile] = []
    source: Iterator[Hostile] = cycle(local)
    while len(out) < max(count, len(local)):
        h = next(source)
        marker = f"hostile-{len(out):05d}"
        out.append(
            Hostile(
                h.kind,
                h.target,
                MARKER.sub(marker, h.body, count=1),
                h.type_attribute,
                marker,
                h.needs,
            )
        )
    return out


@dataclass(frozen=True)
class Addresses:
    """Where each target is on the deployed stack."""

    stack: StackOutputs
    cli_queue_url: str

    def topic(self, name: str) -> str:
        return (
            self.stack.requests_topic_arn
            if name == "requests"
            else self.stack.service(name).events_topic_arn
        )

    def queue(self, name: str) -> str:
        return self.cli_queue_url if name == "cli" else self.stack.service(name).queue_url


def send(addresses: Addresses, hostile: Hostile) -> None:
    """Send one hostile message where it says, as anybody with the AWS API could."""
    where, name = hostile.target.split(":", 1)
    attributes = {"type": {"DataType": "String", "StringValue": hostile.type_attribute}}
    if where == "topic":
        client("sns").publish(
            TopicArn=addresses.topic(name), Message=hostile.body, MessageAttributes=attributes
        )
    else:
        client("sqs").send_message(
            QueueUrl=addresses.queue(name), MessageBody=hostile.body, MessageAttributes=attributes
        )


def parked_markers(stack: StackOutputs) -> dict[str, dict[str, str]]:
    """Per service, the hostile markers in its dead-letter queue with the reason drsorch gave
    (an entry without a reason shows as an empty reason); the queues are drained."""
    sqs = client("sqs")
    found: dict[str, dict[str, str]] = {}
    for service in SERVICES:
        url = stack.service(service).dead_letter_queue_url
        seen = found.setdefault(service, {})
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
                reason = (
                    message.get("MessageAttributes", {})
                    .get("drsorch_park_reason", {})
                    .get("StringValue", "")
                )
                for marker in MARKER.findall(message["Body"])[:1]:
                    seen[marker] = reason
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def lost(
    sent: Sequence[Hostile], routes: Routes, parked: Mapping[str, Mapping[str, str]]
) -> list[str]:
    """Every delivery of a hostile message to a service queue that is not parked with a reason."""
    missing = []
    for hostile in sent:
        for service in sorted(routes.delivered(hostile)):
            reason = parked.get(service, {}).get(hostile.marker)
            if not reason:
                missing.append(
                    f"{hostile.marker} {hostile.kind} -> {hostile.target} at {service}: {reason!r}"
                )
    return missing


def tally(sent: Sequence[Hostile]) -> Counter[str]:
    return Counter(h.kind.split(" as if")[0] for h in sent)


__all__ = [
    "EVENTS",
    "Addresses",
    "Catalogue",
    "Hostile",
    "Routes",
    "lost",
    "parked_markers",
    "send",
    "tally",
    "volley",
]
