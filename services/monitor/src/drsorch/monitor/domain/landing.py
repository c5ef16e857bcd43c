"""Where each server of a completed job landed, and whether that is where it should be.

A launch into an existing instance is proven from DRS's and EC2's own state, never
from the plan alone: DRS reports the server LAUNCHED, its recovery instance is the
approved target, DRS's lineage record for the server is still the one the target was
chosen by, the job log names no other instance, and EC2 shows that instance kept its
private IP and had its volumes replaced. A standard launch is proven by LAUNCHED and
the new instance's ID, and the instance is no existing one opened to launches into it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pydantic import ValidationError

from drsorch.contracts import ServerLaunch
from drsorch.contracts.events import ServerOutcome
from drsorch.monitor.domain.facts import (
    Instance,
    JobLog,
    Participant,
    RecoveryInstance,
    RecoveryJob,
)
from drsorch.monitor.domain.records import Member

LAUNCH_INTO_TAG = "AWSDRS=AllowLaunchingIntoThisInstance"


@dataclass(frozen=True)
class Lineage:
    """What DRS recorded of a server's origin when it was paired, and what it says now."""

    named: str | None
    """The instance the server's lineage leads to (the pair's lineage instance)."""
    recorded: str | None
    """`awsInstanceID` as discovery read it, on which the pair rests."""
    now: str | None
    """`awsInstanceID` as DRS records it when the job completed."""


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


@dataclass(frozen=True)
class Landing:
    """One server's line of a JobCompleted, and the report's verdict on it."""

    launch: ServerLaunch
    outcome: ServerOutcome
    reason: str | None


def server_launch(
    member: Member,
    *,
    job: RecoveryJob,
    instances: Iterable[RecoveryInstance],
    ec2: Mapping[str, Instance],
    log: JobLog,
    private_ip_before: str | None,
    lineage: Lineage | None = None,
) -> Landing:
    """Where DRS and EC2 say the server landed, judged against where it had to land.

    `lineage` is DRS's origin record for the server then and now (a failback's pair):
    a record that changed since the pair was made leaves the landing unproven. A launch
    into an instance is proven only when DRS's recovery instance is the approved target,
    the job log names no other one, EC2 shows it kept its private IP, and its volumes
    were replaced by the launch.
    """
    participant = next(
        (p for p in job.participants if p.source_server_id == member.launching_server_id), None
    )
    status = participant.launch_status if participant else "FAILED"
    recovery = instance_for(participant, job.job_id, instances) if status == "LAUNCHED" else None
    ec2_id = recovery.ec2_instance_id if recovery else None
    seen = ec2.get(ec2_id) if ec2_id else None
    expected = member.expected_instance_id
    reason = log.failures.get(member.launching_server_id)
    if participant is None:
        reason = f"DRS did not list {member.launching_server_id} in job {job.job_id}"
    elif status != "LAUNCHED" and reason is None:
        reason = f"DRS reported launchStatus {status} and logged no reason"
    proof, problem = _proof(
        member, recovery=recovery, seen=seen, log=log, lineage=lineage, ip_before=private_ip_before
    )
    replaced = _replaced(member.volumes_before, seen) if expected else None
    try:
        launch = ServerLaunch(
            source_server_id=member.launching_server_id,
            launch_status=status,  # type: ignore[arg-type]  # DRS's enum, as the contract spells it
            recovery_instance_id=(recovery.recovery_instance_id if recovery else None)
            or (participant.recovery_instance_id if participant else None),
            ec2_instance_id=ec2_id,
            expected_instance_id=expected,
            lineage_instance_id=lineage.named if lineage else None,
            launched_into_expected=status == "LAUNCHED"
            and expected is not None
            and ec2_id == expected,
            private_ip_before=private_ip_before,
            private_ip_after=seen.private_ip if seen else None,
            failure_reason=reason[:1024] if reason and status != "LAUNCHED" else None,
            volumes_replaced=replaced,
            proof=tuple(f[:256] for f in proof[:10]),
        )
    except ValidationError as exc:
        return unreadable_landing(member, status, exc)
    verdict, why = outcome(launch)
    if verdict == "recovered" and problem is not None:
        verdict, why = "recovered_elsewhere", problem
    return Landing(launch, verdict, why)


