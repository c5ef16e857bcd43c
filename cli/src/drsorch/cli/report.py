"""The report of one request (design §7): a pydantic model, its JSON Schema, and how it is built.

The report is the monitor's `RequestCompleted` (every chunk merged) plus what the
CLI knows besides: the request's ID and spec, the trace ID that ties the request's
spans together, and the milestones of its events. `report.schema.json`, next to
this module, is `Report.model_json_schema()`; `python -m drsorch.cli.report_schema`
writes it and a unit test fails when the committed file differs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from drsorch.contracts import JobRecord, RequestCompleted, RequestSpec, ServerReport
from drsorch.contracts.events import Ambiguous, Problem, Unmatched
from drsorch.contracts.events.report import RequestStatus, ServerOutcome
from drsorch.contracts.types import Operation

SCHEMA_VERSION: Literal[1] = 1
OUTCOMES: tuple[ServerOutcome, ...] = get_args(ServerOutcome)


class _ReportModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Timings(_ReportModel):
    """When the request passed each stage (the services' clocks, UTC)."""

    requested_at: datetime | None = None
    discovered_at: datetime | None = None
    """First `ServersDiscovered` of the request."""
    matched_at: datetime | None = None
    """First `PairsMatched`."""
    configured_at: datetime | None = None
    """First `TargetConfigured`."""
    started_at: datetime
    """The monitor's start of the request."""
    ended_at: datetime
    """The monitor's end of the request (`RequestCompleted`)."""
    duration_seconds: float
    """`ended_at - started_at`."""
    first_job_started_at: datetime | None = None
    """DRS `creationDateTime` of the first job (DRS's clock)."""
    last_job_ended_at: datetime | None = None
    """DRS `endDateTime` of the last job to end (DRS's clock)."""


class Summary(_ReportModel):
    """How many servers ended in each outcome, and how many were left out by matching."""

    servers: int
    by_outcome: dict[ServerOutcome, int]
    unmatched: int
    ambiguous: int
    landed_where_expected: int
    """Servers launched, and into the expected instance when there was one."""


StepKind = Literal["cancel", "prepare_failback", "reprotect", "retire"]


class Step(_ReportModel):
    """A step taken about the request once it ran: a cancel, a re-protection, a retire."""

    kind: StepKind
    request_id: str | None = None
    """The step's own request ID (a cancel or a round-trip step is sent under its own)."""
    at: datetime | None = None
    """When it was taken (a cancel) or answered (a round-trip step)."""
    by: str | None = None
    """Who asked for it."""
    outcome: str
    """What it did, in words: servers skipped, protected, actions done."""


class Report(_ReportModel):
    """One request's report: status, per-server records, jobs, DRS API calls, timings."""

    schema_version: Literal[1] = SCHEMA_VERSION
    request_id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{7,63}$")]
    operation: Operation
    drill: bool
    status: RequestStatus
    """SUCCEEDED only when every server in scope landed where expected."""
    reason: str | None = None
    """Why the request was refused or failed as a whole (e.g. drift of the approved plan)."""
    plan_hash: str | None = None
    trace_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")] | None = None
    """OpenTelemetry trace ID of the request: every service's spans carry it."""
    request: RequestSpec | None = None
    """What was asked, when the CLI that asked (or the record) knows it."""
    summary: Summary
    servers: tuple[ServerReport, ...]
    unmatched: tuple[Unmatched, ...] = ()
    ambiguous: tuple[Ambiguous, ...] = ()
    problems: tuple[Problem, ...] = ()
    jobs: tuple[JobRecord, ...] = ()
    api_calls: dict[str, int] = Field(default_factory=dict)
    """DRS API calls by operation, summed over every service."""
    timings: Timings
    generated_at: datetime
    steps: tuple[Step, ...] = ()
    """Steps about this request: its cancel, and the round trip chained after it."""


def _server_order(server: ServerReport) -> tuple[int, str, str, str]:
    ref = server.server
    return (ref.wave, ref.account_id, ref.name or "", ref.source_server_id)


def _landed(server: ServerReport) -> bool:
    return server.outcome == "recovered" and server.launched_into_expected is not False


def summarise(servers: Sequence[ServerReport], unmatched: int, ambiguous: int) -> Summary:
    """Counts of a report's servers by outcome."""
    counted = Counter(server.outcome for server in servers)
    return Summary(
        servers=len(servers),
        by_outcome={outcome: counted.get(outcome, 0) for outcome in OUTCOMES},
        unmatched=unmatched,
        ambiguous=ambiguous,
        landed_where_expected=sum(1 for server in servers if _landed(server)),
    )


def build_report(
    request_id: str,
    chunks: Sequence[RequestCompleted],
    *,
    generated_at: datetime,
    spec: RequestSpec | None = None,
    trace_id: str | None = None,
    milestones: Mapping[str, datetime] | None = None,
    steps: Sequence[Step] = (),
) -> Report:
    """Merge the chunks of `RequestCompleted` into one report.

    The trace ID is the one the monitor recorded, else `trace_id` (the CLI's own span).
    """
    if not chunks:
        raise ValueError("a report needs at least one RequestCompleted chunk")
    first = chunks[0]
    servers = sorted((s for c in chunks for s in c.servers), key=_server_order)
    jobs = sorted((j for c in chunks for j in c.jobs), key=lambda j: (j.started_at, j.job_id))
    unmatched = tuple(u for c in chunks for u in c.unmatched)
    ambiguous = tuple(a for c in chunks for a in c.ambiguous)
    api_calls: Counter[str] = Counter()
    for chunk in chunks:
        api_calls.update(chunk.api_calls)
    return Report(
        request_id=request_id,
        operation=first.operation,
        drill=first.drill,
        status=first.status,
        reason=first.reason,
        plan_hash=first.plan_hash,
        trace_id=first.trace_id or trace_id,
        request=spec,
        summary=summarise(servers, len(unmatched), len(ambiguous)),
        servers=tuple(servers),
        unmatched=unmatched,
        ambiguous=ambiguous,
        problems=tuple(p for c in chunks for p in c.problems),
        jobs=tuple(jobs),
        api_calls=dict(sorted(api_calls.items())),
        timings=_timings(first, jobs, spec, milestones or {}),
        generated_at=generated_at,
        steps=tuple(steps),
    )


def _timings(
    first: RequestCompleted,
    jobs: Sequence[JobRecord],
    spec: RequestSpec | None,
    milestones: Mapping[str, datetime],
) -> Timings:
    ends = [j.ended_at for j in jobs if j.ended_at is not None]
    return Timings(
        requested_at=spec.requested_at if spec else None,
        discovered_at=milestones.get("ServersDiscovered"),
        matched_at=milestones.get("PairsMatched"),
        configured_at=milestones.get("TargetConfigured"),
        started_at=first.started_at,
        ended_at=first.ended_at,
        duration_seconds=round((first.ended_at - first.started_at).total_seconds(), 3),
        first_job_started_at=min((j.started_at for j in jobs), default=None),
        last_job_ended_at=max(ends, default=None),
    )
