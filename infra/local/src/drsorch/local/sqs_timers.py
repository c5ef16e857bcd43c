"""SQS long polls that return a delayed message when its delay ends, as SQS does.

A long poll in moto waits on its queue's condition, which only a new message notifies;
a message whose `DelaySeconds` runs out (or whose visibility timeout ends) notifies
nobody. The poll then sleeps to its own end and returns empty, and the message waits for
the next ReceiveMessage: every timer drsorch sends itself (the monitor's polls, the
retries, the deferred redeliveries) fired up to one long poll late. On a bench whose
clock runs ten times faster than the wall, one second late is ten simulated seconds in
every gap between DRS jobs.

Here the wait ends at the earliest moment a held message becomes receivable; moto's
receive loop then looks again, since its time is not up. What it returns is unchanged.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

_MARGIN_S = 0.002  # moto compares with "later than", in milliseconds


def install(dispatcher: Any, admin: MutableMapping[str, Any]) -> None:
    """Patch moto's SQS queues (once per process) so a long poll wakes when a delay ends."""
    from moto.sqs.models import Queue  # noqa: PLC0415 - moto is heavy

    if getattr(Queue.wait_for_messages, "drsorch_timed", False):
        return

    def wait_for_messages(self: Any, timeout: int) -> None:
        with self._messages_lock:
            soonest = next_receivable_s(self._messages, _now_ms())
            wait = timeout if soonest is None else min(timeout, soonest + _MARGIN_S)
            self._messages_lock.wait_for(lambda: self.messages, timeout=wait)

    wait_for_messages.drsorch_timed = True  # type: ignore[attr-defined]
    Queue.wait_for_messages = wait_for_messages  # type: ignore[method-assign]


def next_receivable_s(messages: Any, now_ms: float) -> float | None:
    """Seconds until the first message held by a delay or a visibility timeout may be
    received; None when none is held."""
    held = [
        max(message.delayed_until, message.visible_at)
        for message in messages
        if message.delayed_until > now_ms or message.visible_at > now_ms
    ]
    return (min(held) - now_ms) / 1000 if held else None


def _now_ms() -> float:
    from moto.core.utils import unix_time_millis  # noqa: PLC0415

    return float(unix_time_millis())
