"""The evidence pack: every drill launch of the drill's jobs, checked from DRS and EC2."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from drsorch.configurator.drill import domain
from drsorch.configurator.drill.ports import DrillAws, DrillRecord, InstanceFacts, LaunchJob
from drsorch.configurator.drill.records import JobRef, ServerLine
from drsorch.contracts import DrillInstance
from drsorch.contracts.types import Place


@dataclass(frozen=True)
class Evidence:
    instances: list[DrillInstance]
    settled: bool
    """False while an instance is still launching or its status checks initialize."""


def by_place(jobs: Sequence[JobRef]) -> dict[Place, list[JobRef]]:
    found: defaultdict[Place, list[JobRef]] = defaultdict(list)
    for job in jobs:
        found[Place(job.account_id, job.region)].append(job)
    return dict(found)


async def gather(
    aws: DrillAws, region: str, jobs: Sequence[JobRef], servers: Sequence[ServerLine]
) -> Evidence:
    """Each server's evidence; servers no drill job launched carry the monitor's reason."""
    instances: list[DrillInstance] = []
    settled = True
    launched: set[str] = set()
    for place, refs in sorted(by_place(jobs).items(), key=lambda kv: str(kv[0])):
        found = await aws.jobs(place, [ref.job_id for ref in refs])
        server_ids = sorted({s for ref in refs for s in ref.source_server_ids})
        records = {r.recovery_instance_id: r for r in await aws.drill_records(place, server_ids)}
        ec2_ids = sorted({r.ec2_instance_id for r in records.values() if r.ec2_instance_id})
        facts = await aws.instances(place, ec2_ids)
        for job in found:
            for item, ok in await _job(aws, place, job, records, facts):
                instances.append(item)
                launched.add(item.source_server_id)
                settled = settled and ok
    instances.extend(
        DrillInstance(
            source_server_id=line.source_server_id,
            account_id=line.account_id,
            region=region,
            check="failed",
            reason=(line.reason or f"not launched: {line.outcome}")[:1024],
        )
        for line in servers
        if line.source_server_id not in launched
    )
    return Evidence(sorted(instances, key=lambda i: i.source_server_id), settled)


async def _job(
    aws: DrillAws,
    place: Place,
    job: LaunchJob,
    records: dict[str, DrillRecord],
    facts: dict[str, InstanceFacts],
) -> list[tuple[DrillInstance, bool]]:
    out = []
    for p in job.participants:
        record = records.get(p.recovery_instance_id or "")
        fact = facts.get(record.ec2_instance_id) if record else None
        verdict = domain.judge(p, record, fact)
        snapshot = None
        if record is not None and record.point_in_time is not None:
            snapshot = await aws.snapshot_at(place, p.source_server_id, record.point_in_time)
        running = fact.launched_at if fact is not None and fact.state == "running" else None
        item = DrillInstance(
            source_server_id=p.source_server_id,
            account_id=place.account_id,
            region=place.region,
            job_id=job.job_id,
            recovery_instance_id=p.recovery_instance_id,
            ec2_instance_id=record.ec2_instance_id if record else None,
            snapshot_id=snapshot,
            snapshot_time=record.point_in_time if record else None,
            recovery_started_at=job.created,
            instance_running_at=running,
            recovery_seconds=domain.recovery_seconds(job.created, running),
            ec2_state=fact.state if fact else None,
            instance_status=fact.instance_status if fact else None,
            system_status=fact.system_status if fact else None,
            check="passed" if verdict.passed else "failed",
            reason=verdict.reason,
            facts=_facts(job, record),
        )
        out.append((item, verdict.settled))
    return out


def _facts(job: LaunchJob, record: DrillRecord | None) -> tuple[str, ...]:
    facts = [f"{job.job_id}: {job.job_type} initiated by {job.initiated_by}"]
    if record is not None:
        facts.append(
            f"{record.recovery_instance_id}: isDrill={record.is_drill}, jobID={record.job_id}, "
            f"EC2 {record.ec2_instance_id} {record.ec2_state}"
        )
    return tuple(f[:256] for f in facts)
