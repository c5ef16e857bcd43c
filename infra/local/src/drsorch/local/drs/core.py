"""The emulator: DRS state for every (account, region), its clock, its event queue.

One `Emulator` lives per process (`drsorch.local.drs.emulator.default_emulator()`);
the HTTP layer, the admin routes and the seed API all act on it under its lock. What
the operations do lives in the `ops_*` modules, what happens over time in `jobs.py`
and `replication.py`.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping

from drsorch.local import heap
from drsorch.local.drs.calls import CallLog
from drsorch.local.drs.clock import RealClock, SimClock
from drsorch.local.drs.ec2_port import Ec2Port
from drsorch.local.drs.ids import IdFactory, draw_ms
from drsorch.local.drs.raw import RawRecords
from drsorch.local.drs.scheduler import Event, Scheduler
from drsorch.local.drs.settings import DurationRange, EmulatorSettings, ServerFault
from drsorch.local.drs.state import Key, RegionState, SourceServer

EventHandler = Callable[["Emulator", int, Event], None]


class Emulator:
    """All DRS state in the process, and the machinery that moves it on."""

    def __init__(
        self,
        settings: EmulatorSettings | None = None,
        *,
        ec2: Ec2Port,
        handlers: Mapping[str, EventHandler],
        real_clock: RealClock = time.monotonic,
    ) -> None:
        self.lock = threading.RLock()
        self.ec2 = ec2
        self._handlers = dict(handlers)
        self._real_clock = real_clock
        self._settings = settings or EmulatorSettings()
        self.calls = CallLog(self._settings.call_log_limit)
        self.raw_records = RawRecords()
        """Test hook only (`raw.inject`): records answered as given, not as seeded."""
        self.wakeup = threading.Event()
        """Set when the schedule or the clock changed (for `runner`)."""
        self.runner: threading.Thread | None = None
        """The thread that applies scheduled work when due (`drs.runner.start`), if any."""
        self._start_fresh()

    def _start_fresh(self) -> None:
        self.clock = SimClock(self._settings.clock, self._real_clock)
        self.ids = IdFactory(self._settings.seed)
        self.regions: dict[Key, RegionState] = {}
        self.staging_trust: dict[str, set[str]] = {}
        """Target account ID -> the staging accounts that trust it (may be extended from)."""
        self.scheduler = Scheduler()
        self.fault_counts: Counter[tuple[str, str]] = Counter()
        self.faults_applied_ms = self.clock.now_ms()
        self.calls.clear()
        self.raw_records = RawRecords()

    @property
    def settings(self) -> EmulatorSettings:
        """The settings in force."""
        return self._settings

    def configure(self, settings: EmulatorSettings) -> None:
        """Replace the settings; state, IDs issued and the simulated time are kept."""
        with self.lock:
            self.run_due()
            if settings.clock.scale != self._settings.clock.scale:
                self.clock.rescale(settings.clock.scale)
            if settings.seed != self._settings.seed:
                self.ids = IdFactory(settings.seed)
            self._settings = settings
            self.calls.limit = settings.call_log_limit
            self.fault_counts.clear()
            self.faults_applied_ms = self.clock.now_ms()
            self.wakeup.set()

    def reset(self) -> None:
        """Forget all DRS state, calls and scheduled work; restart the clock. What an
        estate's seeding kept from the garbage collector is let go (`heap`)."""
        with self.lock:
            self._start_fresh()
            self.wakeup.set()
        heap.let_go()

    def now_ms(self) -> int:
        """Simulated now, in epoch milliseconds."""
        return self.clock.now_ms()

    def region(self, account_id: str, region: str) -> RegionState:
        """The state of one account in one region (created empty on first use)."""
        key = (account_id, region)
        state = self.regions.get(key)
        if state is None:
            state = self.regions[key] = RegionState(account_id=account_id, region=region)
        return state

    def schedule(self, when_ms: int, event: Event) -> None:
        """Have `event` happen at simulated time `when_ms`."""
        self.scheduler.at(when_ms, event)
        self.wakeup.set()

    def run_due(self) -> int:
        """Apply everything due by the simulated now; returns how many events ran."""
        with self.lock:
            count = 0
            for when, event in self.scheduler.due(self.clock.now_ms()):
                self._handlers[event.kind](self, when, event)
                count += 1
            return count

    def advance(self, seconds: float) -> int:
        """Move the simulated clock forward and apply what fell due; returns the new now."""
        with self.lock:
            now = self.clock.advance(seconds)
            self.run_due()
            self.wakeup.set()
            return now

    def draw(self, spread: DurationRange, *key: object) -> int:
        """A duration in ms from `spread`, deterministic for the seed and key."""
        return draw_ms(self._settings.seed, spread, *key)

    def server_fault(self, server: SourceServer) -> ServerFault | None:
        """The fault injected into this server, by ID or hostname, if any."""
        faults = self._settings.faults.servers
        return faults.get(server.source_server_id) or faults.get(server.hostname)