def unreadable_landing(member: Member, status: str, error: ValidationError) -> Landing:
    """A server whose DRS or EC2 record drsorch cannot carry: its landing is not proven.

    The record's fault and the server are named; a launch DRS may have made cannot be
    told to be where it belongs, so it fails the request like any unproven landing.
    """
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "record"
    why = (
        f"DRS or EC2 reports {where} of source server {member.launching_server_id} out of"
        f" range for drsorch: {first['msg']} (launchStatus {str(status)[:40]!r});"
        " its landing cannot be proven"
    )[:1024]
    launched = status == "LAUNCHED"
    launch = ServerLaunch(
        source_server_id=member.launching_server_id,
        launch_status="LAUNCHED" if launched else "FAILED",
        # The approved target, never a lineage DRS reported out of range.
        expected_instance_id=member.expected_instance_id,
        failure_reason=None if launched else why,
        proof=(why[:256],),
    )
    return Landing(launch, "recovered_elsewhere" if launched else "failed", why)


def _proof(
    member: Member,
    *,
    recovery: RecoveryInstance | None,
    seen: Instance | None,
    log: JobLog,
    lineage: Lineage | None,
    ip_before: str | None,
) -> tuple[list[str], str | None]:
    """The facts a landing rests on, and the first that contradicts it, if any."""
    facts: list[str] = []
    problem: str | None = None
    if recovery is not None:
        facts.append(
            f"DRS: recovery instance {recovery.recovery_instance_id} is EC2 "
            f"{recovery.ec2_instance_id or 'unknown'} (job {recovery.job_id or '?'})"
        )
    logged = log.launched_into.get(member.launching_server_id)
    if logged is not None:
        facts.append(f"DRS job log: LAUNCH_START into {logged}")
        if recovery is not None and logged != recovery.ec2_instance_id:
            problem = (
                f"DRS logged the launch into {logged}, but its recovery instance is "
                f"{recovery.ec2_instance_id}"
            )
    approved = member.expected_instance_id
    if lineage is not None and approved is not None:
        found, contradiction = _lineage_fact(lineage, approved)
        facts.extend(found)
        problem = problem or contradiction
    if seen is not None and approved is None and seen.allows_launch_into:
        # DRS never launches a standard launch into an instance that exists already.
        problem = problem or (
            f"a standard launch was approved, but DRS landed it in {seen.instance_id},"
            f" an existing instance tagged {LAUNCH_INTO_TAG}"
        )
    if seen is not None and approved is not None:
        facts.append(f"EC2: {seen.instance_id} is {seen.state}, private IP {seen.private_ip}")
        replaced = _replaced(member.volumes_before, seen)
        if replaced is False:
            problem = problem or f"EC2 shows the volumes of {seen.instance_id} were not replaced"
        elif replaced:
            facts.append(f"EC2: volumes replaced ({', '.join(seen.volume_ids)[:120]})")
    if ip_before is not None and seen is not None and seen.private_ip == ip_before:
        facts.append(f"EC2: private IP {ip_before} kept")
    return facts, problem


def _lineage_fact(lineage: Lineage, approved: str) -> tuple[list[str], str | None]:
    """The lineage fact a landing rests on, or the one that contradicts it."""
    then, now = lineage.recorded, lineage.now
    if now != then:
        return [], (
            "DRS's lineage record of the server changed since it was paired:"
            f" awsInstanceID was {then or 'none'}, is now {now or 'none'}"
        )
    if lineage.named is not None and lineage.named != approved:
        return [], f"the approved target {approved} is not {lineage.named}, where lineage leads"
    if now == approved:
        return [f"DRS lineage: the server's awsInstanceID is {now}"], None
    return [f"DRS lineage: awsInstanceID still {now or 'none'}, which leads to {approved}"], None


def _replaced(before: tuple[str, ...], seen: Instance | None) -> bool | None:
    """Were the volumes seen before the launch all replaced? None when unknown."""
    if not before or seen is None or not seen.volume_ids:
        return None
    return not set(before) & set(seen.volume_ids)


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
