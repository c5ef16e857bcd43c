"""A cancelled request: nothing new launches, what runs finishes.

A cancel stops the waves where they are. Every server still waiting is decided
`skipped`, with who cancelled. A batch whose intent is recorded but whose job DRS does
not show is never called: once its intent has settled (a job the call made would be
listed by then) its servers are skipped too; a batch whose call went unanswered waits
longer for DRS to list the job. Jobs already running are polled to their end as usual.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from drsorch.monitor.domain.records import (
    BatchRecord,
    BatchStatus,
    RequestState,
    ServerPhase,
    Summary,
)

UNCERTAIN_PATIENCE = 10
"""How many settle periods an unanswered StartRecovery's batch waits for its job."""


def reason(who: str) -> str:
    return f"cancelled by {who}"


def take(summary: Summary, who: str, now: datetime) -> Summary:
    """The summary cancelled by `who`; the first cancel's name and time are kept."""
    if summary.cancelled_by is not None:
        return summary
    update: dict[str, object] = {"cancelled_by": who, "cancelled_at": now}
    if summary.reason is None:
        update["reason"] = reason(who)
    return summary.model_copy(update=update)


def skip_waiting(state: RequestState, now: datetime) -> None:
    """Decide every waiting server of a cancelled request `skipped`."""
    who = state.summary.cancelled_by
    if who is None:
        return
    for record in list(state.servers.values()):
        if record.phase is ServerPhase.WAITING:
            state.put_server(record.decide("skipped", reason(who), now))


def drop_unstarted(
    state: RequestState, batch: BatchRecord, settle: timedelta, now: datetime
) -> bool:
    """For an intended batch DRS shows no job of: whether it is dropped (its servers
    skipped) rather than waited for. Never called for a request that is not cancelled."""
    who = state.summary.cancelled_by
    assert who is not None
    if not patience_over(batch, settle, now):
        return False
    why = reason(who)
    state.put_batch(batch.model_copy(update={"status": BatchStatus.REFUSED, "refusal": why}))
    for member in batch.members:
        record = state.servers[member.source_server_id]
        if record.phase is not ServerPhase.DONE:
            state.put_server(record.decide("skipped", why, now))
    return True


def patience_over(batch: BatchRecord, settle: timedelta, now: datetime) -> bool:
    """Whether a job this intent's call made would be listed by now: a settle after the
    intent, or `UNCERTAIN_PATIENCE` of them after its last unanswered call."""
    if not batch.uncertain:
        return batch.intent_at + settle <= now
    return (batch.uncertain_since or batch.intent_at) + settle * UNCERTAIN_PATIENCE <= now


def counts(state: RequestState) -> tuple[int, int, int]:
    """(skipped by the cancel, jobs still running, servers launched or in a job)."""
    who = state.summary.cancelled_by
    why = reason(who) if who else None
    skipped = sum(1 for r in state.servers.values() if r.outcome == "skipped" and r.reason == why)
    running = sum(1 for b in state.batches.values() if b.status is BatchStatus.STARTED)
    launched = sum(1 for r in state.servers.values() if r.job_id is not None)
    return skipped, running, launched
