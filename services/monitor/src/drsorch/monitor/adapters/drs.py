"""DRS in one account and region, over aiobotocore, as the monitor's `Drs` port."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from drsorch.contracts import RecoveryPoint
from drsorch.contracts.types import Place
from drsorch.monitor.domain import landing
from drsorch.monitor.domain.facts import (
    JobLog,
    Participant,
    RecoveryInstance,
    RecoveryJob,
    Replication,
)
from drsorch.monitor.domain.readiness import duration_seconds
from drsorch.runtime.together import at_once

if TYPE_CHECKING:
    from drsorch.monitor.adapters.cloud import AwsCloud

MAX_JOB_IDS = 1000  # DescribeJobs filters.jobIDs
MAX_SERVER_IDS = 200  # DescribeSourceServers filters.sourceServerIDs
PAGE = 1000
ISO = "%Y-%m-%dT%H:%M:%S.000Z"


def parse_time(text: str | None) -> datetime | None:
    """A DRS timestamp (an ISO-8601 string ending in Z) as an aware datetime."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_job(item: dict[str, Any]) -> RecoveryJob:
    return RecoveryJob(
        job_id=item["jobID"],
        status=item.get("status", "PENDING"),
        created_at=parse_time(item.get("creationDateTime")),
        ended_at=parse_time(item.get("endDateTime")),
        participants=tuple(
            Participant(
                source_server_id=p["sourceServerID"],
                launch_status=p.get("launchStatus", "PENDING"),
                recovery_instance_id=p.get("recoveryInstanceID"),
            )
            for p in item.get("participatingServers", [])
        ),
        job_type=item.get("type", "LAUNCH"),
    )


def _past(jobs: Sequence[RecoveryJob], window: timedelta) -> bool:
    times = [job.created_at for job in jobs if job.created_at is not None]
    return bool(times) and min(times) < max(times) - window


def _within(jobs: Sequence[RecoveryJob], window: timedelta) -> list[RecoveryJob]:
    times = [job.created_at for job in jobs if job.created_at is not None]
    if not times:
        return list(jobs)
    oldest = max(times) - window
    return [job for job in jobs if job.created_at is None or job.created_at >= oldest]


