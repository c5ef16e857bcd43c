"""The life of one message, shared by the worker and the Lambda driver.

timer not due yet → sent on with the rest of its delay;
not a valid envelope, unknown version, no handler, not from a producer of its type
(`senders`), a request under a request ID another request took → parked in the DLQ at once;
already in the inbox → dropped; handler fails → returns later, parked after the
queue's last allowed receive; handler succeeds → its outbox is sent, then the
inbox records the event. The caller deletes or returns the message by outcome.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from opentelemetry.trace import SpanKind, Status, StatusCode

from drsorch.contracts import ContractError, Envelope, Event, Topic
from drsorch.runtime import logs, tracing
from drsorch.runtime.messages import (
    ATTR_DUE_AT,
    ATTR_RENEWALS,
    MAX_DELAY_SECONDS,
    InboundMessage,
)
from drsorch.runtime.outbox import Outbox
from drsorch.runtime.ports import (
    Clock,
    Inbox,
    InboxState,
    OutgoingMessage,
    Publisher,
    Queue,
    SystemClock,
)
from drsorch.runtime.senders import UNTRUSTED, Senders
from drsorch.runtime.service import Handler, Service
from drsorch.runtime.wire import outgoing_timer

log = logging.getLogger("drsorch.runtime")
REQUEST_ID_TAKEN = "request-id-taken"


class Outcome(StrEnum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    PARKED = "parked"
    DEFERRED = "deferred"  # a timer sent on towards its due time
    RENEWED = "renewed"  # not settled on its last receive: a fresh copy carries it on
    RETRY = "retry"


MAX_RENEWALS = 5
"""Fresh copies one message may get on its last receive: it survives this many times
(maxReceiveCount - 1) consumers killed while holding it, then the usual rules park it."""


@dataclass(frozen=True)
class Processed:
    outcome: Outcome
    reason: str = ""
    retry_after: int = 0  # seconds, for RETRY

    @property
    def finished(self) -> bool:
        """Whether the message may be deleted from its queue."""
        return self.outcome is not Outcome.RETRY


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for a failed message: base * 2^(receives-1), capped."""

    base_seconds: int = 5
    max_seconds: int = 300
    busy_seconds: int = 10

    def after(self, receive_count: int) -> int:
        exponent = min(max(receive_count - 1, 0), 16)
        return int(min(self.base_seconds * 2**exponent, self.max_seconds))


