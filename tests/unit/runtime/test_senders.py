"""Who may have sent a message: the delivering topic must be a producer's of its type."""

from __future__ import annotations

from drsorch.contracts import Envelope, Event, FailbackRequested, RequestCompleted
from drsorch.runtime.messages import InboundMessage
from drsorch.runtime.senders import Senders
from unit.contracts.samples import request_completed, spec

TOPICS = {
    p: f"arn:aws:sns:us-east-1:123456789012:drsorch-{p}-events"
    for p in ("discovery", "matcher", "configurator", "monitor")
} | {"cli": "arn:aws:sns:us-east-1:123456789012:drsorch-requests"}
DISCOVERY = Senders("discovery", TOPICS)


def delivered(envelope: Envelope[Event], topic_arn: str | None) -> InboundMessage:
    return InboundMessage("m", "r", envelope.to_json(), topic_arn=topic_arn)


def completed() -> Envelope[Event]:
    return Envelope.wrap(
        request_completed(), request_id="req-live-0001", step="c", producer="forger"
    )


def request(*, plan_only: bool) -> Envelope[Event]:
    event = FailbackRequested(
        spec=spec(plan_only=plan_only, approved_plan_hash=None if plan_only else "a" * 64)
    )
    return Envelope.wrap(event, request_id="req-live-0002", step="r", producer="alarm-rule")


def test_an_event_through_its_producers_topic_is_believed() -> None:
    assert DISCOVERY.refusal(completed(), delivered(completed(), TOPICS["monitor"])) is None
    assert (
        DISCOVERY.refusal(request(plan_only=False), delivered(completed(), TOPICS["cli"])) is None
    )


def test_an_event_through_any_other_topic_is_refused_whatever_its_producer_field_says() -> None:
    for producer in ("cli", "discovery", "matcher", "configurator"):
        refusal = DISCOVERY.refusal(completed(), delivered(completed(), TOPICS[producer]))
        assert refusal is not None
        assert f"only monitor may publish it, on {TOPICS['monitor']}" in refusal
    unknown = DISCOVERY.refusal(completed(), delivered(completed(), ""))
    assert unknown is not None  # a notification without a topic is nobody's


def test_straight_to_the_queue_only_the_service_itself_or_the_alarm_rules_plans() -> None:
    direct = DISCOVERY.refusal(completed(), delivered(completed(), None))
    assert direct is not None and "sent straight to the discovery queue" in direct
    assert DISCOVERY.refusal(request(plan_only=True), delivered(completed(), None)) is None
    apply = DISCOVERY.refusal(request(plan_only=False), delivered(completed(), None))
    assert apply is not None and "plan-only requests only" in apply
    monitor = Senders("monitor", TOPICS)
    assert isinstance(completed().payload, RequestCompleted)
    assert monitor.refusal(completed(), delivered(completed(), None)) is None  # its own
