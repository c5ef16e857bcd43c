"""The sweep: no request waits forever for a tick that was lost.

A request moves only on its chain of self-timers. Every commit notes when its next
tick is due (`Store.arm`); the sweep, run on a schedule (the worker's own clock, or an
EventBridge schedule under Lambda), re-arms every running request whose tick is overdue
by more than the grace. A re-armed tick of a request that was only slow is superseded
by the request's own and dropped, so re-arming is always safe; sweeps of several
workers in one slot build the same tick, which the inbox runs once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from drsorch.monitor.domain.records import RequestPhase
from drsorch.monitor.session import Dependencies, tick
from drsorch.runtime import Outbox

log = logging.getLogger("drsorch.monitor")


async def sweep(deps: Dependencies, outbox: Outbox) -> int:
    """Schedule a tick now for every request overdue past the grace; how many."""
    now = deps.clock.now()
    settings = deps.settings
    slot = int(now.timestamp() // settings.sweep_seconds)
    rearmed = 0
    for armed in await deps.store.overdue(now - timedelta(seconds=settings.sweep_grace_seconds)):
        summary = await deps.store.summary(armed.request_id)
        if summary is None or summary.phase is RequestPhase.DONE:
            await deps.store.disarm(armed.request_id)
            continue
        outbox.schedule(tick(summary, summary.tick_seq, rearm=slot), timedelta(0))
        rearmed += 1
        log.warning(
            "tick overdue; the sweep re-armed the request",
            extra={
                "request_id": armed.request_id,
                "tick_seq": summary.tick_seq,
                "due_at": armed.due_at.isoformat(),
            },
        )
    return rearmed
