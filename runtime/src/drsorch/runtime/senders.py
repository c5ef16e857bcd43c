"""Who may have sent a message, as AWS enforces it, never as the message says.

Each producing service publishes to a topic of its own whose policy lets only that
service's role publish; the requests topic carries what operators send. SNS writes
the topic a message came through into the notification it delivers (`TopicArn`),
and each queue's policy lets only its subscribed topics, the alarm rule and the
consuming service itself send to it. So the delivering topic names the producer, and
an event whose type that producer never publishes is parked, not handled: a forged
`RequestCompleted` on the requests topic or another service's topic frees nothing.

A message with no SNS notification around it was sent straight to the queue: by the
consuming service itself (its timers, a fresh copy of a message a killed consumer
held, which keeps its notification) or by the alarm rule, whose requests are plan
only. Anything else sent that way is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from drsorch.contracts import Envelope, Event
from drsorch.runtime.messages import InboundMessage

ALARM_RULE = "alarm-rule"
UNTRUSTED = "untrusted-sender"


@dataclass(frozen=True)
class Senders:
    """The topic each producer alone publishes to (`cli` names the requests topic)."""

    service: str
    producer_topics: Mapping[str, str]

    def refusal(self, envelope: Envelope[Event], message: InboundMessage) -> str | None:
        """Why this delivery cannot be from a producer of its event type (None: it is)."""
        producers = type(envelope.payload).producers
        if message.topic_arn is None:
            return self._direct(envelope, producers)
        allowed = {self.producer_topics[p] for p in producers if p in self.producer_topics}
        if message.topic_arn in allowed:
            return None
        return (
            f"{envelope.type} came through {message.topic_arn[:256] or 'no topic'}, but only "
            f"{', '.join(producers) or 'nobody'} may publish it, on "
            f"{', '.join(sorted(allowed)) or 'no topic'}"
        )

    def _direct(self, envelope: Envelope[Event], producers: tuple[str, ...]) -> str | None:
        if self.service in producers:
            return None
        if ALARM_RULE in producers and _plan_only(envelope):
            return None
        return (
            f"{envelope.type} was sent straight to the {self.service} queue, not through the "
            f"topic of {', '.join(producers) or 'any producer'}"
            + (" (the alarm rule sends plan-only requests only)" if ALARM_RULE in producers else "")
        )


def _plan_only(envelope: Envelope[Event]) -> bool:
    # The alarm rule's template writes `"plan_only": true`; a request sent straight to
    # the queue that asks for more cannot be the rule's.
    spec = getattr(envelope.payload, "spec", None)
    return getattr(spec, "plan_only", False) is True
