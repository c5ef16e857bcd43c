"""Job operations: StartRecovery, TerminateRecoveryInstances, DescribeJobs, DescribeJobLogItems."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from drsorch.local.drs import agents, jobs, paging, rules, snapshots, views
from drsorch.local.drs.clock import parse_iso
from drsorch.local.drs.context import OpContext, Operation
from drsorch.local.drs.errors import ConflictError, ValidationError
from drsorch.local.drs.recovery_view import reversed_server
from drsorch.local.drs.state import NOT_REPLICATING, Job, ParticipatingServer, SourceServer


def _unique_known(ids: Sequence[str], known: Mapping[str, object], field: str, what: str) -> None:
    problems = []
    seen: set[str] = set()
    for index, item_id in enumerate(ids):
        if item_id in seen:
            problems.append((f"{field}[{index}]", f"{what} {item_id} is listed twice"))
        elif item_id not in known:
            problems.append((f"{field}[{index}]", f"{what} {item_id} not found"))
        seen.add(item_id)
    if problems:
        raise ValidationError(f"Invalid {what}s", fields=problems)


def start_recovery(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """StartRecovery: a drill or recovery LAUNCH job, within quotas."""
    state = ctx.state
    requested = params["sourceServers"]
    ids = [item["sourceServerID"] for item in requested]
    _unique_known(ids, state.servers, "sourceServers", "source server")
    rules.check_job_quotas(ctx.emu.settings.quotas, state.active_jobs(), rules.JobRequest(ids))
    is_drill = bool(params.get("isDrill", False))
    servers = [state.servers[server_id] for server_id in ids]
    chosen = _chosen_snapshots(ctx, requested)
    if not is_drill:
        _check_launch_into_targets_stopped(ctx, servers)
    agents.observe(ctx.emu, state, servers, ctx.now_ms)
    job = jobs.create(
        ctx.emu,
        state,
        job_type="LAUNCH",
        initiated_by="START_DRILL" if is_drill else "START_RECOVERY",
        is_drill=is_drill,
        slots=[ParticipatingServer(server_id) for server_id in ids],
        tags=params.get("tags") or {},
        snapshot_ids={server_id: snap.snapshot_id for server_id, snap in chosen.items()},
        snapshot_ms={server_id: snap.at_ms for server_id, snap in chosen.items()},
    )
    return {"job": views.job(job)}


def _chosen_snapshots(
    ctx: OpContext, requested: Sequence[Mapping[str, Any]]
) -> dict[str, snapshots.Snapshot]:
    """The recovery snapshots asked for, each one the server's own and still held.

    Which error live DRS gives for a snapshot that is not the server's is not documented
    (StartRecovery models no ValidationException); the emulator answers
    ValidationException, naming the field (README, deviations).
    """
    chosen: dict[str, snapshots.Snapshot] = {}
    problems = []
    for index, item in enumerate(requested):
        wanted = item.get("recoverySnapshotID")
        if not wanted:
            continue
        server = ctx.state.servers[item["sourceServerID"]]
        snap = snapshots.find(ctx.account_id, ctx.region, server, wanted, ctx.now_ms)
        if snap is None:
            problems.append(
                (
                    f"sourceServers[{index}].recoverySnapshotID",
                    f"recovery snapshot {wanted} of {server.source_server_id} not found",
                )
            )
        else:
            chosen[server.source_server_id] = snap
    if problems:
        raise ValidationError("Invalid recovery snapshots", fields=problems)
    return chosen


def _check_launch_into_targets_stopped(ctx: OpContext, servers: Sequence[SourceServer]) -> None:
    """ConflictException, as live DRS answers, when a launch-into target is not stopped.

    A target stopped now and started before its launch still fails the launch later.
    """
    targets = {s.source_server_id: s.launch.launch_into_instance_id for s in servers}
    wanted = [target for target in targets.values() if target]
    if not wanted:
        return
    seen = ctx.emu.ec2.describe(ctx.account_id, ctx.region, wanted)
    for server_id, target_id in targets.items():
        instance = seen.get(target_id or "")
        if instance is not None and instance.state in rules.NOT_STOPPED_FOR_LAUNCH:
            raise ConflictError(
                rules.not_stopped_message(target_id or "", instance.state),
                resource_id=server_id,
                resource_type="SOURCE_SERVER",
            )


def terminate_recovery_instances(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """TerminateRecoveryInstances: a TERMINATE job; refused while failback replication runs."""
    state = ctx.state
    ids = params["recoveryInstanceIDs"]
    _unique_known(ids, state.recovery_instances, "recoveryInstanceIDs", "recovery instance")
    instances = [state.recovery_instances[item] for item in ids]
    for instance in instances:
        back = reversed_server(ctx.emu, state, instance)
        if back is not None and back.replication.state not in NOT_REPLICATING:
            raise ConflictError(
                f"Recovery instance {instance.recovery_instance_id} cannot be terminated during "
                f"failback: stop replication of {back.source_server_id} first",
                resource_id=instance.recovery_instance_id,
                resource_type="RECOVERY_INSTANCE",
            )
    server_ids = [instance.source_server_id for instance in instances]
    rules.check_job_quotas(
        ctx.emu.settings.quotas, state.active_jobs(), rules.JobRequest(server_ids)
    )
    job = jobs.create(
        ctx.emu,
        state,
        job_type="TERMINATE",
        initiated_by="TERMINATE_RECOVERY_INSTANCES",
        is_drill=False,
        slots=[
            ParticipatingServer(i.source_server_id, recovery_instance_id=i.recovery_instance_id)
            for i in instances
        ],
        tags={},
    )
    return {"job": views.job(job)}


def _date_filter(filters: Mapping[str, Any], name: str) -> int | None:
    text = filters.get(name)
    if not text:
        return None
    try:
        return parse_iso(text)
    except ValueError as error:
        raise ValidationError(
            f"Invalid {name}", fields=[(f"filters.{name}", "is not an ISO-8601 date")]
        ) from error


def _job_matches(job: Job, ids: Sequence[str], since: int | None, until: int | None) -> bool:
    return (
        (not ids or job.job_id in ids)
        and (since is None or job.created_ms >= since)
        and (until is None or job.created_ms <= until)
    )


def describe_jobs(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeJobs: filtered, newest first, paginated."""
    filters = params.get("filters") or {}
    ids = filters.get("jobIDs") or []
    since, until = _date_filter(filters, "fromDate"), _date_filter(filters, "toDate")
    found = [job for job in ctx.state.jobs.values() if _job_matches(job, ids, since, until)]
    found.sort(key=lambda job: (job.created_ms, job.seq), reverse=True)
    scope = f"jobs:{sorted(ids)}:{since}:{until}"
    items, token = paging.page(found, params, ctx.emu.settings.paging, scope)
    return {"items": [views.job(job) for job in items]} | ({"nextToken": token} if token else {})


def describe_job_log_items(ctx: OpContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeJobLogItems: a job's log, oldest first, paginated."""
    job = ctx.state.jobs.get(params["jobID"])
    if job is None:
        raise ValidationError(f"Job {params['jobID']} not found", fields=[("jobID", "no such job")])
    items, token = paging.page(job.log, params, ctx.emu.settings.paging, f"log:{job.job_id}")
    return {"items": [views.job_log_item(item) for item in items]} | (
        {"nextToken": token} if token else {}
    )


OPERATIONS: dict[str, Operation] = {
    "StartRecovery": start_recovery,
    "TerminateRecoveryInstances": terminate_recovery_instances,
    "DescribeJobs": describe_jobs,
    "DescribeJobLogItems": describe_job_log_items,
}
