"""Per-run decisions over a request's waiting servers: who will never launch, who waited
past the deadline, and the launches of the rest.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from drsorch.monitor.domain import readiness
from drsorch.monitor.domain.plan import drift
from drsorch.monitor.domain.records import BatchStatus, RequestState, ServerPhase
from drsorch.monitor.domain.selection import Decided, Launch, Wait, select

# The longest prepare deadline a configurator may keep: it reports every pair by then.
CONFIGURATOR_LONGEST_SECONDS = 86_400


def classify(state: RequestState, now: datetime) -> dict[str, Launch]:
    """Decide the waiting servers that will not launch; the launches of the others, by server.

    A source server is launched by one server of the plan only, ever: a second plan
    server that resolves to the same launching server is rejected.
    """
    launching = {
        member.launching_server_id: member.source_server_id
        for batch in state.batches.values()
        if batch.status is not BatchStatus.REFUSED
        for member in batch.members
    }
    launches: dict[str, Launch] = {}
    ambiguous = state.ambiguous_ids
    refusal = _refused_whole(state)
    for key in sorted(state.servers):
        record = state.servers[key]
        if record.phase is not ServerPhase.WAITING:
            continue
        if refusal is not None:
            state.put_server(record.decide("rejected", refusal, now))
            continue
        config = state.configs.get(key)
        if config is not None and record.configured_at is None:
            record = record.model_copy(update={"configured_at": now})
            state.put_server(record)
        selection = select(record, config, state.spec, ambiguous)
        if isinstance(selection, Decided):
            state.put_server(record.decide(selection.outcome, selection.reason, now))
        elif isinstance(selection, Launch):
            owner = launching.setdefault(selection.launching_server_id, key)
            if owner != key:
                reason = f"{owner} already launches {selection.launching_server_id}"
                state.put_server(record.decide("rejected", reason, now))
            else:
                launches[key] = selection
        elif isinstance(selection, Wait) and record.waiting_for is None:
            state.put_server(record.model_copy(update={"waiting_for": selection.reason}))
    _past_deadline(state, now)
    waiting = _still_waiting(state)
    return {key: launch for key, launch in launches.items() if key in waiting}


def _refused_whole(state: RequestState) -> str | None:
    """Why nothing of this apply may launch: results configured under an unapproved plan."""
    for _, plan_hash in sorted(state.config_hashes.items()):
        refusal = drift(state.spec, plan_hash)
        if refusal is not None:
            if state.summary.status is None:
                state.summary = state.summary.model_copy(
                    update={"status": "REJECTED", "reason": refusal}
                )
            return refusal
    return None


def _past_deadline(state: RequestState, now: datetime) -> None:
    """Servers of the current wave still not ready past the readiness deadline.

    A server's wait starts when its wave started or when its configuration arrived,
    whichever is later: time spent waiting for the configurator (another pair's slow
    preparation) never counts against it. One the configurator never answers for is
    given up only past the longest deadline the configurator itself keeps (a day), named
    as such: the configurator reports every pair it cannot prepare well before that.
    """
    summary = state.summary
    if summary.wave is None or summary.wave_started_at is None:
        return
    seconds = state.spec.options.readiness_deadline_seconds
    for record in list(state.in_wave(summary.wave)):
        if record.phase is not ServerPhase.WAITING:
            continue
        if record.configured_at is None:
            silence = seconds + CONFIGURATOR_LONGEST_SECONDS
            if now >= summary.wave_started_at + timedelta(seconds=silence):
                reason = f"the configurator gave no result for it within {silence} s"
                state.put_server(record.decide("not_ready", reason, now))
            continue
        since = max(summary.wave_started_at, record.configured_at)
        if now >= readiness.deadline(since, state.spec):
            why = record.waiting_for or "not ready"
            reason = f"not ready by the {seconds} s readiness deadline: {why}"
            state.put_server(record.decide("not_ready", reason, now))


def _still_waiting(state: RequestState) -> set[str]:
    return {key for key, r in state.servers.items() if r.phase is ServerPhase.WAITING}
