"""The inbox lease against the queue's redrive window.

A consumer that dies holding a message leaves its inbox lease behind. The message comes
back after the visibility timeout, and every receive that finds the lease still held
(BUSY) returns it after `retry_busy_seconds`, each one a receive the queue counts. If
the lease outlives those receives, the queue's redrive dead-letters the message with no
reason, and whatever waited on it (the monitor's only timer of a request) is lost.

So the lease must expire before the last receive the queue allows:

    lease + margin <= earliest return + (maxReceiveCount - 2) * retry_busy_seconds

(receive 1 took the lease and died; receives 2 to maxReceiveCount - 1 found it BUSY;
the last one must find it expired). The runtime refuses to start otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from drsorch.runtime.errors import RuntimeFailure

MARGIN_SECONDS = 5
"""Slack for the lease's whole-second stamps and the time between receive and lease."""
LONGEST_DEFAULT_LEASE = 300
"""A derived lease is never longer than this, however generous the queue."""


class LeaseOutlivesQueue(RuntimeFailure):
    """The inbox lease could outlive the queue's redrive window: refused at start-up."""


@dataclass(frozen=True)
class QueueLimits:
    """What the queue allows a message: its visibility timeout and its maxReceiveCount."""

    visibility_seconds: int
    max_receives: int


def lease_budget(limits: QueueLimits, busy_seconds: int, heartbeat_seconds: int) -> int:
    """The longest inbox lease a message held by a dead consumer surely outlives.

    The message returns at the earliest after the shorter of the queue's visibility
    timeout and the visibility the worker's heartbeat sets.
    """
    earliest_return = min(limits.visibility_seconds, heartbeat_seconds)
    busy_receives = max(limits.max_receives - 2, 0)
    return earliest_return + busy_receives * busy_seconds - MARGIN_SECONDS


def choose_lease(
    queue: str,
    limits: QueueLimits,
    *,
    configured: int | None,
    busy_seconds: int,
    heartbeat_seconds: int,
) -> int:
    """The inbox lease to run with: `configured` if it fits the queue, else refused; unset,
    the longest that fits (at most `LONGEST_DEFAULT_LEASE`)."""
    budget = lease_budget(limits, busy_seconds, heartbeat_seconds)
    why = (
        f"{queue}: VisibilityTimeout {limits.visibility_seconds} s (worker visibility "
        f"{heartbeat_seconds} s), maxReceiveCount {limits.max_receives} and "
        f"DRSORCH_RETRY_BUSY_SECONDS {busy_seconds} dead-letter a message whose consumer "
        f"died after {budget + MARGIN_SECONDS} s"
    )
    if limits.max_receives < 2 or budget < 1:
        raise LeaseOutlivesQueue(
            f"{why}: no inbox lease fits; raise maxReceiveCount, VisibilityTimeout or "
            "DRSORCH_RETRY_BUSY_SECONDS"
        )
    if configured is None:
        return min(budget, LONGEST_DEFAULT_LEASE)
    if configured > budget:
        raise LeaseOutlivesQueue(
            f"{why}, before DRSORCH_INBOX_LEASE_SECONDS={configured} expires: set it to at "
            f"most {budget} (or unset it), or give the queue more room"
        )
    return configured
