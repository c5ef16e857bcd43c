"""The events the monitor publishes, built from its records: JobStarted, JobCompleted,
and RequestCompleted with the per-server report (design §7).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from drsorch.contracts import (
    Ambiguous,
    Chunk,
    ConfigurationResult,
    JobCompleted,
    JobRecord,
    JobStarted,
    Problem,
    RequestCompleted,
    ServerLaunch,
    ServerReport,
    Unmatched,
)
from drsorch.contracts.events import RequestStatus
from drsorch.monitor.domain.records import BatchRecord, RequestState, ServerRecord
from drsorch.runtime.chunks import split


def job_started(batch: BatchRecord) -> JobStarted:
    assert batch.job_id is not None
    return JobStarted(
        job_id=batch.job_id,
        account_id=batch.account_id,
        region=batch.region,
        wave=batch.wave,
        batch_index=batch.index,
        source_server_ids=tuple(sorted(batch.launching_ids)),
        drill=batch.drill,
        launch_into=batch.launch_into,
    )


def job_completed(batch: BatchRecord, launches: Sequence[ServerLaunch]) -> JobCompleted:
    assert batch.job_id is not None
    return JobCompleted(
        job_id=batch.job_id,
        account_id=batch.account_id,
        region=batch.region,
        wave=batch.wave,
        batch_index=batch.index,
        servers=tuple(sorted(launches, key=lambda launch: launch.source_server_id)),
        started_at=batch.created_at,
        ended_at=batch.ended_at,
    )


def server_report(record: ServerRecord, config: ConfigurationResult | None) -> ServerReport:
    """One server's line of the report."""
    pair, launch = record.pair, record.launch
    expected = launch.expected_instance_id if launch else None
    return ServerReport(
        server=pair.server,
        target=pair.target,
        method=pair.method,
        evidence=pair.evidence,
        lineage_instance_id=(launch.lineage_instance_id if launch else None)
        or pair.lineage_instance_id,
        proof=launch.proof if launch else (),
        outcome=record.outcome or "skipped",
        reason=record.reason,
        launching_server_id=config.launching_server_id if config else None,
        job_id=record.job_id,
        recovery_instance_id=launch.recovery_instance_id if launch else None,
        ec2_instance_id=launch.ec2_instance_id if launch else None,
        launched_into_expected=_landed_as_expected(record, expected),
        private_ip_before=(launch.private_ip_before if launch else None)
        or (pair.target.private_ip if pair.target else None),
        private_ip_after=launch.private_ip_after if launch else None,
        previous_launch_configuration=config.previous if config else None,
    )


def _landed_as_expected(record: ServerRecord, expected: str | None) -> bool | None:
    if record.launch is not None and expected is not None:
        return record.launch.launched_into_expected
    if record.pair.target is not None and record.outcome not in ("planned", None):
        return False  # it had a target and did not land in it
    return None


def in_scope(state: RequestState) -> int:
    """Servers the request covered: planned pairs, unmatched, ambiguous, and those left out
    by a blocking problem."""
    named = set(state.servers)
    for extras in state.extras:
        named.update(u.server.source_server_id for u in extras.unmatched)
        named.update(a.server.source_server_id for a in extras.ambiguous)
        named.update(
            p.source_server_id for p in extras.problems if p.blocking and p.source_server_id
        )
    return len(named)


