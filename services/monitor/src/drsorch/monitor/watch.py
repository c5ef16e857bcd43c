"""Watching running jobs: one DescribeJobs per account and region for all of a request's
jobs that are due, then, for each completed one, where its servers landed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from drsorch.contracts import Pair, ServerLaunch
from drsorch.contracts.types import Place
from drsorch.monitor.domain import landing, report
from drsorch.monitor.domain.facts import Instance, JobLog, RecoveryInstance, RecoveryJob
from drsorch.monitor.domain.pacing import next_poll, timed_out, typical_run
from drsorch.monitor.domain.records import BatchRecord, BatchStatus, ServerPhase
from drsorch.monitor.run import Run, each_place, group_by

log = logging.getLogger("drsorch.monitor")


async def poll_jobs(run: Run) -> list[tuple[BatchRecord, RecoveryJob]]:
    """Poll every started batch whose poll is due; time out what ran too long.

    Returns the batches whose job completed, with the job, for `finish_jobs`: their
    quota is already free in DRS, so the next batches may start before the landings of
    these are proven."""
    due = [
        batch
        for batch in run.state.batches.values()
        if batch.status is BatchStatus.STARTED
        and (batch.next_poll_at is None or batch.next_poll_at <= run.now)
    ]
    ended: list[tuple[BatchRecord, RecoveryJob]] = []

    async def poll(place: Place, batches: Sequence[BatchRecord]) -> None:
        ids = [batch.job_id for batch in batches if batch.job_id]
        found = {job.job_id: job for job in await run.drs(place).jobs(ids)}
        seen = run.deps.clock.now()  # after DRS answered: no earlier than the jobs' ends
        for batch in batches:
            job = found.get(batch.job_id or "")
            if job is not None and job.status == "COMPLETED":
                done = batch.model_copy(update={"done_seen_at": seen})
                run.state.put_batch(done)
                ended.append((done, job))
            elif timed_out(batch, run.now, run.state.spec.options.job_timeout_seconds):
                await time_out(run, batch, job)
            else:
                _poll_later(run, batch.model_copy(update={"running_seen_at": seen}))

    await each_place(run, group_by(due, lambda b: b.place), poll)
    return ended


async def finish_jobs(run: Run, ended: Sequence[tuple[BatchRecord, RecoveryJob]]) -> None:
    """Prove and report where the servers of each completed job landed."""

    async def prove(place: Place, pairs: Sequence[tuple[BatchRecord, RecoveryJob]]) -> None:
        # Every job's facts are read at once, then judged in order and written together.
        batches = [run.state.batches[batch.key] for batch, _ in pairs]
        facts = await asyncio.gather(
            *(_facts(run, batch, job) for batch, (_, job) in zip(batches, pairs, strict=True))
        )
        done = [
            await _judge(run, batch, job, f)
            for batch, (_, job), f in zip(batches, pairs, facts, strict=True)
        ]
        await run.flush()
        for batch, landings in done:
            await _job_metrics(run, batch, landings)

    await each_place(run, group_by(ended, lambda pair: pair[0].place), prove)


def _poll_later(run: Run, batch: BatchRecord) -> None:
    typical = typical_run(run.state.batches.values(), batch)
    run.state.put_batch(
        batch.model_copy(
            update={
                "next_poll_at": next_poll(batch, run.now, run.pacing, typical),
                "polls": batch.polls + 1,
            }
        )
    )


@dataclass(frozen=True)
class _Facts:
    """What DRS and EC2 say of a completed job's servers, read before any is judged."""

    log: JobLog
    instances: Sequence[RecoveryInstance]
    ec2: Mapping[str, Instance]
    origins: Mapping[str, str | None]


async def _facts(run: Run, batch: BatchRecord, job: RecoveryJob) -> _Facts:
    drs = run.drs(batch.place)
    launched = [p.source_server_id for p in job.participants if p.launch_status == "LAUNCHED"]
    log = await drs.job_log(job.job_id)
    instances = await drs.recovery_instances(launched) if launched else []
    ec2_ids = [i.ec2_instance_id for i in instances if i.ec2_instance_id]
    ec2 = await run.ec2(batch.place).instances(ec2_ids) if ec2_ids else {}
    return _Facts(log, instances, ec2, await _origins(run, batch))


