"""Following one request through its events: a pure fold of envelopes into progress.

The CLI's own queue delivers every event of the request (at least once, in any
order, chunked). `RequestTracker.apply` folds each envelope in, ignoring repeats
by event ID, and keeps what the progress display, the plan and the report need:
servers discovered, pairs, configuration results, jobs per wave, and the chunks of
`RequestCompleted` until they are all in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from drsorch.contracts import (
    ConfigurationResult,
    DiscoveredServer,
    Envelope,
    Event,
    JobCompleted,
    JobStarted,
    Pair,
    PairsMatched,
    RequestCompleted,
    ServersDiscovered,
    SlotPipeline,
    TargetConfigured,
)
from drsorch.contracts.events import Ambiguous, Problem, ServerLaunch, Unmatched

T = TypeVar("T", bound=Event)
READY = ("configured", "unchanged", "planned")


@dataclass
class JobProgress:
    """One DRS job as the CLI has seen it."""

    started: JobStarted
    started_seen_at: datetime
    completed: JobCompleted | None = None

    @property
    def launched(self) -> int:
        return sum(1 for s in self._servers() if s.launch_status == "LAUNCHED")

    @property
    def failed(self) -> int:
        return sum(1 for s in self._servers() if s.launch_status == "FAILED")

    def _servers(self) -> tuple[ServerLaunch, ...]:
        return self.completed.servers if self.completed else ()


@dataclass
class Chunks(Generic[T]):
    """The chunks of one chunked event seen so far, by index."""

    parts: dict[int, T] = field(default_factory=dict)
    count: int = 0

    def add(self, payload: T, index: int, count: int) -> None:
        self.parts[index] = payload
        self.count = count

    @property
    def complete(self) -> bool:
        return self.count > 0 and len(self.parts) == self.count

    def ordered(self) -> list[T]:
        return [self.parts[i] for i in sorted(self.parts)]


@dataclass
class RequestTracker:
    """Everything the CLI knows about one request, from its events."""

    request_id: str
    seen_ids: set[str] = field(default_factory=set)
    discovered: dict[str, DiscoveredServer] = field(default_factory=dict)
    discovered_chunks: Chunks[ServersDiscovered] = field(default_factory=Chunks)
    matched: Chunks[PairsMatched] = field(default_factory=Chunks)
    configured: dict[str, ConfigurationResult] = field(default_factory=dict)
    configured_chunks: Chunks[TargetConfigured] = field(default_factory=Chunks)
    pipeline: tuple[SlotPipeline, ...] = ()
    """A failback's replication slots per place, as the configurator planned them."""
    jobs: dict[str, JobProgress] = field(default_factory=dict)
    completed: Chunks[RequestCompleted] = field(default_factory=Chunks)
    milestones: dict[str, datetime] = field(default_factory=dict)
    trace_id: str | None = None

    def apply(self, envelope: Envelope[Event]) -> bool:
        """Fold one envelope in; False when it is a repeat or belongs to another request."""
        if envelope.request_id != self.request_id or envelope.event_id in self.seen_ids:
            return False
        self.seen_ids.add(envelope.event_id)
        self._note_trace(envelope)
        self.milestones.setdefault(envelope.type, envelope.occurred_at)
        payload = envelope.payload
        if isinstance(payload, ServersDiscovered):
            self.discovered_chunks.add(payload, payload.chunk.index, payload.chunk.count)
            self.discovered.update({s.source_server_id: s for s in payload.servers})
        elif isinstance(payload, PairsMatched):
            self.matched.add(payload, payload.chunk.index, payload.chunk.count)
        elif isinstance(payload, TargetConfigured):
            self.configured_chunks.add(payload, payload.chunk.index, payload.chunk.count)
            self.configured.update({r.source_server_id: r for r in payload.results})
            self.pipeline = payload.pipeline or self.pipeline
        elif isinstance(payload, JobStarted):
            self.jobs.setdefault(payload.job_id, JobProgress(payload, envelope.occurred_at))
        elif isinstance(payload, JobCompleted):
            self._job_completed(payload, envelope.occurred_at)
        elif isinstance(payload, RequestCompleted):
            self.completed.add(payload, payload.chunk.index, payload.chunk.count)
        return True

    def _job_completed(self, payload: JobCompleted, at: datetime) -> None:
        job = self.jobs.get(payload.job_id)
        if job is None:  # the start was missed: rebuild it from the completion
            started = JobStarted(
                job_id=payload.job_id,
                account_id=payload.account_id,
                region=payload.region,
                wave=payload.wave,
                batch_index=payload.batch_index,
                source_server_ids=tuple(s.source_server_id for s in payload.servers),
                drill=False,
                launch_into=any(s.expected_instance_id for s in payload.servers),
            )
            job = self.jobs[payload.job_id] = JobProgress(started, payload.started_at or at)
        job.completed = payload

    def _note_trace(self, envelope: Envelope[Event]) -> None:
        if self.trace_id is None and envelope.trace.traceparent:
            self.trace_id = envelope.trace.traceparent.split("-")[1]

    # --- what the display and the plan read ---------------------------------------

    @property
    def done(self) -> bool:
        """True once every chunk of `RequestCompleted` is in."""
        return self.completed.complete

    @property
    def pairs(self) -> list[Pair]:
        return [p for chunk in self.matched.ordered() for p in chunk.pairs]

    @property
    def unmatched(self) -> list[Unmatched]:
        return [u for chunk in self.matched.ordered() for u in chunk.unmatched]

    @property
    def ambiguous(self) -> list[Ambiguous]:
        return [a for chunk in self.matched.ordered() for a in chunk.ambiguous]

    @property
    def problems(self) -> list[Problem]:
        return [p for chunk in self.discovered_chunks.ordered() for p in chunk.problems]

    @property
    def plan_hash(self) -> str | None:
        """The hash to approve: the configurator's, over what an apply would launch."""
        hashes = [c.plan_hash for c in self.configured_chunks.ordered() if c.plan_hash]
        if hashes:
            return hashes[0]
        done = self.completed.ordered()
        return done[0].plan_hash if done else None

    @property
    def match_hash(self) -> str | None:
        chunks = self.matched.ordered()
        return chunks[0].match_hash if chunks else None

    def counts(self) -> Counts:
        """How far the request got, stage by stage."""
        results = self.configured.values()
        return Counts(
            discovered=len(self.discovered),
            discovery_done=self.discovered_chunks.complete,
            paired=len(self.pairs),
            unpaired=len(self.unmatched) + len(self.ambiguous),
            matching_done=self.matched.complete,
            configured=sum(1 for r in results if r.outcome in READY),
            rejected=sum(1 for r in results if r.outcome == "rejected"),
            launched=sum(job.launched for job in self.jobs.values()),
            failed=sum(job.failed for job in self.jobs.values()),
        )

    def waves(self) -> dict[int, WaveProgress]:
        """Per wave: servers expected to launch, and the jobs seen so far."""
        waves: dict[int, WaveProgress] = {}
        for pair in self.pairs:
            result = self.configured.get(pair.server.source_server_id)
            if result is None or result.outcome in READY:
                waves.setdefault(pair.server.wave, WaveProgress(pair.server.wave)).servers += 1
        for job in self.jobs.values():
            waves.setdefault(job.started.wave, WaveProgress(job.started.wave)).jobs.append(job)
        return dict(sorted(waves.items()))


@dataclass(frozen=True)
class Counts:
    """Stage counts of a request."""

    discovered: int
    discovery_done: bool
    paired: int
    unpaired: int
    matching_done: bool
    configured: int
    rejected: int
    launched: int
    failed: int


@dataclass
class WaveProgress:
    """One wave: its servers to launch and its jobs."""

    wave: int
    servers: int = 0
    jobs: list[JobProgress] = field(default_factory=list)

    @property
    def launched(self) -> int:
        return sum(job.launched for job in self.jobs)

    @property
    def failed(self) -> int:
        return sum(job.failed for job in self.jobs)

    @property
    def finished_jobs(self) -> int:
        return sum(1 for job in self.jobs if job.completed is not None)


def fold(request_id: str, envelopes: Iterable[Envelope[Event]]) -> RequestTracker:
    """A tracker with every envelope applied (tests, and reading a recorded request)."""
    tracker = RequestTracker(request_id)
    for envelope in envelopes:
        tracker.apply(envelope)
    return tracker
