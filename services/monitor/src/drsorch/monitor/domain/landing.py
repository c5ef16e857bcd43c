"""Where each server of a completed job landed, and whether that is where it should be.

A launch into an existing instance is proven only when DRS reports the server
LAUNCHED, its recovery instance is the expected EC2 instance, and that instance kept
its private IP. A standard launch is proven by LAUNCHED and the new instance's ID.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from drsorch.contracts import ServerLaunch
from drsorch.contracts.events import ServerOutcome
from drsorch.monitor.domain.facts import Instance, Participant, RecoveryInstance, RecoveryJob
from drsorch.monitor.domain.records import Member

FAILURE_EVENTS = frozenset(
    {
        "LAUNCH_FAILED",
        "SNAPSHOT_FAIL",
        "CONVERSION_FAIL",
        "CLEANUP_FAIL",
        "USING_PREVIOUS_SNAPSHOT_FAILED",
        "SERVER_SKIPPED",
        "UPDATE_LAUNCH_TEMPLATE_FAILED",
    }
)


def instance_for(
    participant: Participant | None, job_id: str, instances: Iterable[RecoveryInstance]
) -> RecoveryInstance | None:
    """The recovery instance this job made for the server: by ID, else by job."""
    if participant is None:
        return None
    candidates = [i for i in instances if i.source_server_id == participant.source_server_id]
    for instance in candidates:
        if instance.recovery_instance_id == participant.recovery_instance_id:
            return instance
    return next((i for i in candidates if i.job_id == job_id), None)


def server_launch(
    member: Member,
    *,
    job: RecoveryJob,
    instances: Iterable[RecoveryInstance],
    ec2: Mapping[str, Instance],
    failures: Mapping[str, str],
    private_ip_before: str | None,
) -> ServerLaunch:
    """One server's line of a JobCompleted."""
    participant = next(
        (p for p in job.participants if p.source_server_id == member.launching_server_id), None
    )
    status = participant.launch_status if participant else "FAILED"
    recovery = instance_for(participant, job.job_id, instances) if status == "LAUNCHED" else None
    ec2_id = recovery.ec2_instance_id if recovery else None
    seen = ec2.get(ec2_id) if ec2_id else None
    expected = member.expected_instance_id
    reason = failures.get(member.launching_server_id)
    if participant is None:
        reason = f"DRS did not list {member.launching_server_id} in job {job.job_id}"
    elif status != "LAUNCHED" and reason is None:
        reason = f"DRS reported launchStatus {status} and logged no reason"
    return ServerLaunch(
        source_server_id=member.launching_server_id,
        launch_status=status,  # type: ignore[arg-type]  # DRS's enum, as the contract spells it
        recovery_instance_id=(recovery.recovery_instance_id if recovery else None)
        or (participant.recovery_instance_id if participant else None),
        ec2_instance_id=ec2_id,
        expected_instance_id=expected,
        launched_into_expected=status == "LAUNCHED" and expected is not None and ec2_id == expected,
        private_ip_before=private_ip_before,
        private_ip_after=seen.private_ip if seen else None,
        failure_reason=reason[:1024] if reason and status != "LAUNCHED" else None,
    )


def outcome(launch: ServerLaunch) -> tuple[ServerOutcome, str | None]:
    """The report's outcome for one launch, and why when it is not plainly recovered."""
    if launch.launch_status != "LAUNCHED":
        return "failed", launch.failure_reason
    if launch.expected_instance_id is None:
        if launch.ec2_instance_id is None:
            return "recovered_elsewhere", "launched, but DRS names no EC2 instance for it"
        return "recovered", None
    if not launch.launched_into_expected:
        return (
            "recovered_elsewhere",
            f"launched as {launch.ec2_instance_id or 'an unknown instance'}, "
            f"not into {launch.expected_instance_id}",
        )
    return _private_ip_kept(launch)


def _private_ip_kept(launch: ServerLaunch) -> tuple[ServerOutcome, str | None]:
    before, after = launch.private_ip_before, launch.private_ip_after
    if after is None:
        return "recovered_elsewhere", f"landed in {launch.ec2_instance_id}; its IP is unreadable"
    if before is not None and before != after:
        return (
            "recovered_elsewhere",
            f"landed in {launch.ec2_instance_id}, but its private IP moved {before} -> {after}",
        )
    return "recovered", None


def failure_reasons(log: Iterable[tuple[str, str | None, str | None]]) -> dict[str, str]:
    """The last failure DRS logged for each server: (event, sourceServerID, rawError) items."""
    reasons: dict[str, str] = {}
    for event, server_id, raw_error in log:
        if event in FAILURE_EVENTS and server_id:
            reasons[server_id] = f"{event}: {raw_error}" if raw_error else event
    return reasons
