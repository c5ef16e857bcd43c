"""A drill's DRS and EC2 calls through aiobotocore (`DrillAws`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drsorch.configurator.adapters.drs import parse_time
from drsorch.configurator.adapters.errors import translate
from drsorch.configurator.adapters.roundtrip import RoundTripDrsAdapter
from drsorch.configurator.drill.ports import DrillRecord, InstanceFacts, LaunchJob, Participant
from drsorch.contracts.types import Place

MAX_JOB_IDS = 1000  # DescribeJobs filters.jobIDs
MAX_SERVER_IDS = 200  # DescribeRecoveryInstances, as the other filters
MAX_INSTANCE_IDS = 100  # DescribeInstanceStatus per call (EC2 caps it at 100)
ISO = "%Y-%m-%dT%H:%M:%S.%f"


def drs_time(moment: datetime) -> str:
    """A time as DRS writes it (milliseconds, Z)."""
    return moment.astimezone(UTC).strftime(ISO)[:-3] + "Z"


def _job(item: dict[str, Any]) -> LaunchJob:
    return LaunchJob(
        job_id=item["jobID"],
        job_type=str(item.get("type", "")),
        initiated_by=str(item.get("initiatedBy", "")),
        status=str(item.get("status", "")),
        created=parse_time(item.get("creationDateTime")),
        participants=tuple(
            Participant(
                source_server_id=str(p.get("sourceServerID", "")),
                recovery_instance_id=p.get("recoveryInstanceID"),
                launch_status=str(p.get("launchStatus", "")),
            )
            for p in item.get("participatingServers") or []
        ),
    )


class DrillAwsAdapter(RoundTripDrsAdapter):
    """`DrillAws` over the real DRS and EC2 APIs; counts every DRS call by operation."""

    async def jobs(self, place: Place, job_ids: Sequence[str]) -> list[LaunchJob]:
        found: list[LaunchJob] = []
        wanted = list(dict.fromkeys(job_ids))
        for start in range(0, len(wanted), MAX_JOB_IDS):
            part = wanted[start : start + MAX_JOB_IDS]
            items = await self._pages(
                place, "DescribeJobs", "describe_jobs", filters={"jobIDs": part}
            )
            found.extend(_job(item) for item in items if item.get("jobID") in set(part))
        return found

    async def launch_targets(self, place: Place, job_id: str) -> dict[str, str | None]:
        items = await self._pages(
            place, "DescribeJobLogItems", "describe_job_log_items", jobID=job_id
        )
        launched: dict[str, str | None] = {}
        for item in items:
            data = item.get("eventData") or {}
            server = data.get("sourceServerID")
            if item.get("event") == "LAUNCH_START" and server:
                launched[str(server)] = data.get("targetInstanceID") or None
        return launched

    async def drill_records(self, place: Place, server_ids: Sequence[str]) -> list[DrillRecord]:
        found: list[DrillRecord] = []
        wanted = list(dict.fromkeys(server_ids))
        for start in range(0, len(wanted), MAX_SERVER_IDS):
            items = await self._pages(
                place,
                "DescribeRecoveryInstances",
                "describe_recovery_instances",
                filters={"sourceServerIDs": wanted[start : start + MAX_SERVER_IDS]},
            )
            found.extend(
                DrillRecord(
                    recovery_instance_id=item["recoveryInstanceID"],
                    source_server_id=str(item.get("sourceServerID", "")),
                    ec2_instance_id=str(item.get("ec2InstanceID", "")),
                    ec2_state=str(item.get("ec2InstanceState", "")),
                    is_drill=bool(item.get("isDrill")),
                    job_id=item.get("jobID"),
                    point_in_time=parse_time(item.get("pointInTimeSnapshotDateTime")),
                )
                for item in items
            )
        return found

    async def snapshot_at(self, place: Place, server_id: str, at: datetime) -> str | None:
        stamp = drs_time(at)
        page = await self._call(
            place,
            "DescribeRecoverySnapshots",
            "describe_recovery_snapshots",
            sourceServerID=server_id,
            filters={"fromDateTime": stamp, "toDateTime": stamp},
            maxResults=10,
        )
        for item in page.get("items", []):
            if parse_time(item.get("timestamp")) == at:
                return str(item["snapshotID"])
        return None

    async def instances(self, place: Place, ids: Sequence[str]) -> dict[str, InstanceFacts]:
        wanted = [i for i in dict.fromkeys(ids) if i]
        if not wanted:
            return {}
        client = await self._client_for("ec2", place)
        try:
            # A filter, not InstanceIds: an ID EC2 no longer knows is absent, not an error.
            pages = client.get_paginator("describe_instances").paginate(
                Filters=[{"Name": "instance-id", "Values": wanted}]
            )
            seen = {
                i["InstanceId"]: i
                async for page in pages
                for r in page.get("Reservations", [])
                for i in r.get("Instances", [])
            }
            checks: dict[str, dict[str, Any]] = {}
            running = [i for i, item in seen.items() if item["State"]["Name"] == "running"]
            for start in range(0, len(running), MAX_INSTANCE_IDS):
                answer = await client.describe_instance_status(
                    InstanceIds=running[start : start + MAX_INSTANCE_IDS]
                )
                checks |= {s["InstanceId"]: dict(s) for s in answer.get("InstanceStatuses", [])}
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, "DescribeInstances", place) from exc
        return {
            instance_id: InstanceFacts(
                instance_id=instance_id,
                state=str(item["State"]["Name"]),
                launched_at=parse_time(item.get("LaunchTime")),
                instance_status=(checks.get(instance_id, {}).get("InstanceStatus") or {}).get(
                    "Status"
                ),
                system_status=(checks.get(instance_id, {}).get("SystemStatus") or {}).get("Status"),
            )
            for instance_id, item in seen.items()
        }
