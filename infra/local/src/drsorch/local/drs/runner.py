"""DRS moves its jobs on by itself: scheduled work is applied when it falls due.

Without this, what falls due (a job's launches into 500 instances, its end) waited for
the next call to the emulator, and that caller paid for it: the first DescribeJobs after
a round of launches took 0.6 s of wall time (6 simulated seconds at 10x), charged to the
gap between the round's end and the next job. EC2 also showed a launched instance only
once some DRS call had been made. One daemon thread per emulator sleeps until the next
scheduled time (woken early when something new is scheduled, or the clock changes) and
applies what is due under the emulator's lock, as each call still does first. A clock
at scale 0 only moves by hand: the thread then waits to be woken.
"""

from __future__ import annotations

import logging
import threading

from drsorch.local.drs.core import Emulator

log = logging.getLogger("drsorch.local.drs")

LONGEST_WAIT = 1.0
"""Seconds the thread sleeps at most before it looks at the schedule again."""


def start(emu: Emulator) -> threading.Thread:
    """The emulator's thread that applies scheduled work when due (started once)."""
    with emu.lock:
        if emu.runner is None:
            emu.runner = threading.Thread(
                target=_apply_when_due, args=(emu,), name="drsorch-drs-due", daemon=True
            )
            emu.runner.start()
        return emu.runner


def _apply_when_due(emu: Emulator) -> None:
    while True:
        emu.wakeup.wait(seconds_until_due(emu))
        emu.wakeup.clear()
        try:
            emu.run_due()
        except Exception:  # an emulator bug: the next call reports it; keep applying
            log.exception("DRS emulator failed applying scheduled work")
            emu.wakeup.wait(LONGEST_WAIT)


def seconds_until_due(emu: Emulator) -> float:
    """Real seconds until the next scheduled event, at most `LONGEST_WAIT`."""
    with emu.lock:
        when = emu.scheduler.next_at()
        scale = emu.clock.scale
        now = emu.now_ms()
    if when is None or scale <= 0:
        return LONGEST_WAIT
    return min(LONGEST_WAIT, max(0.0, (when - now) / 1000 / scale))
