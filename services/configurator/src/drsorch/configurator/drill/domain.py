"""Pure decisions of a drill: is an instance verified, and is a recovery instance the drill's.

`not_the_drills` is the clean-up's one gate: a recovery instance is terminated only when
DRS ties it to one of the drill's own jobs on every count (a drill record, launched by a
START_DRILL LAUNCH job of this request that lists it, whose log shows a standard launch
of its server). Anything else of the same servers (a production recovery instance, an
earlier drill, a launch into an existing instance) is left, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from drsorch.configurator.drill.ports import DrillRecord, InstanceFacts, LaunchJob, Participant

OK = "ok"
SETTLING = frozenset({"initializing", "insufficient-data"})


@dataclass(frozen=True)
class Judgement:
    """One drill launch's check: passed, failed (with why), or not settled yet."""

    passed: bool
    settled: bool
    reason: str | None = None


def judge(
    participant: Participant, record: DrillRecord | None, facts: InstanceFacts | None
) -> Judgement:
    """Whether EC2 shows the drill instance running with both status checks ok."""
    name = participant.source_server_id
    if participant.launch_status in ("PENDING", "IN_PROGRESS"):
        return Judgement(False, False, f"{name}: DRS still launches it")
    if participant.launch_status != "LAUNCHED" or record is None:
        return Judgement(False, True, f"{name}: DRS reports the launch {participant.launch_status}")
    if not record.is_drill:
        return Judgement(False, True, f"{record.recovery_instance_id} is not a drill instance")
    if facts is None:
        return Judgement(False, True, f"EC2 does not list {record.ec2_instance_id}")
    return _checks(facts)


def _checks(facts: InstanceFacts) -> Judgement:
    """EC2's word on a launched drill instance: running, and both status checks ok."""
    if facts.state == "pending":
        return Judgement(False, False, f"{facts.instance_id} is pending")
    if facts.state != "running":
        return Judgement(False, True, f"{facts.instance_id} is {facts.state}, not running")
    checks = (facts.instance_status, facts.system_status)
    if all(check == OK for check in checks):
        return Judgement(True, True)
    settling = any(check is None or check in SETTLING for check in checks)
    why = f"{facts.instance_id} status checks: instance {checks[0]}, system {checks[1]}"
    return Judgement(False, not settling, why)


def recovery_seconds(started: datetime | None, running: datetime | None) -> int | None:
    """StartRecovery (the job's creation) to the instance running (EC2's launch time)."""
    if started is None or running is None:
        return None
    return max(0, int((running - started).total_seconds()))


def not_the_drills(
    record: DrillRecord,
    jobs: Mapping[str, LaunchJob],
    launches: Mapping[str, Mapping[str, str | None]],
) -> str | None:
    """Why DRS does not tie this recovery instance to the drill; None when it does.

    `jobs` are the drill's own jobs as DescribeJobs lists them (by job ID); `launches`
    the servers each job's log shows launched, with the instance launched into if any.
    """
    ri = record.recovery_instance_id
    if not record.is_drill:
        return f"{ri} is a recovery launch, not a drill: never terminated by a drill"
    job = jobs.get(record.job_id or "")
    if job is None:
        return f"{ri} was launched by {record.job_id}, not by one of this drill's jobs"
    if job.job_type != "LAUNCH" or job.initiated_by != "START_DRILL":
        return f"{job.job_id} is a {job.job_type} job initiated by {job.initiated_by}"
    return _in_job(record, job, launches.get(job.job_id, {}))


def _in_job(record: DrillRecord, job: LaunchJob, logged: Mapping[str, str | None]) -> str | None:
    """Why the drill's job does not show it launched this instance; None when it does."""
    ri, server = record.recovery_instance_id, record.source_server_id
    listed = any(
        p.source_server_id == server and p.recovery_instance_id == ri for p in job.participants
    )
    if not listed:
        return f"{job.job_id} does not list {ri} for {server}"
    if server not in logged:
        return f"{job.job_id}'s log shows no launch of {server}"
    into = logged[server]
    if into is not None:
        return f"{job.job_id} launched into the existing instance {into}: never terminated"
    return None
