"""Hostile messages during a real failback, and what must become of each of them.

Every kind of message a forger could send, to every topic and queue drsorch has: events
of every type carrying the live request's ID, on topics whose producer never publishes
that type (with the type attribute the subscribers filter on, so SNS delivers them) and
straight to every service queue and the operator's follow queue; deeply nested and
oversized JSON; requests naming spokes the deployment does not list.

Each hostile message carries a marker (`hostile-00042`) in its body, so where it ended
can be checked: parked in the dead-letter queue of every queue SNS delivered it to, with
drsorch's reason, or dropped and counted by the operator's follow feed.

Hostile applies on the requests topic (`applies`) go where an operator's request goes:
each under a request ID of its own, of a bystander server no other request holds, so
nothing but its approval stands between it and a launch: none, another plan's hash,
expired, signed with another key, a forged signature, one approver where two are
needed, a spoke the deployment does not list. Each must end REJECTED with the reason
the services give for its approval, in the report.

Some kinds are refused only by what the local endpoint does not enforce; they are in the
catalogue, marked `aws`, and not sent locally: AWS's policy enforcement refuses them (a
topic policy lets only its producer's role publish; a queue policy lets only its topics,
the alarm rule and its own service send). tests/integration/security/test_policies.py
evaluates those policy documents.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import cycle
from typing import Any

from drsorch.cli.follow import request_envelope
from drsorch.contracts import (
    EVENTS,
    Accounts,
    Envelope,
    Event,
    FailbackRequested,
    RequestCompleted,
    RequestSpec,
    Scope,
    SignedApproval,
    Spoke,
    Topic,
)
from drsorch.contracts.cfn import load_template
from drsorch.contracts.topology import read_topology
from drsorch.local.deploy import DEFAULT_TEMPLATE, StackOutputs
from support.aws import client
from support.chaos import dead_letters
from unit.contracts.samples import all_events

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
    """Empty: refused by what drsorch enforces locally; `aws` (see above): not sent."""
    refused: str = ""
    """For a hostile apply: what its report's reason must say."""
    request_id: str = ""
    """For a hostile apply: the request ID of its own it is sent under."""

    @property
    def sent_locally(self) -> bool:
        return self.needs == ""


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
                    # The operator's topic: anyone who may request may publish there, so
                    # the services themselves refuse it (a taken request ID, approvals).
                    needs = "" if topic == "requests" else "aws"
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
        """An apply of the live request's scope, no approval, straight to discovery (refused:
        only the alarm rule sends there, plan only). On the requests topic: `applies`."""
        spec = self._spec(plan_only=False)
        wire = _forged(FailbackRequested(spec=spec), f"{self.request_id}-x")
        self._add("unapproved apply", "queue:discovery", wire, "FailbackRequested")
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


def volley(kinds: Sequence[Hostile], count: int, first: int = 0) -> list[Hostile]:
    """`count` messages sent locally, every kind at least once, then round the kinds again
    (each copy its own marker, from `first`, and its own event ID: a copy is no redelivery)."""
    local = [h for h in kinds if h.sent_locally]
    out: list[Hostile] = []
    source: Iterator[Hostile] = cycle(local)
    while len(out) < max(count, len(local)):
        h = next(source)
        marker = f"hostile-{first + len(out):05d}"
        body = MARKER.sub(marker, h.body, count=1)
        out.append(replace(h, body=_fresh_event_id(body), marker=marker))
    return out


def _fresh_event_id(body: str) -> str:
    try:
        wire = json.loads(body)
    except (ValueError, RecursionError):
        return body
    if isinstance(wire, dict) and "event_id" in wire:
        wire["event_id"] = str(uuid.uuid4())
    elif isinstance(wire, dict) and isinstance(wire.get("Message"), str):
        wire["Message"] = _fresh_event_id(wire["Message"])
    return json.dumps(wire)


