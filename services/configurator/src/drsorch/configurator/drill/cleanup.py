"""The clean-up: terminate what DRS ties to the drill, each batch's intent recorded first,
then prove from DRS and EC2 that none of it is left."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from drsorch.configurator.drill import domain
from drsorch.configurator.drill.ports import DrillAws
from drsorch.configurator.drill.records import Cleanup, JobRef, Target
from drsorch.configurator.drill.verify import by_place
from drsorch.configurator.errors import ConfiguratorError, Transient
from drsorch.configurator.roundtrip.ports import RoundTripStore
from drsorch.configurator.roundtrip.retire_apply import TerminateIntent
from drsorch.contracts import CleanedInstance
from drsorch.contracts.types import Place

BATCH = 100  # recovery instances per TerminateRecoveryInstances (DRS's job limit)
GONE = frozenset({"TERMINATED", "SHUTTING-DOWN", "NOT_FOUND"})
EC2_GONE = frozenset({"terminated", "shutting-down"})
RECONCILED = "already-terminated"


async def targets(aws: DrillAws, jobs: Sequence[JobRef]) -> tuple[list[Target], list[str]]:
    """The recovery instances DRS ties to the drill's jobs, and the others left (with why)."""
    chosen: list[Target] = []
    left: list[str] = []
    for place, refs in sorted(by_place(jobs).items(), key=lambda kv: str(kv[0])):
        found = {job.job_id: job for job in await aws.jobs(place, [r.job_id for r in refs])}
        launches = {job_id: await aws.launch_targets(place, job_id) for job_id in found}
        server_ids = sorted({s for ref in refs for s in ref.source_server_ids})
        for record in await aws.drill_records(place, server_ids):
            why = domain.not_the_drills(record, found, launches)
            if why is not None:
                left.append(why)
                continue
            chosen.append(
                Target(
                    source_server_id=record.source_server_id,
                    account_id=place.account_id,
                    region=place.region,
                    recovery_instance_id=record.recovery_instance_id,
                    ec2_instance_id=record.ec2_instance_id,
                    launch_job_id=record.job_id or "",
                    gone_before=record.ec2_state in GONE,
                )
            )
    return sorted(chosen, key=lambda t: t.recovery_instance_id), sorted(left)


async def terminate(
    cleanup: Cleanup, aws: DrillAws, store: RoundTripStore, drill_id: str, now: datetime
) -> None:
    """TerminateRecoveryInstances in batches; each batch's intent is written before its call
    and, found written without a job after a crash, reconciled with DRS before any call."""
    by: defaultdict[Place, list[Target]] = defaultdict(list)
    for target in cleanup.targets:
        if not target.gone_before:
            by[Place(target.account_id, target.region)].append(target)
    for place, items in sorted(by.items(), key=lambda kv: str(kv[0])):
        for start in range(0, len(items), BATCH):
            name = f"drill-terminate#{place.account_id}#{place.region}#{start // BATCH}"
            if name not in cleanup.batches:
                cleanup.batches.append(name)
            ids = [t.recovery_instance_id for t in items[start : start + BATCH]]
            await _batch(
                cleanup, aws, store, drill_id=drill_id, name=name, place=place, ids=ids, now=now
            )


async def _batch(
    cleanup: Cleanup,
    aws: DrillAws,
    store: RoundTripStore,
    *,
    drill_id: str,
    name: str,
    place: Place,
    ids: list[str],
    now: datetime,
) -> None:
    intent = TerminateIntent(
        account_id=place.account_id, region=place.region, recovery_instance_ids=ids, recorded_at=now
    )
    if not await store.claim(drill_id, name, intent.model_dump_json()):
        stored = await store.load(drill_id, name)
        intent = TerminateIntent.model_validate_json(stored or intent.model_dump_json())
        if intent.job_id is None:
            intent.job_id = await _reconcile(aws, place, intent)
    if intent.job_id is None:
        try:
            intent.job_id = await aws.terminate_recovery_instances(place, ids)
        except Transient:
            raise
        except ConfiguratorError as exc:
            for ri in ids:
                cleanup.failed[ri] = str(exc)[:1024]
            return
    await store.save(drill_id, name, intent.model_dump_json())


async def _reconcile(aws: DrillAws, place: Place, intent: TerminateIntent) -> str | None:
    """A batch recorded but not known to be called: the TERMINATE job DRS has for it, if any."""
    wanted = set(intent.recovery_instance_ids)
    for job in await aws.jobs_since(place, intent.recorded_at - timedelta(minutes=5)):
        if job.job_type == "TERMINATE" and job.recovery_instance_ids & wanted:
            return job.job_id
    return None


async def intents(
    store: RoundTripStore, drill_id: str, names: Sequence[str]
) -> list[TerminateIntent]:
    found = []
    for name in names:
        stored = await store.load(drill_id, name)
        if stored is not None:
            found.append(TerminateIntent.model_validate_json(stored))
    return found


async def jobs_done(aws: DrillAws, batches: Sequence[TerminateIntent]) -> bool:
    """Whether DRS shows every TERMINATE job of the clean-up COMPLETED."""
    by: defaultdict[Place, list[str]] = defaultdict(list)
    for intent in batches:
        if intent.job_id not in (None, RECONCILED):
            by[Place(intent.account_id, intent.region)].append(intent.job_id or "")
    for place, job_ids in by.items():
        statuses = {job.job_id: job.status for job in await aws.jobs(place, job_ids)}
        if any(statuses.get(job_id) != "COMPLETED" for job_id in job_ids):
            return False
    return True


async def prove(
    cleanup: Cleanup, aws: DrillAws, batches: Sequence[TerminateIntent]
) -> list[CleanedInstance]:
    """Each target as DRS and EC2 show it now: no record left, its instance terminated."""
    job_of = {ri: i.job_id for i in batches for ri in i.recovery_instance_ids}
    by: defaultdict[Place, list[Target]] = defaultdict(list)
    for target in cleanup.targets:
        by[Place(target.account_id, target.region)].append(target)
    proven: list[CleanedInstance] = []
    for place, items in sorted(by.items(), key=lambda kv: str(kv[0])):
        records = await aws.drill_records(place, sorted({t.source_server_id for t in items}))
        live = {r.recovery_instance_id for r in records if r.ec2_state not in GONE}
        ec2 = await aws.instances(place, sorted({t.ec2_instance_id for t in items}))
        for target in items:
            state = ec2[target.ec2_instance_id].state if target.ec2_instance_id in ec2 else None
            left = target.recovery_instance_id in live
            failed = cleanup.failed.get(target.recovery_instance_id)
            if failed or left or state not in (None, *EC2_GONE):
                outcome = "failed"
            else:
                outcome = "already_gone" if target.gone_before else "terminated"
            job_id = job_of.get(target.recovery_instance_id)
            proven.append(
                CleanedInstance(
                    source_server_id=target.source_server_id,
                    account_id=target.account_id,
                    region=target.region,
                    recovery_instance_id=target.recovery_instance_id,
                    ec2_instance_id=target.ec2_instance_id or None,
                    launch_job_id=target.launch_job_id,
                    terminate_job_id=job_id if job_id and job_id != RECONCILED else None,
                    outcome=outcome,  # type: ignore[arg-type]
                    drs_record_left=left,
                    ec2_state=state,
                    reason=failed
                    or (f"DRS still lists {target.recovery_instance_id}" if left else None)
                    or (
                        f"EC2 shows {target.ec2_instance_id} {state}"
                        if outcome == "failed"
                        else None
                    ),
                )
            )
    return proven
