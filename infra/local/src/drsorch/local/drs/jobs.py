"""Jobs over simulated time: PENDING → STARTED → COMPLETED, one step at a time per server.

A job is created PENDING; its start, each server's steps and its end are scheduled
events. What a step does lives in `launch.py` (LAUNCH jobs) and `terminate.py`
(TERMINATE jobs); each returns the next step and its delay, or None when that server
is done. A job never fails as a whole: failure is a server's launchStatus.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from drsorch.local.drs.core import Emulator, EventHandler
from drsorch.local.drs.scheduler import Event
from drsorch.local.drs.servers import arn
from drsorch.local.drs.state import Job, JobLogItem, LastLaunch, ParticipatingServer, RegionState

EVENT_KIND = "job"
TERMINAL = frozenset({"LAUNCHED", "FAILED", "TERMINATED"})


@dataclass
class StepContext:
    """What a job step works on."""

    emu: Emulator
    state: RegionState
    job: Job
    slot: ParticipatingServer
    at_ms: int

    def log(self, event: str, **data: Any) -> None:
        """Append a job log event for this server."""
        log(self.job, self.at_ms, event, sourceServerID=self.slot.source_server_id, **data)


Next = tuple[str, int] | None
Step = Callable[[StepContext], Next]


def log(job: Job, at_ms: int, event: str, **data: Any) -> None:
    """Append a job log event."""
    job.log.append(JobLogItem(at_ms, event, {k: v for k, v in data.items() if v is not None}))


def create(
    emu: Emulator,
    state: RegionState,
    *,
    job_type: str,
    initiated_by: str,
    is_drill: bool,
    slots: Iterable[ParticipatingServer],
    tags: Mapping[str, str],
    snapshot_ids: Mapping[str, str] | None = None,
    snapshot_ms: Mapping[str, int] | None = None,
) -> Job:
    """A new PENDING job, its start scheduled."""
    now = emu.now_ms()
    job_id = emu.ids.job(state.account_id, state.region)
    job = Job(
        job_id=job_id,
        arn=arn(state, "job", job_id),
        job_type=job_type,
        initiated_by=initiated_by,
        created_ms=now,
        seq=len(state.jobs),
        is_drill=is_drill,
        participants={slot_key(slot): slot for slot in slots},
        tags=dict(tags),
        snapshot_ids=dict(snapshot_ids or {}),
        snapshot_ms=dict(snapshot_ms or {}),
    )
    state.jobs[job_id] = job
    if job_type == "LAUNCH":
        _mark_launch_pending(state, job, now)
    start = now + emu.draw(emu.settings.timings.job_pending, job_id, "pending")
    emu.schedule(start, Event(EVENT_KIND, state.account_id, state.region, job_id, step="start"))
    return job


def slot_key(slot: ParticipatingServer) -> str:
    """A LAUNCH job has one slot per server, a TERMINATE job one per recovery instance."""
    return slot.recovery_instance_id or slot.source_server_id


def _mark_launch_pending(state: RegionState, job: Job, now: int) -> None:
    launch_type = "DRILL" if job.is_drill else "RECOVERY"
    for slot in job.participants.values():
        server = state.servers[slot.source_server_id]
        server.last_launch = LastLaunch(job.job_id, launch_type, now, "PENDING")
        server.last_launch_result = "PENDING"


StepTables = Mapping[str, Mapping[str, Step]]
"""The steps of each job type (LAUNCH, TERMINATE), by step name."""


def handler(steps: StepTables) -> EventHandler:
    """The event handler for every job event, running each job type's own steps.

    The step tables are given (by `bootstrap.py`) rather than imported: the step
    modules import this one for `StepContext`.
    """

    def on_event(emu: Emulator, at_ms: int, event: Event) -> None:
        state = emu.regions.get((event.account_id, event.region))
        job = state.jobs.get(event.subject) if state else None
        if state is None or job is None:
            return
        if event.step == "start":
            _start(emu, state, job, at_ms)
        elif event.step == "end":
            log(job, at_ms, "JOB_END")
            job.status = "COMPLETED"
            job.end_ms = at_ms
        else:
            _run_step(emu, state, job, steps[job.job_type], event=event, at_ms=at_ms)

    return on_event


def _start(emu: Emulator, state: RegionState, job: Job, at_ms: int) -> None:
    job.status = "STARTED"
    log(job, at_ms, "JOB_START")
    for key in job.participants:
        event = Event(EVENT_KIND, state.account_id, state.region, job.job_id, key, "begin")
        emu.schedule(at_ms, event)
    if not job.participants:
        _schedule_end(emu, state, job, at_ms)


def _run_step(
    emu: Emulator,
    state: RegionState,
    job: Job,
    steps: Mapping[str, Step],
    *,
    event: Event,
    at_ms: int,
) -> None:
    slot = job.participants[event.detail]
    following = steps[event.step](StepContext(emu, state, job, slot, at_ms))
    if following is not None:
        step, delay_ms = following
        next_event = Event(
            EVENT_KIND, state.account_id, state.region, job.job_id, event.detail, step
        )
        emu.schedule(at_ms + delay_ms, next_event)
    elif all(other.launch_status in TERMINAL for other in job.participants.values()):
        _schedule_end(emu, state, job, at_ms)


def _schedule_end(emu: Emulator, state: RegionState, job: Job, at_ms: int) -> None:
    end = at_ms + emu.draw(emu.settings.timings.job_end, job.job_id, "end")
    emu.schedule(end, Event(EVENT_KIND, state.account_id, state.region, job.job_id, step="end"))
