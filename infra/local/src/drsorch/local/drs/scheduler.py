"""A discrete-event queue on the simulated clock.

Jobs and replication schedule what happens next; whenever the emulator is touched
(an API call, an admin call, a seed), and in the endpoint when it falls due
(`runner`), everything due by the simulated now is applied in time order. The order
is deterministic: ties are broken by the order things were scheduled.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    """Something that happens at a simulated time to one subject in one account/region."""

    kind: str
    account_id: str
    region: str
    subject: str
    """A job ID, source server ID or recovery instance ID, depending on `kind`."""
    detail: str = ""
    """The step of a job, or the slot (server) within a job."""
    step: str = ""
    epoch: int = 0
    """For replication: the server's replication epoch when this was scheduled."""


class Scheduler:
    """A min-heap of (time, sequence, event)."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Event]] = []
        self._seq = 0

    def at(self, when_ms: int, event: Event) -> None:
        """Schedule `event` at simulated time `when_ms`."""
        self._seq += 1
        heapq.heappush(self._heap, (when_ms, self._seq, event))

    def due(self, now_ms: int) -> Iterator[tuple[int, Event]]:
        """Pop events due by `now_ms`, including ones scheduled while iterating."""
        while self._heap and self._heap[0][0] <= now_ms:
            when, _, event = heapq.heappop(self._heap)
            yield when, event

    def next_at(self) -> int | None:
        """When the next event is due, if any."""
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)
