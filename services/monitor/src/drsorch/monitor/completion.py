"""The end of a request: its report, its metrics, and its notice."""

from __future__ import annotations

import logging

from drsorch.monitor.domain import report
from drsorch.monitor.domain.records import RequestPhase
from drsorch.monitor.run import Run

log = logging.getLogger("drsorch.monitor")


async def complete(run: Run) -> None:
    """Publish RequestCompleted (chunked), then the metrics and the notice."""
    state = run.state
    if state.summary.ended_at is None:
        # Keep the end time first: a retried run then builds the same report.
        state.summary = state.summary.model_copy(update={"ended_at": run.now})
        await run.deps.store.save(state.summary.request_id, [], [], state.summary)
    ended = state.summary.ended_at
    assert ended is not None
    status, reason = report.status(state)
    chunks = report.request_completed(state, ended)
    for chunk in chunks:
        await run.emit(chunk, f"request-completed-{chunk.chunk.index}")
    await run.deps.store.keep_report(state.summary.request_id, chunks)
    state.summary = state.summary.model_copy(
        update={"phase": RequestPhase.DONE, "status": status, "reason": reason}
    )
    await _tell(run, status, reason)


async def _tell(run: Run, status: str, reason: str | None) -> None:
    summary = run.state.summary
    tally = report.counts(run.state.servers.values())
    log.info(
        "request ended",
        extra={"request_id": summary.request_id, "status": status, **tally},
    )
    elsewhere = sum(1 for r in run.state.servers.values() if r.outcome == "recovered_elsewhere")
    try:
        await run.deps.metrics.request_finished(
            summary.request_id, summary.spec.operation, status, tally["launched"], tally["failed"]
        )
        if elsewhere:
            await run.deps.metrics.landed_elsewhere(
                summary.request_id, summary.spec.operation, elsewhere
            )
    except Exception as exc:  # noqa: BLE001 - metrics are best effort; the events carry the truth
        log.warning("request metrics not published", extra={"error": repr(exc)})
    subject = f"drsorch {summary.spec.operation} {summary.request_id}: {status}"
    message = "\n".join(
        [
            subject,
            f"servers: {len(run.state.servers)} planned, {tally['launched']} launched, "
            f"{tally['failed']} failed",
            *([f"reason: {reason}"] if reason else []),
            f"report: drsorch report {summary.request_id}",
        ]
    )
    try:
        await run.deps.notifier.request_ended(subject[:100], message)
    except Exception as exc:  # noqa: BLE001 - RequestCompleted on the events topic is the record
        log.warning("request notice not sent", extra={"error": repr(exc)})