def event_id(hostile: Hostile) -> str | None:
    """The event ID a hostile message carries, when it carries one."""
    try:
        wire = json.loads(hostile.body)
    except (ValueError, RecursionError):
        return None
    found = wire.get("event_id") if isinstance(wire, dict) else None
    return found if isinstance(found, str) else None


APPLY_REFUSALS = {
    "no approval": "no approval",
    "approval of another plan": "plan drift",  # the approval, not the request, names it
    "expired approval": "expired",
    "approval signed with another key": "not this deployment's approvals key",
    "forged signature": "forged or altered",
    "one approver where two are needed": "needs 2 distinct approvers, has 1",
    "borrowed spoke": "no longer matches what the apply would launch",
}
"""Each hostile apply on the requests topic, and what its report's reason must say."""


def hostile_apply(
    kind: str,
    spec: RequestSpec,
    request_id: str,
    approvals: tuple[SignedApproval, ...],
    approved_hash: str,
    marker: str,
) -> Hostile:
    """A hostile apply on the requests topic, as any operator could publish one."""
    spec = spec.model_copy(update={"approved_plan_hash": approved_hash, "approvals": approvals})
    wire = json.loads(request_envelope(spec, request_id).to_json())
    return Hostile(
        kind=kind,
        target="topic:requests",
        body=_body(wire, marker),
        type_attribute="FailbackRequested",
        marker=marker,
        refused=APPLY_REFUSALS[kind],
        request_id=request_id,
    )


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
    return {
        service: {marker: reason for body, reason in entries for marker in MARKER.findall(body)[:1]}
        for service, entries in dead_letters(stack).items()
    }


@dataclass
class Answers:
    """What the services published in answer to hostile requests: refusals by request ID
    (a hostile apply's report), reasons by the event that caused them."""

    reports: dict[str, str] = field(default_factory=dict)
    """Each request's outcome as `STATUS: reason` (its report's first chunk)."""
    by_cause: dict[str, str] = field(default_factory=dict)

    def record(self, body: str) -> None:
        envelope = EVENTS.parse(body)
        payload = envelope.payload
        reason = str(getattr(payload, "reason", None) or getattr(payload, "refused", None) or "")
        if isinstance(payload, RequestCompleted) and payload.chunk.index == 0:
            self.reports[envelope.request_id] = f"{payload.status}: {reason}"
        if envelope.causation_id and reason:
            self.by_cause[envelope.causation_id] = reason

    def explains(self, hostile: Hostile) -> str:
        """The reason the services gave for a hostile request they ran, if they gave one."""
        if hostile.request_id:
            outcome = self.reports.get(hostile.request_id, "")
            refused = outcome.startswith("REJECTED: ") and hostile.refused in outcome
            return outcome if refused else ""
        cause = event_id(hostile)
        return self.by_cause.get(cause, "") if cause else ""


def lost(
    sent: Sequence[Hostile],
    routes: Routes,
    parked: Mapping[str, Mapping[str, str]],
    answers: Answers | None = None,
) -> list[str]:
    """Every delivery of a hostile message to a service queue that is neither parked with a
    reason nor answered with one (a hostile request the services ran and refused)."""
    missing = []
    for hostile in sent:
        for service in sorted(routes.delivered(hostile)):
            reason = parked.get(service, {}).get(hostile.marker)
            if not reason and answers is not None:
                reason = answers.explains(hostile)
            if not reason:
                missing.append(
                    f"{hostile.marker} {hostile.kind} -> {hostile.target} at {service}: {reason!r}"
                )
    return missing


def tally(sent: Sequence[Hostile]) -> Counter[str]:
    return Counter(h.kind.split(" as if")[0] for h in sent)


__all__ = [
    "APPLY_REFUSALS",
    "EVENTS",
    "Addresses",
    "Answers",
    "Catalogue",
    "Hostile",
    "Routes",
    "hostile_apply",
    "lost",
    "parked_markers",
    "send",
    "tally",
    "volley",
]
