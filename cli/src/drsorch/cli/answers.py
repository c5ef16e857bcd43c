"""The configurator's answers to the CLI's own requests: restore, reverse replication, retire.

Each of those commands publishes its request under a request ID of its own and follows
the configurator's topic alone (only the configurator answers them) through the CLI's
own queue, gathering the chunks of the answer until it is whole or the deadline passes.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

from rich.console import Console

from drsorch.cli.approval import KmsSigner, approvals_key, sign_approval
from drsorch.cli.aws import AWS_ERRORS, Aws, SnsRequestBus, lost_contact
from drsorch.cli.feed import event_feed
from drsorch.cli.follow import joined_trace, publish_request
from drsorch.cli.ports import EventFeed
from drsorch.cli.records import MonitorRecords
from drsorch.cli.tracker import Chunks
from drsorch.contracts import Envelope, Event, Retired, ReverseReplicationReported, SignedApproval


class Answer:
    """Gathers the chunks of each answer; prints a progress line per reverse-replication or
    retire step.

    `done` is the whole answer (every chunk of its last step) once it has come.
    """

    def __init__(self, console: Console, kinds: tuple[type[Event], ...]) -> None:
        self.console = console
        self.kinds = kinds
        self.steps: dict[int, Chunks[Event]] = {}
        self.done: list[Event] | None = None

    def add(self, event: Event) -> None:
        if not isinstance(event, self.kinds):
            return
        step = getattr(event, "step", 0)
        chunk = event.chunk  # type: ignore[attr-defined]
        chunks = self.steps.setdefault(step, Chunks())
        chunks.add(event, chunk.index, chunk.count)
        if not chunks.complete:
            return
        parts = chunks.ordered()
        if isinstance(event, Retired):
            results = [r for part in parts for r in part.results]  # type: ignore[attr-defined]
            counted = Counter(r.outcome for r in results)
            line = ", ".join(f"{n} {k}" for k, n in sorted(counted.items()))
            self.console.print(f"  step {step}: {line or 'nothing to do'}")
            if not event.final:
                return
        if isinstance(event, ReverseReplicationReported):
            servers = [s for part in parts for s in part.servers]  # type: ignore[attr-defined]
            counted = Counter(s.outcome for s in servers)
            line = ", ".join(f"{n} {k}" for k, n in sorted(counted.items()))
            self.console.print(f"  step {step}: {line or 'nothing to do'}")
            if not event.final:
                return
        self.done = parts


async def ask_configurator(
    aws: Aws,
    envelope: Envelope[Event],
    seconds: float | None,
    console: Console,
    answer: Answer,
    *,
    sent_line: str,
    then: str | None = None,
) -> list[Event] | None:
    """Publish the request and gather the configurator's answer; None when time ran out.

    `sent_line` is printed once the request is out; `then` says what to do when the
    connection is lost after sending.
    """
    own_id = envelope.request_id
    topic = {"configurator": aws.topology.producer_topics["configurator"]}
    sent = False
    try:
        # A step about an earlier request joins that request's one trace (the monitor
        # keeps its ID); a restore of a request the monitor never saw starts its own.
        records = MonitorRecords(aws.dynamodb, aws.topology.table_name)
        joined = await records.trace_id(getattr(envelope.payload, "of_request_id", ""))
        async with event_feed(aws.sqs, aws.sns, topic, own_id) as feed:
            with joined_trace(joined):
                await publish_request(SnsRequestBus(aws), envelope)
            sent = True
            console.print(sent_line)
            deadline = None if seconds is None else time.monotonic() + seconds
            return await gather(feed, own_id, deadline, answer)
    except AWS_ERRORS as exc:
        raise lost_contact(exc, own_id, sent=sent, then=then) from exc


async def gather(
    feed: EventFeed, own_id: str, deadline: float | None, answer: Answer
) -> list[Event] | None:
    """Read the feed until the answer to `own_id` is whole, or None at the deadline."""
    while answer.done is None:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            return None
        wait = 20 if remaining is None else max(0, min(20, int(remaining) + 1))
        for envelope in await feed.receive(wait):
            if envelope.request_id == own_id:
                answer.add(envelope.payload)
    return answer.done


async def own_approval(
    aws: Aws, own_id: str, approve: str | None, valid_for: int
) -> tuple[SignedApproval, ...]:
    """The caller's signed approval of the plan its request `own_id` applies (none for a
    plan): a restore's or a retire's, which the configurator verifies before any write."""
    if approve is None:
        return ()
    try:
        signed = await sign_approval(
            KmsSigner(aws.kms),
            key_arn=approvals_key(aws.topology.outputs, aws.settings.approvals_key_arn),
            request_id=own_id,
            plan_hash=approve.lower(),
            approver=aws.caller.arn,
            now=datetime.now(UTC),
            valid_minutes=valid_for,
        )
    except AWS_ERRORS as exc:
        raise lost_contact(exc, own_id, sent=False) from exc
    return (signed,)
