"""The failback pipeline's DRS and EC2 calls through aiobotocore (`PipelineCloud`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from drsorch.configurator.adapters.drs import PAGE, ClientFor, CountedDrs, parse_time
from drsorch.configurator.adapters.ec2 import Ec2Adapter
from drsorch.configurator.pipeline.ports import Held, JobOutcome, Launched
from drsorch.contracts.types import Place

JOB_IDS = 100  # DescribeJobs' jobIDs filter takes at most 100


def held(item: dict[str, Any]) -> Held:
    """A DescribeSourceServers item as the pipeline reads it."""
    hints = (item.get("sourceProperties") or {}).get("identificationHints") or {}
    staging = item.get("stagingArea") or {}
    replication = item.get("dataReplicationInfo") or {}
    return Held(
        source_server_id=str(item["sourceServerID"]),
        direction=item.get("replicationDirection"),
        aws_instance_id=hints.get("awsInstanceID"),
        state=replication.get("dataReplicationState"),
        extended=staging.get("status") == "EXTENDED",
        replicating_since=parse_time(
            (replication.get("dataReplicationInitiation") or {}).get("startDateTime")
        ),
    )


def launched(item: dict[str, Any]) -> Launched:
    """A DescribeRecoveryInstances item as the pipeline reads it."""
    return Launched(
        recovery_instance_id=str(item["recoveryInstanceID"]),
        source_server_id=str(item.get("sourceServerID", "")),
        ec2_instance_id=item.get("ec2InstanceID"),
        ec2_state=item.get("ec2InstanceState"),
        is_drill=bool(item.get("isDrill")),
        job_id=item.get("jobID"),
    )


def job_outcome(item: dict[str, Any]) -> JobOutcome:
    return JobOutcome(
        job_id=str(item["jobID"]),
        status=str(item.get("status", "")),
        launched=frozenset(
            str(p.get("sourceServerID"))
            for p in item.get("participatingServers") or []
            if p.get("launchStatus") == "LAUNCHED"
        ),
        created=parse_time(item.get("creationDateTime")),
    )


class PipelineAdapter(CountedDrs):
    """`PipelineCloud` over the real DRS and EC2 APIs; counts DRS calls by operation."""

    def __init__(self, client_for: ClientFor, calls: Counter[str]) -> None:
        super().__init__(client_for, calls)
        self._ec2 = Ec2Adapter(client_for)

    async def servers_in(self, place: Place) -> list[Held]:
        items = await self._pages(
            place, "DescribeSourceServers", "describe_source_servers", filters={}
        )
        return [held(item) for item in items]

    async def recovery_instances(self, place: Place, server_ids: Sequence[str]) -> list[Launched]:
        found: list[Launched] = []
        wanted = list(dict.fromkeys(server_ids))
        for start in range(0, len(wanted), PAGE):
            items = await self._pages(
                place,
                "DescribeRecoveryInstances",
                "describe_recovery_instances",
                filters={"sourceServerIDs": wanted[start : start + PAGE]},
            )
            found.extend(map(launched, items))
        return found

    async def jobs(self, place: Place, job_ids: Sequence[str]) -> dict[str, JobOutcome]:
        found: dict[str, JobOutcome] = {}
        wanted = list(dict.fromkeys(job_ids))
        for start in range(0, len(wanted), JOB_IDS):
            items = await self._pages(
                place,
                "DescribeJobs",
                "describe_jobs",
                filters={"jobIDs": wanted[start : start + JOB_IDS]},
            )
            found |= {job.job_id: job for job in map(job_outcome, items)}
        return found

    async def instance_states(self, place: Place, ec2_ids: Sequence[str]) -> dict[str, str]:
        seen = await self._ec2.instances(place, ec2_ids)
        return {instance_id: instance.state for instance_id, instance in seen.items()}

    async def stop_replication(self, place: Place, server_id: str) -> None:
        await self._call(place, "StopReplication", "stop_replication", sourceServerID=server_id)
