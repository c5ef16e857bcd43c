"""The life of one message, against fakes of the queue and publisher and the memory inbox."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from drsorch.contracts import EVENTS, Envelope, Event, FailbackRequested
from drsorch.runtime import MessageProcessor, Outbox, Outcome, RetryPolicy, Service
from drsorch.runtime.inbox import MemoryInbox
from drsorch.runtime.messages import ATTR_DUE_AT, ATTR_RENEWALS, unwrap
from drsorch.runtime.processor import MAX_RENEWALS
from drsorch.runtime.service import Handler
from support.events import TEST_EVENTS, Ping, Pong, Tick, ping
from support.runtime_fakes import FakeClock, FakePublisher, FakeQueue, inbound
from unit.contracts.samples import spec


class Recorder:
    """A Ping handler that answers Pong, failing its first `fail_times` calls."""

    def __init__(self, fail_times: int = 0) -> None:
        self.calls: list[str] = []
        self.fail_times = fail_times

    async def __call__(self, envelope: Envelope[Event], outbox: Outbox) -> None:
        self.calls.append(envelope.event_id)
        if len(self.calls) <= self.fail_times:
            raise RuntimeError(f"boom {len(self.calls)}")
        assert isinstance(envelope.payload, Ping)
        outbox.publish(
            Envelope.wrap(
                Pong(n=envelope.payload.n),
                request_id=envelope.request_id,
                step=f"pong-{envelope.payload.n}",
                producer="unit",
                causation_id=envelope.event_id,
            )
        )


def build(
    handler: Recorder | None = None, *, max_receives: int = 3
) -> tuple[MessageProcessor, FakeQueue, FakePublisher, MemoryInbox, Recorder, FakeClock]:
    handler = handler or Recorder()
    queue, publisher, inbox, clock = FakeQueue(), FakePublisher(), MemoryInbox(), FakeClock()
    service = Service("unit", TEST_EVENTS, {"Ping": handler})
    processor = MessageProcessor(
        service,
        queue,
        publisher,
        inbox,
        max_receives=max_receives,
        retry=RetryPolicy(base_seconds=2, max_seconds=30),
        clock=clock,
    )
    return processor, queue, publisher, inbox, handler, clock


async def test_a_handled_event_sends_its_outbox_and_is_recorded() -> None:
    processor, _, publisher, inbox, handler, _ = build()
    event = ping(7)
    result = await processor.process(inbound(event.to_json()))
    assert result.outcome is Outcome.HANDLED
    assert result.finished
    assert [e.type for e in publisher.published] == ["Pong"]
    assert publisher.published[0].causation_id == event.event_id
    assert handler.calls == [event.event_id]
    assert inbox.records[event.event_id][0] == "COMPLETED"


async def test_a_redelivered_event_has_no_second_effect() -> None:
    processor, _, publisher, _, handler, _ = build()
    body = ping(1).to_json()
    first = await processor.process(inbound(body, message_id="a"))
    second = await processor.process(inbound(body, message_id="b", receive_count=2))
    assert (first.outcome, second.outcome) == (Outcome.HANDLED, Outcome.DUPLICATE)
    assert len(handler.calls) == 1
    assert len(publisher.published) == 1


async def test_an_sns_notification_is_unwrapped() -> None:
    event = ping(3)
    notification = json.dumps(
        {
            "Type": "Notification",
            "Message": event.to_json(),
            "MessageAttributes": {"type": {"Type": "String", "Value": "Ping"}},
        }
    )
    message = unwrap("m", "rh", notification, {}, 1)
    assert message.body == event.to_json()
    assert message.attributes == {"type": "Ping"}
    assert message.raw_body == notification
    processor, *_ = build()
    assert (await processor.process(message)).outcome is Outcome.HANDLED


NEVER_SUCCEEDS = [
    ("not json at all", "malformed-envelope"),
    (ping(1).to_json().replace('"version":1', '"version":9'), "unknown-version"),
    (ping(1).to_json().replace('"type":"Ping"', '"type":"Pang"'), "unknown-event-type"),
    (ping(1).to_json().replace('"n":1', '"n":-4'), "invalid-payload"),
    (
        Envelope.wrap(Tick(n=1), request_id="req-test-0001", step="t", producer="unit").to_json(),
        "no-handler",
    ),
]


# Named by reason: the bodies hold the time they were built, and pytest-xdist needs every
# process to collect the same test names.
@pytest.mark.parametrize(
    ("body", "reason"), [pytest.param(body, reason, id=reason) for body, reason in NEVER_SUCCEEDS]
)
async def test_what_can_never_succeed_is_parked_at_once_with_its_reason(
    body: str, reason: str
) -> None:
    processor, queue, publisher, _, handler, _ = build()
    result = await processor.process(inbound(body))
    assert result.outcome is Outcome.PARKED
    assert result.finished
    assert [(p[1]) for p in queue.parked] == [reason]
    assert queue.parked[0][2]  # a human-readable detail
    assert handler.calls == []
    assert publisher.published == []


async def test_a_failing_handler_returns_with_backoff_then_is_parked_on_the_last_receive() -> None:
    processor, queue, publisher, inbox, _, _ = build(Recorder(fail_times=10), max_receives=3)
    body = ping(5).to_json()
    outcomes = [await processor.process(inbound(body, receive_count=n)) for n in (1, 2, 3)]
    assert [o.outcome for o in outcomes] == [Outcome.RETRY, Outcome.RETRY, Outcome.PARKED]
    assert [o.retry_after for o in outcomes[:2]] == [2, 4]
    assert queue.parked[0][1] == "handler-failed"
    assert "RuntimeError: boom 3" in queue.parked[0][2]
    assert publisher.published == []
    assert inbox.records == {}  # released each time: a later redrive may run it again


async def test_a_handler_that_recovers_is_handled_on_a_later_receive() -> None:
    processor, _, publisher, _, handler, _ = build(Recorder(fail_times=1))
    body = ping(2).to_json()
    assert (await processor.process(inbound(body, receive_count=1))).outcome is Outcome.RETRY
    assert (await processor.process(inbound(body, receive_count=2))).outcome is Outcome.HANDLED
    assert len(handler.calls) == 2
    assert len(publisher.published) == 1


async def test_a_publish_failure_releases_the_inbox_and_retries() -> None:
    processor, _, publisher, inbox, _, _ = build()
    publisher.fail = True
    body = ping(4).to_json()
    assert (await processor.process(inbound(body))).outcome is Outcome.RETRY
    assert inbox.records == {}
    publisher.fail = False
    assert (await processor.process(inbound(body, receive_count=2))).outcome is Outcome.HANDLED


async def test_an_event_held_by_another_consumer_is_retried_later() -> None:
    processor, _, _, inbox, handler, clock = build()
    event = ping(9)
    await inbox.begin(event.event_id, clock.now())
    result = await processor.process(inbound(event.to_json()))
    assert result.outcome is Outcome.RETRY
    assert handler.calls == []
    clock.advance(timedelta(minutes=6))  # the other consumer's lease ran out
    assert (await processor.process(inbound(event.to_json()))).outcome is Outcome.HANDLED


async def test_a_runtime_fault_is_a_retry_not_a_loss() -> None:
    processor, queue, *_ = build()
    queue.fail_park = True
    result = await processor.process_or_retry(inbound("garbage"))
    assert result.outcome is Outcome.RETRY
    assert not result.finished


async def test_timers_are_sent_to_the_own_queue_with_their_delay() -> None:
    async def schedule(envelope: Envelope[Event], outbox: Outbox) -> None:
        for n, minutes in ((1, 2), (2, 40)):
            tick = Envelope.wrap(
                Tick(n=n), request_id=envelope.request_id, step=f"t{n}", producer="unit"
            )
            outbox.schedule(tick, timedelta(minutes=minutes))

    queue, clock = FakeQueue(), FakeClock()
    service = Service("unit", TEST_EVENTS, {"Ping": schedule})
    processor = MessageProcessor(
        service, queue, FakePublisher(), MemoryInbox(), max_receives=3, clock=clock
    )
    assert (await processor.process(inbound(ping(1).to_json()))).outcome is Outcome.HANDLED
    short, long = queue.sent
    assert (short.delay_seconds, ATTR_DUE_AT in short.attributes) == (120, False)
    assert long.delay_seconds == 900
    assert float(long.attributes[ATTR_DUE_AT]) == (clock.now() + timedelta(minutes=40)).timestamp()
    assert short.attributes["type"] == "Tick"


async def test_a_timer_arriving_early_is_sent_on_for_the_rest_of_its_delay() -> None:
    ticks: list[int] = []

    async def on_tick(envelope: Envelope[Event], outbox: Outbox) -> None:
        assert isinstance(envelope.payload, Tick)
        ticks.append(envelope.payload.n)

    queue, clock = FakeQueue(), FakeClock()
    processor = MessageProcessor(
        Service("unit", TEST_EVENTS, {"Tick": on_tick}),
        queue,
        FakePublisher(),
        MemoryInbox(),
        max_receives=3,
        clock=clock,
    )
    body = Envelope.wrap(Tick(n=1), request_id="req-test-0001", step="t", producer="unit").to_json()
    due = str(int((clock.now() + timedelta(minutes=25)).timestamp()))
    early = await processor.process(inbound(body, attrs={ATTR_DUE_AT: due}))
    assert early.outcome is Outcome.DEFERRED
    assert early.finished
    assert queue.sent[0].delay_seconds == 900
    assert queue.sent[0].attributes[ATTR_DUE_AT] == due
    clock.advance(timedelta(minutes=25))
    assert (
        await processor.process(inbound(body, attrs={ATTR_DUE_AT: due}))
    ).outcome is Outcome.HANDLED
    assert ticks == [1]


def _holding(
    handlers: dict[str, Handler],
) -> tuple[MessageProcessor, FakeQueue, FakeClock, list[float]]:
    """A processor whose pauses are recorded and move its fake clock on."""
    queue, clock, held = FakeQueue(), FakeClock(), []

    async def sleep(seconds: float) -> None:
        held.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    processor = MessageProcessor(
        Service("unit", TEST_EVENTS, handlers),
        queue,
        FakePublisher(),
        MemoryInbox(),
        max_receives=3,
        clock=clock,
        sleep=sleep,
    )
    return processor, queue, clock, held


async def test_a_timer_of_a_fraction_of_a_second_fires_at_its_due_time_not_before() -> None:
    """SQS delays whole seconds: a 1.5 s timer is sent for 1 s with its due time, and the
    consumer holds it for the half second left instead of handling it early."""
    ticks: list[datetime] = []

    async def on_tick(envelope: Envelope[Event], outbox: Outbox) -> None:
        ticks.append(clock.now())

    async def schedule(envelope: Envelope[Event], outbox: Outbox) -> None:
        tick = Envelope.wrap(Tick(n=1), request_id=envelope.request_id, step="t", producer="unit")
        outbox.schedule(tick, timedelta(seconds=1.5))

    processor, queue, clock, held = _holding({"Ping": schedule, "Tick": on_tick})
    sent_at = clock.now()
    assert (await processor.process(inbound(ping(1).to_json()))).outcome is Outcome.HANDLED
    (timer,) = queue.sent
    assert timer.delay_seconds == 1
    assert float(timer.attributes[ATTR_DUE_AT]) == (sent_at + timedelta(seconds=1.5)).timestamp()
    clock.advance(timedelta(seconds=1))  # SQS delivers it after its whole second
    arrived = inbound(timer.body, attrs=timer.attributes, message_id="m-2")
    assert (await processor.process(arrived)).outcome is Outcome.HANDLED
    assert held == [pytest.approx(0.5)]
    assert ticks == [sent_at + timedelta(seconds=1.5)]


async def test_a_timer_more_than_a_second_early_is_sent_on_not_held() -> None:
    processor, queue, clock, held = _holding({"Tick": Recorder()})
    body = Envelope.wrap(Tick(n=1), request_id="req-test-0001", step="t", producer="unit").to_json()
    due = f"{(clock.now() + timedelta(seconds=2.25)).timestamp():.3f}"
    early = await processor.process(inbound(body, attrs={ATTR_DUE_AT: due}))
    assert early.outcome is Outcome.DEFERRED
    assert (queue.sent[0].delay_seconds, queue.sent[0].attributes[ATTR_DUE_AT]) == (2, due)
    assert held == []


class _Exploding:
    """A registry whose parser fails the way no contract error does."""

    def parse(self, raw: str | bytes) -> Envelope[Event]:
        raise RecursionError("maximum recursion depth exceeded while decoding a JSON array")


async def test_a_message_no_parser_survives_is_parked_not_retried() -> None:
    queue = FakeQueue()
    service = Service("unit", _Exploding(), {})  # type: ignore[arg-type]
    processor = MessageProcessor(
        service, queue, FakePublisher(), MemoryInbox(), max_receives=3, clock=FakeClock()
    )
    result = await processor.process_or_retry(inbound("[" * 100_000 + "]" * 100_000))
    assert result.outcome is Outcome.PARKED
    assert [p[1] for p in queue.parked] == ["unparseable"]
    assert "RecursionError" in queue.parked[0][2]


async def test_deeply_nested_json_is_unwrapped_and_parked_as_malformed() -> None:
    nested = "[" * 100_000 + "]" * 100_000
    message = unwrap("m", "rh", nested, {}, 1)  # json.loads raises RecursionError inside
    assert message.body == nested
    processor, queue, *_ = build()
    assert (await processor.process_or_retry(message)).outcome is Outcome.PARKED
    assert queue.parked[0][1] == "malformed-envelope"


@pytest.mark.parametrize("due", ["soon", "nan", "inf"])
async def test_a_timer_with_a_due_time_that_is_no_time_is_parked(due: str) -> None:
    processor, queue, _, _, handler, _ = build()
    result = await processor.process_or_retry(inbound(ping(1).to_json(), attrs={ATTR_DUE_AT: due}))
    assert result.outcome is Outcome.PARKED
    assert queue.parked[0][1] == "bad-due-at"
    assert handler.calls == []


async def test_an_event_still_held_on_the_last_receive_is_renewed_then_parked_with_reason() -> None:
    processor, queue, _, inbox, handler, clock = build(max_receives=3)
    event = ping(9)
    await inbox.begin(event.event_id, clock.now())
    result = await processor.process_or_retry(
        inbox_last := inbound(event.to_json(), receive_count=3)
    )
    assert result.outcome is Outcome.RENEWED and result.finished
    (copy,) = queue.sent
    assert copy.attributes[ATTR_RENEWALS] == "1" and copy.body == inbox_last.raw_body
    assert copy.delay_seconds == processor.renew_after
    assert queue.parked == [] and handler.calls == []

    spent = inbound(event.to_json(), receive_count=3, attrs={ATTR_RENEWALS: str(MAX_RENEWALS)})
    assert (await processor.process_or_retry(spent)).outcome is Outcome.PARKED
    assert queue.parked[0][1] == "inbox-busy"


async def test_an_event_whose_holder_died_is_renewed_on_the_last_receive_and_handled() -> None:
    processor, queue, publisher, inbox, handler, clock = build(max_receives=3)
    event = ping(8)
    await inbox.begin(event.event_id, clock.now())  # a consumer took it and was killed
    clock.advance(timedelta(minutes=6))
    result = await processor.process_or_retry(inbound(event.to_json(), receive_count=3))
    assert result.outcome is Outcome.HANDLED
    assert [m.attributes[ATTR_RENEWALS] for m in queue.sent] == ["1"]  # had this one died
    assert handler.calls == [event.event_id]
    # The copy comes back later and is dropped: the event was handled.
    copy = inbound(queue.sent[0].body, attrs=queue.sent[0].attributes, message_id="copy")
    assert (await processor.process_or_retry(copy)).outcome is Outcome.DUPLICATE
    assert len(publisher.published) == 1


async def test_a_renewed_event_whose_handler_fails_is_left_to_its_copy() -> None:
    processor, queue, _, inbox, _, clock = build(Recorder(fail_times=1), max_receives=3)
    event = ping(6)
    await inbox.begin(event.event_id, clock.now())
    clock.advance(timedelta(minutes=6))
    result = await processor.process_or_retry(inbound(event.to_json(), receive_count=3))
    assert result.outcome is Outcome.RENEWED
    assert queue.parked == [] and len(queue.sent) == 1


async def test_a_runtime_fault_on_the_last_receive_is_parked_with_it_as_the_reason() -> None:
    processor, queue, _, inbox, _, _ = build(max_receives=3)

    async def broken(event_id: str, now: object) -> object:
        raise ConnectionError("DynamoDB unreachable")

    inbox.begin = broken  # type: ignore[method-assign,assignment]
    early = await processor.process_or_retry(inbound(ping(1).to_json(), receive_count=2))
    assert early.outcome is Outcome.RETRY
    last = await processor.process_or_retry(inbound(ping(1).to_json(), receive_count=3))
    assert last.outcome is Outcome.PARKED
    assert queue.parked[0][1] == "runtime-fault"
    assert "DynamoDB unreachable" in queue.parked[0][2]


async def test_a_second_request_under_a_taken_request_id_is_parked_never_run() -> None:
    # A replayed or forged FailbackRequested carrying a live request's ID would otherwise be
    # discovered, matched and reported as that request.
    calls: list[str] = []

    async def on_request(envelope: Envelope[Event], outbox: Outbox) -> None:
        calls.append(envelope.event_id)

    queue, inbox = FakeQueue(), MemoryInbox()
    service = Service("discovery", EVENTS, {"FailbackRequested": on_request})
    processor = MessageProcessor(
        service, queue, FakePublisher(), inbox, max_receives=3, clock=FakeClock()
    )
    first = Envelope.wrap(
        FailbackRequested(spec=spec()), request_id="req-live-0001", step="r", producer="cli"
    )
    second = Envelope.wrap(
        FailbackRequested(spec=spec(requested_by="someone-else")),
        request_id="req-live-0001",
        step="r",
        producer="cli",
    )
    assert (await processor.process(inbound(first.to_json()))).outcome is Outcome.HANDLED
    taken = await processor.process(inbound(second.to_json(), message_id="m-2"))
    assert taken.outcome is Outcome.PARKED
    (_, reason, detail), *_ = queue.parked
    assert reason == "request-id-taken" and first.event_id in detail
    again = await processor.process(inbound(first.to_json(), message_id="m-3"))
    assert again.outcome is Outcome.DUPLICATE  # its own redelivery is no second request
    assert calls == [first.event_id]