class MessageProcessor:
    """Validates, de-duplicates, dispatches and settles one message at a time."""

    def __init__(
        self,
        service: Service,
        queue: Queue,
        publisher: Publisher,
        inbox: Inbox,
        *,
        max_receives: int,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        renew_after: int | None = None,
        senders: Senders | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.service = service
        self.queue = queue
        self.publisher = publisher
        self.inbox = inbox
        self.max_receives = max_receives
        self.retry = retry or RetryPolicy()
        self._now = (clock or SystemClock()).now
        self.renew_after = self.retry.busy_seconds if renew_after is None else renew_after
        """Delay of a renewed copy: the inbox lease, so a dead holder's lease has expired."""
        self._renewed: set[str] = set()
        self.senders = senders
        """Who may send each event type; every driver passes it (`open_runtime`). None only
        in unit tests of the other rules, whose fakes have no topics."""
        self._sleep = sleep

    def _log(
        self,
        level: int,
        text: str,
        header: object | None,
        message: InboundMessage,
        **fields: object,
    ) -> None:
        logs.emit(
            log, level, text, service=self.service.name, header=header, message=message, **fields
        )

    async def process_or_retry(self, message: InboundMessage) -> Processed:
        """`process`, with a fault of the runtime itself (inbox, DLQ, network) made a RETRY;
        on the queue's last allowed receive it is parked with that fault as its reason, so
        the queue's own redrive (which gives none) stays the last resort."""
        try:
            return await self._process_or_park(message)
        finally:
            self._renewed.discard(message.receipt_handle)

    async def _process_or_park(self, message: InboundMessage) -> Processed:
        try:
            return await self.process(message)
        except Exception as exc:  # noqa: BLE001 - never lose a message to a runtime fault
            self._log(logging.ERROR, "message not settled", None, message, error=repr(exc))
            if self._last_receive(message):
                try:
                    return await self._park(message, "runtime-fault", repr(exc), None)
                except Exception as park_exc:  # noqa: BLE001 - the redrive is the last resort
                    self._log(
                        logging.ERROR, "message not parked", None, message, error=repr(park_exc)
                    )
            return Processed(Outcome.RETRY, repr(exc), self.retry.base_seconds)

    async def _renew(self, message: InboundMessage) -> bool:
        """Send a fresh copy of a message on its last receive, delayed by the inbox lease,
        when a consumer died holding it: the copy carries it on (the inbox drops it if this
        receive handles it), where the queue's redrive would dead-letter it unexplained."""
        renewals = _count(message.attributes.get(ATTR_RENEWALS))
        if not self._last_receive(message) or renewals >= MAX_RENEWALS:
            return False
        copy = OutgoingMessage(
            body=message.raw_body or message.body,
            attributes={**message.attributes, ATTR_RENEWALS: str(renewals + 1)},
            delay_seconds=min(self.renew_after, MAX_DELAY_SECONDS),
        )
        try:
            await self.queue.send([copy])
        except Exception as exc:  # noqa: BLE001 - not renewed: the usual last-receive rules
            self._log(logging.WARNING, "message not renewed", None, message, error=repr(exc))
            return False
        self._renewed.add(message.receipt_handle)
        self._log(logging.WARNING, "message renewed on its last receive", None, message)
        return True

    def _last_receive(self, message: InboundMessage) -> bool:
        """Whether this receive is the message's last chance (no renewed copy carries it)."""
        return (
            message.receive_count >= self.max_receives
            and message.receipt_handle not in self._renewed
        )

    async def process(self, message: InboundMessage) -> Processed:
        deferred = await self._defer_if_early(message)
        if deferred is not None:
            return deferred
        try:
            envelope = self.service.registry.parse(message.body)
        except ContractError as exc:
            return await self._park(message, exc.reason, exc.message, exc.header)
        except Exception as exc:  # noqa: BLE001 - RecursionError, MemoryError, ...: never retried
            detail = f"{type(exc).__name__}: {str(exc)[:512]}"
            return await self._park(message, "unparseable", detail, None)
        handler = self.service.handler_for(envelope.type)
        if handler is None:
            detail = f"{self.service.name} has no handler for {envelope.type} v{envelope.version}"
            return await self._park(message, "no-handler", detail, envelope)
        refused = await self._refused(envelope, message)
        if refused is not None:
            return await self._park(message, *refused, envelope)
        parent = tracing.context_from(envelope.trace, message.attributes)
        with tracing.tracer().start_as_current_span(
            f"{envelope.type} process",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes=logs.span_attributes(self.service.name, envelope, message),
        ) as span:
            processed = await self._handle_once(message, envelope, handler)
            span.set_attribute("drsorch.outcome", processed.outcome.value)
            if processed.outcome in (Outcome.RETRY, Outcome.PARKED):
                span.set_status(Status(StatusCode.ERROR, processed.reason))
            return processed

    async def _refused(
        self, envelope: Envelope[Event], message: InboundMessage
    ) -> tuple[str, str] | None:
        """Why a valid event is not run at all (the park reason and its detail), if so."""
        refusal = self.senders.refusal(envelope, message) if self.senders else None
        if refusal is not None:
            return UNTRUSTED, refusal
        taken = await self._taken(envelope)
        return None if taken is None else (REQUEST_ID_TAKEN, taken)

    async def _taken(self, envelope: Envelope[Event]) -> str | None:
        """Why a request event may not run: its request ID names another request already.

        Otherwise a second request under a live request's ID (a replay, a forgery) would
        be discovered, matched and reported as that request.
        """
        if type(envelope.payload).topic is not Topic.REQUESTS:
            return None
        holder = await self.inbox.claim_request(envelope.request_id, envelope.event_id, self._now())
        if holder == envelope.event_id:
            return None
        return (
            f"request ID {envelope.request_id} was taken by event {holder}: a request ID names "
            f"one request, so {envelope.type} {envelope.event_id} is not run under it"
        )

    async def _handle_once(
        self, message: InboundMessage, envelope: Envelope[Event], handler: Handler
    ) -> Processed:
        state = await self.inbox.begin(envelope.event_id, self._now())
        if state in (InboxState.DONE, InboxState.BUSY):
            return await self._not_ours(message, envelope, state)
        if state is InboxState.RECLAIMED:
            # A consumer died holding this event: if this one dies too on the last
            # receive, the renewed copy carries the event on.
            await self._renew(message)
        outbox = Outbox()
        started = time.perf_counter()
        try:
            await handler(envelope, outbox)
            await self.flush(outbox)
        except Exception as exc:  # noqa: BLE001 - any handler failure is retried, then parked
            await self.inbox.release(envelope.event_id)
            if message.receipt_handle in self._renewed:
                return Processed(Outcome.RENEWED, f"{type(exc).__name__}: {exc}")
            return await self._failed(message, envelope, exc)
        await self.inbox.complete(envelope.event_id, self._now())
        self._log(
            logging.INFO,
            "handled",
            envelope,
            message,
            ms=round((time.perf_counter() - started) * 1000, 1),
            published=len(outbox.events),
            timers=len(outbox.timers),
        )
        return Processed(Outcome.HANDLED)

    async def _not_ours(
        self, message: InboundMessage, envelope: Envelope[Event], state: InboxState
    ) -> Processed:
        """An event handled before (dropped), or held by another consumer (retried later;
        on the last receive renewed, or parked with the reason)."""
        if state is InboxState.DONE:
            self._log(logging.INFO, "duplicate dropped", envelope, message)
            return Processed(Outcome.DUPLICATE)
        if await self._renew(message):
            return Processed(Outcome.RENEWED, "inbox-busy")
        if self._last_receive(message):
            detail = f"{envelope.event_id} is held by another consumer on the last receive"
            return await self._park(message, "inbox-busy", detail, envelope)
        return Processed(Outcome.RETRY, "inbox-busy", self.retry.busy_seconds)

    async def flush(self, outbox: Outbox) -> None:
        """Send an outbox: its events to their topics, then its timers to the own queue."""
        if outbox.events:
            await self.publisher.publish(outbox.events)
        if outbox.timers:
            trace = tracing.current_trace_context()
            await self.queue.send(
                [
                    outgoing_timer(t.envelope.with_trace(trace), t.delay, self._now())
                    for t in outbox.timers
                ]
            )

    async def _failed(
        self, message: InboundMessage, envelope: Envelope[Event], exc: Exception
    ) -> Processed:
        detail = f"{type(exc).__name__}: {exc}"
        if self._last_receive(message):
            return await self._park(message, "handler-failed", detail, envelope)
        delay = self.retry.after(message.receive_count)
        self._log(
            logging.WARNING,
            "handler failed, will retry",
            envelope,
            message,
            error=detail,
            retry_in=delay,
        )
        return Processed(Outcome.RETRY, detail, delay)

    async def _park(
        self,
        message: InboundMessage,
        reason: str,
        detail: str,
        header: object | None,
    ) -> Processed:
        await self.queue.park(message, reason, detail[:1024])
        self._log(
            logging.ERROR,
            "message parked in the dead-letter queue",
            header,
            message,
            reason=reason,
            detail=detail,
        )
        return Processed(Outcome.PARKED, f"{reason}: {detail}")

    async def _defer_if_early(self, message: InboundMessage) -> Processed | None:
        """A timer that arrived before its due time: sent on while it is more than a second
        early (SQS delays whole seconds), held here for the fraction left otherwise."""
        due = message.attributes.get(ATTR_DUE_AT)
        if not due:
            return None
        try:
            remaining = float(due) - self._now().timestamp()
        except ValueError:
            remaining = math.nan
        if not math.isfinite(remaining):
            return await self._park(message, "bad-due-at", f"{ATTR_DUE_AT}={due[:64]!r}", None)
        if remaining <= 0:
            return None
        if remaining <= 1:
            await self._sleep(remaining)
            return None
        attributes = dict(message.attributes)
        await self.queue.send(
            [
                OutgoingMessage(
                    body=message.body,
                    attributes=attributes,
                    delay_seconds=int(min(remaining, MAX_DELAY_SECONDS)),
                )
            ]
        )
        return Processed(Outcome.DEFERRED)


def _count(raw: str | None) -> int:
    try:
        return max(int(raw or 0), 0)
    except ValueError:
        return MAX_RENEWALS  # a count that is no count renews nothing
