"""The monitor's records of one request: its servers, its batches and its summary.

Records are frozen; a decision returns a new record and the request state remembers
which ones changed, so a save writes only those.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from drsorch.contracts import (
    Ambiguous,
    ConfigurationResult,
    Pair,
    Problem,
    RecoveryPoint,
    RequestSpec,
    ServerLaunch,
    Unmatched,
)
from drsorch.contracts.events import RequestStatus, ServerOutcome
from drsorch.contracts.types import Place


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ServerPhase(StrEnum):
    WAITING = "waiting"
    """To be launched: waits for its wave, its configuration, readiness or capacity."""
    IN_BATCH = "in_batch"
    """In a batch whose job is intended, running, or being reconciled."""
    DONE = "done"
    """Its outcome is decided."""


class ServerRecord(_Record):
    """One server of the plan, from its pair to its outcome."""

    pair: Pair
    phase: ServerPhase = ServerPhase.WAITING
    ready_since: AwareDatetime | None = None
    """Since when it has been ready to join a job, without a break."""
    waiting_for: str | None = None
    """Why it is not in a job yet; the reason reported if a deadline passes."""
    configured_at: AwareDatetime | None = None
    """When the configurator's result for it arrived: its readiness wait starts no earlier."""
    batch_key: str | None = None
    job_id: str | None = None
    outcome: ServerOutcome | None = None
    reason: str | None = None
    launch: ServerLaunch | None = None
    ec2_state: str | None = None
    """The EC2 state of the instance it landed in, as DRS reports it (`RUNNING`, ...)."""
    decided_at: AwareDatetime | None = None

    @property
    def source_server_id(self) -> str:
        return self.pair.server.source_server_id

    @property
    def wave(self) -> int:
        return self.pair.server.wave

    def decide(self, outcome: ServerOutcome, reason: str | None, now: datetime) -> ServerRecord:
        """This server with its outcome decided; nothing happens to it after that."""
        return self.model_copy(
            update={
                "phase": ServerPhase.DONE,
                "outcome": outcome,
                "reason": reason[:1024] if reason else None,
                "decided_at": now,
            }
        )


class Member(_Record):
    """One server of a batch: the server of the plan, the one launched, where it should land."""

    source_server_id: str
    launching_server_id: str
    expected_instance_id: str | None = None
    volumes_before: tuple[str, ...] = ()
    """The target's volumes right before StartRecovery: a launch into it replaces them."""


class BatchStatus(StrEnum):
    INTENDED = "intended"
    """Recorded before StartRecovery; a job may or may not exist yet."""
    STARTED = "started"
    COMPLETED = "completed"
    TIMED_OUT = "timed_out"
    REFUSED = "refused"
    """DRS refused StartRecovery: no job exists, the servers wait again."""


class BatchRecord(_Record):
    """One batch of one wave in one account and region, and the DRS job that runs it."""

    key: str
    wave: int
    index: int
    account_id: str
    region: str
    members: tuple[Member, ...]
    drill: bool
    status: BatchStatus = BatchStatus.INTENDED
    intent_at: AwareDatetime
    prior_job_ids: tuple[str, ...] = ()
    """Jobs that already held any of these servers when the intent was recorded."""
    job_id: str | None = None
    started_at: AwareDatetime | None = None
    """When the monitor started (or adopted) the job, by the monitor's clock."""
    created_at: AwareDatetime | None = None
    """DRS `creationDateTime`."""
    ended_at: AwareDatetime | None = None
    """DRS `endDateTime`."""
    answered_at: AwareDatetime | None = None
    """When StartRecovery answered with the job (or the job was adopted), by the monitor's
    clock."""
    running_seen_at: AwareDatetime | None = None
    """When a poll last saw the job still running, by the monitor's clock."""
    done_seen_at: AwareDatetime | None = None
    """When a poll saw the job completed, by the monitor's clock."""
    next_poll_at: AwareDatetime | None = None
    """Next DescribeJobs poll of a started batch; next reconciliation of an intended one."""
    polls: int = 0
    refusal: str | None = None
    uncertain: bool = False
    """A StartRecovery of this batch went unanswered: a job may exist that DescribeJobs
    does not list yet, so a refusal now means "wait and reconcile", not "start again"."""
    uncertain_since: AwareDatetime | None = None
    """When the last unanswered StartRecovery of this batch was made (its intent, for one
    a crash left): how long its job may take to be listed is counted from then."""
    unsent: bool = False
    """Every StartRecovery of this batch so far was refused before DRS acted (throttled):
    no job of it exists. An intent a later run finds without this, or an answer, may have
    been called before a crash."""

    @property
    def place(self) -> Place:
        return Place(self.account_id, self.region)

    @property
    def launching_ids(self) -> frozenset[str]:
        return frozenset(m.launching_server_id for m in self.members)

    @property
    def launch_into(self) -> bool:
        return any(m.expected_instance_id for m in self.members)

    @property
    def active(self) -> bool:
        """Whether it holds (or may hold) quota: intended or running."""
        return self.status in (BatchStatus.INTENDED, BatchStatus.STARTED)