def _chunks(ids: Sequence[str], size: int) -> list[list[str]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


class DrsAdapter:
    """DRS calls in one place, each counted, each error translated."""

    def __init__(self, cloud: AwsCloud, place: Place) -> None:
        self.cloud = cloud
        self.place = place

    async def _pages(self, operation: str, method: str, **kwargs: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            page = await self.cloud.call("drs", self.place, operation, method, **kwargs)
            items.extend(page.get("items", []))
            token = page.get("nextToken")
            if not token:
                return items
            kwargs["nextToken"] = token

    async def _chunked(
        self, ids: Sequence[str], size: int, operation: str, method: str, key: str
    ) -> list[dict[str, Any]]:
        """The items of a filtered list call over `ids`, `size` IDs a filter, every filter
        at once."""
        parts = await at_once(
            self._pages(operation, method, filters={key: chunk}, maxResults=PAGE)
            for chunk in _chunks(ids, size)
        )
        return [item for part in parts for item in part]

    async def jobs(self, job_ids: Sequence[str]) -> list[RecoveryJob]:
        items = await self._chunked(job_ids, MAX_JOB_IDS, "DescribeJobs", "describe_jobs", "jobIDs")
        return [parse_job(item) for item in items]

    async def recent_jobs(self, window: timedelta) -> list[RecoveryJob]:
        # DescribeJobs lists newest first: read pages until they reach past the window,
        # measured from the newest job on DRS's own clock.
        jobs: list[RecoveryJob] = []
        kwargs: dict[str, Any] = {"maxResults": PAGE}
        while True:
            page = await self.cloud.call(
                "drs", self.place, "DescribeJobs", "describe_jobs", **kwargs
            )
            jobs.extend(parse_job(item) for item in page.get("items", []))
            token = page.get("nextToken")
            if not token or _past(jobs, window):
                return _within(jobs, window)
            kwargs["nextToken"] = token

    async def start_recovery(
        self, server_ids: Sequence[str], *, drill: bool, snapshots: Mapping[str, str] | None = None
    ) -> RecoveryJob:
        # Never `tags`: launch-into jobs must not carry them (design §4), and intents are
        # reconciled by their servers alone, so no job of drsorch's carries any.
        chosen = snapshots or {}
        answer = await self.cloud.call(
            "drs",
            self.place,
            "StartRecovery",
            "start_recovery",
            once=True,
            sourceServers=[
                {"sourceServerID": server_id}
                | ({"recoverySnapshotID": chosen[server_id]} if server_id in chosen else {})
                for server_id in server_ids
            ],
            isDrill=drill,
        )
        return parse_job(answer["job"])

    async def recovery_snapshot(self, server_id: str, point: RecoveryPoint) -> str | None:
        if point.before is not None:
            # Newest first, at or before the time: the first item is the one.
            page = await self.cloud.call(
                "drs",
                self.place,
                "DescribeRecoverySnapshots",
                "describe_recovery_snapshots",
                sourceServerID=server_id,
                filters={"toDateTime": point.before.astimezone(UTC).strftime(ISO)},
                order="DESC",
                maxResults=1,
            )
            items = page.get("items", [])
            return str(items[0]["snapshotID"]) if items else None
        wanted = set(point.snapshot_ids)
        items = await self._pages(
            "DescribeRecoverySnapshots",
            "describe_recovery_snapshots",
            sourceServerID=server_id,
            maxResults=PAGE,
        )
        return next((str(i["snapshotID"]) for i in items if i["snapshotID"] in wanted), None)

    async def job_log(self, job_id: str) -> JobLog:
        items = await self._pages(
            "DescribeJobLogItems", "describe_job_log_items", jobID=job_id, maxResults=PAGE
        )
        failures = landing.failure_reasons(
            (
                item.get("event", ""),
                item.get("eventData", {}).get("sourceServerID"),
                item.get("eventData", {}).get("rawError"),
            )
            for item in items
        )
        launched_into = {
            data["sourceServerID"]: data["targetInstanceID"]
            for item in items
            if item.get("event") == "LAUNCH_START"
            and (data := item.get("eventData") or {}).get("sourceServerID")
            and data.get("targetInstanceID")
        }
        return JobLog(failures, launched_into)

    async def recovery_instances(self, server_ids: Sequence[str]) -> list[RecoveryInstance]:
        items = await self._chunked(
            server_ids,
            MAX_SERVER_IDS,
            "DescribeRecoveryInstances",
            "describe_recovery_instances",
            "sourceServerIDs",
        )
        return [
            RecoveryInstance(
                recovery_instance_id=item["recoveryInstanceID"],
                source_server_id=item.get("sourceServerID", ""),
                ec2_instance_id=item.get("ec2InstanceID"),
                ec2_state=item.get("ec2InstanceState"),
                job_id=item.get("jobID"),
            )
            for item in items
        ]

    async def _source_servers(self, server_ids: Sequence[str]) -> list[dict[str, Any]]:
        """DescribeSourceServers items of these servers, 200 IDs a filter."""
        return await self._chunked(
            server_ids,
            MAX_SERVER_IDS,
            "DescribeSourceServers",
            "describe_source_servers",
            "sourceServerIDs",
        )

    async def origins(self, server_ids: Sequence[str]) -> dict[str, str | None]:
        found: dict[str, str | None] = {}
        for item in await self._source_servers(server_ids):
            hints = (item.get("sourceProperties") or {}).get("identificationHints") or {}
            found[item["sourceServerID"]] = hints.get("awsInstanceID") or None
        return found

    async def replication(self, server_ids: Sequence[str]) -> dict[str, Replication]:
        found: dict[str, Replication] = {}
        for item in await self._source_servers(server_ids):
            info = item.get("dataReplicationInfo") or {}
            found[item["sourceServerID"]] = Replication(
                state=info.get("dataReplicationState"),
                lag_seconds=duration_seconds(info.get("lagDuration")),
            )
        return found
