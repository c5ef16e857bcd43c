"""Data replication over simulated time: INITIATING → INITIAL_SYNC → CONTINUOUS, RESCAN.

A server's replication moves through phases by scheduled events; an epoch number
voids what was scheduled before a restart or a stop. A stalled-replication fault is
an overlay: the server reads STALLED with growing lag while the fault is on.
"""

from __future__ import annotations

from dataclasses import dataclass

from drsorch.local.drs.core import Emulator
from drsorch.local.drs.scheduler import Event
from drsorch.local.drs.state import NOT_REPLICATING, Key, SourceServer

EVENT_KIND = "replication"
_NEXT = {"INITIATING": "INITIAL_SYNC", "INITIAL_SYNC": "CONTINUOUS", "RESCAN": "CONTINUOUS"}
PROGRESSING = frozenset({"INITIATING", "INITIAL_SYNC", "RESCAN", "BACKLOG", "CREATING_SNAPSHOT"})


@dataclass(frozen=True)
class ReplicationView:
    """What a server's replication reads as now."""

    state: str
    lag_seconds: int | None
    error: str | None
    progress: float
    """Share of the data replicated so far (1.0 once the initial sync is over)."""


def _phase_ms(emu: Emulator, state: str, key: object) -> int:
    timings = emu.settings.timings
    spread = {
        "INITIATING": timings.replication_initiating,
        "INITIAL_SYNC": timings.initial_sync,
    }.get(state, timings.rescan)
    return emu.draw(spread, "replication", key, state)


def enter(emu: Emulator, server: SourceServer, where: Key, phase: str, at_ms: int) -> None:
    """Put the server's replication in `phase` at `at_ms` and schedule what follows."""
    replication = server.replication
    replication.state = phase
    replication.phase_started_ms = at_ms
    if phase == "CONTINUOUS" and server.pit_since_ms is None:
        server.pit_since_ms = at_ms  # points in time are taken from now on
    if phase not in PROGRESSING:
        replication.phase_ends_ms = None
        return
    ends = at_ms + _phase_ms(emu, phase, (server.source_server_id, replication.epoch))
    replication.phase_ends_ms = ends
    event = Event(EVENT_KIND, *where, server.source_server_id, epoch=replication.epoch)
    emu.schedule(ends, event)


def restart(emu: Emulator, server: SourceServer, where: Key, phase: str, at_ms: int) -> None:
    """Start replication afresh (INITIATING) or resume it (RESCAN), voiding older events."""
    server.replication.epoch += 1
    server.replication.initiation_started_ms = at_ms
    server.replication.lag_seconds = 0
    enter(emu, server, where, phase, at_ms)


def stop(server: SourceServer, at_ms: int, state: str = "STOPPED") -> None:
    """Stop replication (STOPPED, or DISCONNECTED), voiding scheduled phases."""
    server.replication.epoch += 1
    server.replication.state = state
    server.replication.phase_started_ms = at_ms
    server.replication.phase_ends_ms = None
    server.replication.lag_seconds = 0
    server.pit_since_ms = None  # StopReplication deletes the server's points in time


def on_phase_end(emu: Emulator, at_ms: int, event: Event) -> None:
    """Event handler: a replication phase ended; move to the next one."""
    state = emu.regions.get((event.account_id, event.region))
    server = state.servers.get(event.subject) if state else None
    if server is None or server.replication.epoch != event.epoch:
        return
    following = _NEXT.get(server.replication.state, "CONTINUOUS")
    if following == "CONTINUOUS":
        server.replication.lag_seconds = 0
    enter(emu, server, (event.account_id, event.region), following, at_ms)


def view(emu: Emulator, server: SourceServer, now_ms: int) -> ReplicationView:
    """The replication as the API shows it now, with the stall overlay applied."""
    replication = server.replication
    if server.agent_lost_ms is not None and replication.state not in NOT_REPLICATING:
        lost_for = max(0, now_ms - server.agent_lost_ms) // 1000
        lag = replication.lag_seconds + lost_for
        return ReplicationView(
            "STALLED", lag, "AGENT_NOT_SEEN", _progress(replication.state, server, now_ms)
        )
    fault = emu.server_fault(server)
    if fault is not None and fault.stall_replication and replication.state not in NOT_REPLICATING:
        stalled_for = max(0, now_ms - max(emu.faults_applied_ms, replication.phase_started_ms))
        lag = replication.lag_seconds + stalled_for // 1000
        return ReplicationView(
            "STALLED", lag, "AGENT_NOT_SEEN", _progress(replication.state, server, now_ms)
        )
    shown_lag = None if replication.state in NOT_REPLICATING else replication.lag_seconds
    return ReplicationView(
        replication.state, shown_lag, None, _progress(replication.state, server, now_ms)
    )


def _progress(state: str, server: SourceServer, now_ms: int) -> float:
    replication = server.replication
    if state == "INITIATING":
        return 0.0
    if state != "INITIAL_SYNC" or replication.phase_ends_ms is None:
        return 1.0
    span = max(1, replication.phase_ends_ms - replication.phase_started_ms)
    return min(1.0, max(0.0, (now_ms - replication.phase_started_ms) / span))


def is_stalled(emu: Emulator, server: SourceServer) -> bool:
    """Whether the server reads STALLED (seeded so, its agent not seen, or an injected fault)."""
    fault = emu.server_fault(server)
    return (
        server.replication.state == "STALLED"
        or server.agent_lost_ms is not None
        or bool(fault and fault.stall_replication)
    )