def batch_key(wave: int, index: int) -> str:
    """A batch's key, sorting by wave then index."""
    return f"{wave:03d}-{index:04d}"


class RequestPhase(StrEnum):
    RUNNING = "running"
    DONE = "done"


class Summary(_Record):
    """A request as a whole: its spec, where it stands, and the bookkeeping of its runs."""

    request_id: str
    spec: RequestSpec
    plan_hash: str
    causation_id: str
    """The PairsMatched event ID the request's events are caused by."""
    trace_id: str | None = None
    """The request's trace (every service's spans for it share it), from the plan."""
    received_at: AwareDatetime
    phase: RequestPhase = RequestPhase.RUNNING
    wave: int | None = None
    """The wave being recovered."""
    wave_started_at: AwareDatetime | None = None
    status: RequestStatus | None = None
    reason: str | None = None
    ended_at: AwareDatetime | None = None
    tick_seq: int = 0
    """The current tick; older ticks still in the queue are dropped."""
    tick_delay: float = 0
    last_cause: str | None = None
    """The event whose handling last changed this summary: its redelivery re-sends."""
    throttle_streak: int = 0
    calls: dict[str, int] = {}
    """DRS API calls the monitor made for this request, by operation."""
    servers: int = 0
    """Servers in the request's scope: paired, unmatched and ambiguous."""
    cancelled_by: str | None = None
    """Who cancelled the request: from then on no batch is started."""
    cancelled_at: AwareDatetime | None = None


class PlanExtras(_Record):
    """What one PairsMatched chunk carried besides pairs, kept for the report."""

    index: int
    unmatched: tuple[Unmatched, ...] = ()
    ambiguous: tuple[Ambiguous, ...] = ()
    problems: tuple[Problem, ...] = ()
    api_calls: dict[str, int] = {}


@dataclass
class RequestState:
    """Everything the monitor holds about one request, and which records changed."""

    summary: Summary
    servers: dict[str, ServerRecord] = field(default_factory=dict)
    batches: dict[str, BatchRecord] = field(default_factory=dict)
    configs: dict[str, ConfigurationResult] = field(default_factory=dict)
    extras: list[PlanExtras] = field(default_factory=list)
    config_calls: dict[str, dict[str, int]] = field(default_factory=dict)
    """DRS calls the configurator reported, by TargetConfigured event ID."""
    config_hashes: dict[str, str | None] = field(default_factory=dict)
    """The plan hash each TargetConfigured carried, by event ID."""
    recovery_point: RecoveryPoint | None = None
    """A drill's point in time (DrillRequested), which its StartRecovery calls launch from."""
    dirty_servers: set[str] = field(default_factory=set)
    dirty_batches: set[str] = field(default_factory=set)
    _by_wave: dict[int, list[str]] | None = field(default=None, repr=False, compare=False)
    """The servers' keys by wave (a server's wave never changes), built when first asked."""

    def add_results(
        self,
        event_id: str,
        results: Sequence[ConfigurationResult],
        calls: Mapping[str, int],
        plan_hash: str | None,
    ) -> None:
        """What `Store.add_results` keeps, added to this state as a load reads it back."""
        self.configs.update({result.source_server_id: result for result in results})
        self.config_calls[event_id] = dict(calls)
        self.config_hashes[event_id] = plan_hash

    def put_server(self, record: ServerRecord) -> None:
        key = record.source_server_id
        before = self.servers.get(key)
        if before is not record and before != record:
            if before is None:
                self._by_wave = None
            self.servers[key] = record
            self.dirty_servers.add(key)

    def put_batch(self, batch: BatchRecord) -> None:
        if self.batches.get(batch.key) != batch:
            self.batches[batch.key] = batch
            self.dirty_batches.add(batch.key)

    def take_dirty(self) -> tuple[list[ServerRecord], list[BatchRecord]]:
        """The changed records, forgetting that they changed."""
        servers = [self.servers[key] for key in sorted(self.dirty_servers)]
        batches = [self.batches[key] for key in sorted(self.dirty_batches)]
        self.dirty_servers.clear()
        self.dirty_batches.clear()
        return servers, batches

    @property
    def spec(self) -> RequestSpec:
        return self.summary.spec

    @property
    def launch_hash(self) -> str | None:
        """The configurator's hash of what the request launches (the one approved)."""
        return next((h for _, h in sorted(self.config_hashes.items()) if h), None)

    @property
    def ambiguous_ids(self) -> frozenset[str]:
        return frozenset(a.server.source_server_id for e in self.extras for a in e.ambiguous)

    def _waves_index(self) -> dict[int, list[str]]:
        if self._by_wave is None or sum(map(len, self._by_wave.values())) != len(self.servers):
            index: dict[int, list[str]] = {}
            for key, record in self.servers.items():
                index.setdefault(record.wave, []).append(key)
            self._by_wave = index
        return self._by_wave

    def in_wave(self, wave: int) -> Iterator[ServerRecord]:
        return (self.servers[key] for key in self._waves_index().get(wave, ()))

    def waves(self) -> list[int]:
        """The plan's waves, in the order they run."""
        return sorted(self._waves_index())