async def _judge(
    run: Run, batch: BatchRecord, job: RecoveryJob, facts: _Facts
) -> tuple[BatchRecord, list[ServerLaunch]]:
    """A job completed: prove where each server landed, report it, decide the servers."""
    landings = []
    for member in batch.members:
        record = run.state.servers[member.source_server_id]
        before = record.pair.target.private_ip if record.pair.target else None
        landing_ = landing.server_launch(
            member,
            job=job,
            instances=facts.instances,
            ec2=facts.ec2,
            log=facts.log,
            private_ip_before=before,
            lineage=_lineage(record.pair, facts.origins),
        )
        launch = landing_.launch
        landings.append(launch)
        landed = next(
            (i for i in facts.instances if i.recovery_instance_id == launch.recovery_instance_id),
            None,
        )
        state = landed.ec2_state if landed and launch.launch_status == "LAUNCHED" else None
        updated = record.model_copy(
            update={"launch": launch, "job_id": job.job_id, "ec2_state": state}
        )
        run.state.put_server(updated.decide(landing_.outcome, landing_.reason, run.now))
    done = batch.model_copy(
        update={
            "status": BatchStatus.COMPLETED,
            "created_at": job.created_at or batch.created_at,
            "ended_at": job.ended_at or run.now,
        }
    )
    await run.emit(report.job_completed(done, landings), f"job-completed-{batch.key}")
    run.state.put_batch(done)
    return done, landings


def _lineage(pair: Pair, origins: Mapping[str, str | None]) -> landing.Lineage | None:
    """The server's lineage then (as paired) and now (as DRS records it), when read."""
    server_id = pair.server.source_server_id
    if server_id not in origins:
        return None
    return landing.Lineage(
        named=pair.lineage_instance_id,
        # A pair from before the origin was carried: its lineage instance stands in.
        recorded=pair.origin_instance_id or pair.lineage_instance_id,
        now=origins[server_id],
    )


async def _origins(run: Run, batch: BatchRecord) -> dict[str, str | None]:
    """The origin DRS records now for each failback server paired by lineage, by paired ID.

    Read from the paired (FAILOVER-direction) servers in the recovery region, so the
    landing is judged against DRS's record, not the matcher's choice. Overridden
    pairs and failovers are judged against the approved target.
    """
    spec = run.state.spec
    if spec.operation != "failback" or not batch.launch_into:
        return {}
    wanted = [
        run.state.servers[m.source_server_id].pair
        for m in batch.members
        if m.expected_instance_id is not None
    ]
    by_place = group_by(
        [p for p in wanted if p.method != "override"],
        lambda p: Place(p.server.account_id, p.server.region),
    )
    found: dict[str, str | None] = {}
    for place, pairs in by_place.items():
        found.update(await run.drs(place).origins([p.server.source_server_id for p in pairs]))
    return found


async def _job_metrics(run: Run, batch: BatchRecord, launches: Sequence[object]) -> None:
    records = [run.state.servers[m.source_server_id] for m in batch.members]
    tally = report.counts(records)
    started = batch.created_at or batch.started_at or batch.intent_at
    seconds = max(0.0, ((batch.ended_at or run.now) - started).total_seconds())
    summary = run.state.summary
    try:
        await run.deps.metrics.job_finished(
            summary.request_id, summary.spec.operation, seconds, tally["launched"], tally["failed"]
        )
    except Exception as exc:  # noqa: BLE001 - metrics are best effort; the events carry the truth
        log.warning("job metrics not published", extra={"error": repr(exc)})


async def time_out(run: Run, batch: BatchRecord, job: RecoveryJob | None) -> None:
    """A job outlived the request's job timeout: its unfinished servers are reported so."""
    seconds = run.state.spec.options.job_timeout_seconds
    status = job.status if job else "not listed by DRS"
    for member in batch.members:
        record = run.state.servers[member.source_server_id]
        if record.phase is not ServerPhase.DONE:
            reason = f"job {batch.job_id} still {status} after the {seconds} s job timeout"
            updated = record.model_copy(update={"job_id": batch.job_id})
            run.state.put_server(updated.decide("timed_out", reason, run.now))
    run.state.put_batch(batch.model_copy(update={"status": BatchStatus.TIMED_OUT}))
    await run.flush()