def status(state: RequestState) -> tuple[RequestStatus, str | None]:
    """The request's final status and, unless it plainly succeeded, why."""
    summary = state.summary
    if summary.status == "REJECTED":
        return "REJECTED", summary.reason
    if state.spec.plan_only:
        return "PLANNED", summary.reason
    total = in_scope(state)
    outcomes = Counter(record.outcome for record in state.servers.values())
    landed = outcomes["recovered"]
    if total == 0:
        return "FAILED", "no server was in scope"
    tally = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()) if outcome)
    elsewhere = sorted(
        f"{r.pair.server.name or r.source_server_id} in "
        f"{(r.launch.ec2_instance_id if r.launch else None) or 'an unknown instance'}"
        for r in state.servers.values()
        if r.outcome == "recovered_elsewhere"
    )
    if elsewhere:
        # A server in the wrong instance is never a partial success.
        names = "; ".join(elsewhere[:5]) + (
            f"; and {len(elsewhere) - 5} more" if len(elsewhere) > 5 else ""
        )
        return "FAILED", (
            f"{len(elsewhere)} server(s) landed somewhere else than the instance proven "
            f"theirs: {names} ({tally})"
        )
    reason = summary.reason or f"{landed} of {total} servers landed where expected ({tally})"
    if landed == total:
        return "SUCCEEDED", None
    return ("FAILED" if landed == 0 else "PARTIAL"), reason


def api_calls(state: RequestState) -> dict[str, int]:
    """DRS calls of the whole request: discovery's (carried in the plan), the
    configurator's and the monitor's own."""
    total: Counter[str] = Counter(state.summary.calls)
    for extras in state.extras:
        total.update(extras.api_calls)
    # The configurator reports its calls so far with each result it publishes: counts
    # only grow, so the largest of each is its total.
    configurator: Counter[str] = Counter()
    for calls in state.config_calls.values():
        for operation, count in calls.items():
            configurator[operation] = max(configurator[operation], count)
    total.update(configurator)
    return dict(total)


def jobs(state: RequestState) -> list[JobRecord]:
    """The request's jobs for the timeline: every batch DRS ran."""
    return [
        JobRecord(
            job_id=batch.job_id,
            account_id=batch.account_id,
            region=batch.region,
            wave=batch.wave,
            batch_index=batch.index,
            source_server_ids=tuple(sorted(batch.launching_ids)),
            started_at=batch.created_at or batch.started_at or batch.intent_at,
            ended_at=batch.ended_at,
        )
        for batch in sorted(state.batches.values(), key=lambda b: b.key)
        if batch.job_id is not None
    ]


def request_completed(state: RequestState, ended_at: datetime) -> list[RequestCompleted]:
    """The report, split into chunks under SNS's message size."""
    summary = state.summary
    final, reason = status(state)
    started = min(summary.spec.requested_at or summary.received_at, ended_at)
    reports = [
        server_report(state.servers[key], state.configs.get(key)) for key in sorted(state.servers)
    ]
    items: list[BaseModel] = [*reports, *_extras(state), *jobs(state)]
    calls = api_calls(state)

    def build(run: Sequence[Any], chunk: Chunk) -> RequestCompleted:
        return RequestCompleted(
            status=final,
            operation=summary.spec.operation,
            drill=summary.spec.drill,
            plan_hash=state.launch_hash,
            reason=reason[:1024] if reason else None,
            servers=_of(run, ServerReport),
            unmatched=_of(run, Unmatched),
            ambiguous=_of(run, Ambiguous),
            problems=_of(run, Problem),
            jobs=_of(run, JobRecord),
            api_calls=calls if chunk.index == 0 else {},
            started_at=started,
            ended_at=ended_at,
            trace_id=summary.trace_id,
            chunk=chunk,
        )

    return split(build, items)


def _extras(state: RequestState) -> Iterable[BaseModel]:
    for extras in sorted(state.extras, key=lambda e: e.index):
        yield from extras.unmatched
        yield from extras.ambiguous
        yield from extras.problems


def _of(run: Sequence[Any], kind: type[Any]) -> tuple[Any, ...]:
    return tuple(item for item in run if isinstance(item, kind))


def counts(records: Iterable[ServerRecord]) -> Mapping[str, int]:
    """Servers launched and failed, for metrics and notices."""
    tally = Counter(record.outcome for record in records)
    launched = tally["recovered"] + tally["recovered_elsewhere"]
    return {"launched": launched, "failed": tally["failed"] + tally["timed_out"]}
