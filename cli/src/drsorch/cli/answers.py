"""The configurator's answers to the CLI's own requests: restore, reverse replication, retire.

Each of those commands publishes its request under a request ID of its own and follows
the configurator's topic alone (only the configurator answers them) through the CLI's
own queue, gathering the chunks of the answer until it is whole or the deadline passes.
"""

from __future__ import annotations

import time
from collections import Counter

from rich.console import Console

from drsorch.cli.aws import AWS_ERRORS, Aws, SnsRequestBus, lost_contact
from drsorch.cli.feed import event_feed
from drsorch.cli.follow import publish_request
from drsorch.cli.ports import EventFeed
from drsorch.cli.tracker import Chunks
from drsorch.contracts import Envelope, Event, ReverseReplicationReported


class Answer:
    """Gathers the chunks of each answer; prints a progress line per reverse-replication step.

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
        async with event_feed(aws.sqs, aws.sns, topic, own_id) as feed:
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
