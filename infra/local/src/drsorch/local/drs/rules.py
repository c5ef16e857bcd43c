"""Pure decisions DRS makes: launch-into targets, quotas, readiness. No state is changed here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drsorch.local.drs.ec2_port import InstanceView
from drsorch.local.drs.errors import ConflictError, ServiceQuotaExceededError
from drsorch.local.drs.settings import Quotas
from drsorch.local.drs.state import NOT_READY_TO_LAUNCH, Job

LAUNCH_INTO_TAG_KEY = "AWSDRS"
LAUNCH_INTO_TAG_VALUE = "AllowLaunchingIntoThisInstance"

QUOTA_SERVERS_PER_JOB = "L-B827C881"
QUOTA_CONCURRENT_JOBS = "L-D88FAC3A"
QUOTA_SERVERS_IN_ACTIVE_JOBS = "L-05AFA8C6"
QUOTA_REPLICATING_SERVERS = "L-C1D14A2B"
QUOTA_SOURCE_SERVERS = "L-E28BE5E0"


def launch_into_target_problem(
    target_id: str, target: InstanceView | None, architecture: str, region: str
) -> str | None:
    """Why a launch-configuration may not name this instance (None when it may).

    Checked by UpdateLaunchConfiguration: the instance exists in the same account and
    region and its architecture matches the source server's.
    """
    if target is None or target.state == "terminated":
        return f"EC2 instance {target_id} was not found in this account in {region}"
    if target.architecture != architecture:
        return (
            f"EC2 instance {target_id} cannot be a launch-into target: "
            f"configuration mismatch (Architecture: {target.architecture}, "
            f"source server: {architecture})"
        )
    return None


def launch_into_launch_problem(
    target_id: str, target: InstanceView | None, architecture: str, region: str
) -> str | None:
    """Why DRS cannot launch into this instance now (None when it can).

    At launch time the target must also be stopped and carry the
    AWSDRS=AllowLaunchingIntoThisInstance tag.
    """
    problem = launch_into_target_problem(target_id, target, architecture, region)
    if problem is not None or target is None:
        return problem
    if target.tags.get(LAUNCH_INTO_TAG_KEY) != LAUNCH_INTO_TAG_VALUE:
        return (
            f"Failed to launch into EC2 instance {target_id}: the instance is not tagged "
            f"{LAUNCH_INTO_TAG_KEY}={LAUNCH_INTO_TAG_VALUE}"
        )
    if target.state != "stopped":
        return (
            f"Failed to launch into EC2 instance {target_id}: the instance is {target.state}; "
            "it must be stopped"
        )
    return None


NOT_STOPPED_FOR_LAUNCH = frozenset({"pending", "running", "stopping"})
"""EC2 states in which StartRecovery refuses a launch-into target (ConflictException)."""


def not_stopped_message(target_id: str, state: str) -> str:
    """The words live DRS uses when a launch-into target is not stopped at StartRecovery."""
    return f"EC2 instance {target_id} needs to be in a stopped state but is in a {state} state"


def launch_into_source_problem(
    instance_id: str,
    instance: InstanceView | None,
    *,
    architecture: str,
    elsewhere: str | None,
) -> str | None:
    """Why launch into source instance cannot use this original (None when it can).

    The prerequisites DRS checks when it creates a reverse-direction source server while
    the origin region's template has launchIntoSourceInstance: the original exists,
    is not terminated (it can be stopped), is in the same account and region
    (`elsewhere` says where it is when not), carries the AWSDRS tag, and its
    architecture matches the source server's.
    """
    if elsewhere is not None:
        return f"the source instance {instance_id} is in {elsewhere}"
    if instance is None or instance.state in {"terminated", "shutting-down"}:
        return f"the source instance {instance_id} was not found"
    if instance.tags.get(LAUNCH_INTO_TAG_KEY) != LAUNCH_INTO_TAG_VALUE:
        return (
            f"the source instance {instance_id} is not tagged "
            f"{LAUNCH_INTO_TAG_KEY}={LAUNCH_INTO_TAG_VALUE}"
        )
    if instance.architecture != architecture:
        return (
            f"the source instance {instance_id} does not match the source server "
            f"(Architecture: {instance.architecture}, source server: {architecture})"
        )
    return None


def not_ready_reason(replication_state: str) -> str | None:
    """Why a server has no recovery point to launch from (None when it has one)."""
    if replication_state not in NOT_READY_TO_LAUNCH:
        return None
    if replication_state in {"INITIATING", "INITIAL_SYNC"}:
        return "Instance not launched because server lifecycle state is not READY_FOR_TEST"
    return f"Instance not launched because data replication is {replication_state}"


@dataclass(frozen=True)
class JobRequest:
    """The servers a new job would take."""

    source_server_ids: Sequence[str]


def check_job_quotas(quotas: Quotas, active_jobs: Sequence[Job], request: JobRequest) -> None:
    """Raise as DRS does when a new job would break a quota or reuse a busy server.

    Order: servers per job, a server already in an active job (409), concurrent
    jobs, servers across active jobs.
    """
    count = len(request.source_server_ids)
    if count > quotas.servers_per_job:
        raise ServiceQuotaExceededError(
            f"A job may include at most {quotas.servers_per_job} source servers "
            f"({count} requested)",
            quota_code=QUOTA_SERVERS_PER_JOB,
            resource_type="SOURCE_SERVER",
        )
    busy = {
        slot.source_server_id: job.job_id
        for job in active_jobs
        for slot in job.participants.values()
    }
    for server_id in request.source_server_ids:
        if server_id in busy:
            raise ConflictError(
                f"Source server {server_id} is already part of active job {busy[server_id]}",
                resource_id=server_id,
                resource_type="SOURCE_SERVER",
            )
    if len(active_jobs) + 1 > quotas.concurrent_jobs:
        raise ServiceQuotaExceededError(
            f"At most {quotas.concurrent_jobs} jobs may be active at once",
            quota_code=QUOTA_CONCURRENT_JOBS,
            resource_type="JOB",
        )
    if len(busy) + count > quotas.servers_in_active_jobs:
        raise ServiceQuotaExceededError(
            f"At most {quotas.servers_in_active_jobs} source servers may be in active jobs "
            f"({len(busy)} already are, {count} requested)",
            quota_code=QUOTA_SERVERS_IN_ACTIVE_JOBS,
            resource_type="SOURCE_SERVER",
        )


def recovery_instance_tags(
    source_server_id: str, hostname: str, source_tags: dict[str, str], *, copy_tags: bool
) -> dict[str, str]:
    """The tags DRS puts on an instance it launches (source tags first when copyTags)."""
    copied = {k: v for k, v in source_tags.items() if not k.startswith("aws:")} if copy_tags else {}
    return {
        "Name": hostname,
        **copied,
        "AWSElasticDisasterRecoveryManaged": "drs.amazonaws.com",
        "AWSElasticDisasterRecoverySourceServerID": source_server_id,
    }
