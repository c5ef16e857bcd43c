"""The DRS gateway over an aiobotocore `drs` client in one account and region.

Lists are read in full: `maxResults` pages followed by `nextToken` until DRS gives
none, and ID filters in batches of 200 (DRS's limit per filter). Every call is
counted by operation for the request's report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, get_args

from botocore.exceptions import ClientError

from drsorch.contracts.types import (
    ACTIVE_JOB_STATUSES,
    Architecture,
    DataReplicationState,
    FailbackState,
    RecoveryEc2State,
    ReplicationDirection,
)
from drsorch.discovery.domain import (
    ActiveJob,
    RecoveryInstanceRecord,
    SourceServerRecord,
    duration_seconds,
)
from drsorch.discovery.errors import AccountUnreachable, DrsNotInitialized

if TYPE_CHECKING:
    from types_aiobotocore_drs import DrsClient

PAGE_SIZE = 1000
IDS_PER_FILTER = 200


def known(value: object, kind: Any) -> Any:
    """`value` if it is one of the Literal `kind`'s values, else None (DRS may add values)."""
    return value if value in get_args(kind) else None


def batches(ids: Sequence[str], size: int = IDS_PER_FILTER) -> list[list[str]]:
    """`ids` in runs of at most `size`, duplicates dropped, order kept."""
    unique = list(dict.fromkeys(ids))
    return [unique[i : i + size] for i in range(0, len(unique), size)]


class DrsAdapter:
    """`DrsGateway` for one account and region."""

    def __init__(
        self, client: DrsClient, account_id: str, region: str, calls: Counter[str]
    ) -> None:
        self.client = client
        self.account_id = account_id
        self.region = region
        self.calls = calls

    async def source_servers(self, ids: Sequence[str] | None = None) -> list[SourceServerRecord]:
        if ids is None:
            filters: list[dict[str, Any]] = [{}]
        else:
            filters = [{"sourceServerIDs": run} for run in batches(ids)]
        return [
            self._server(item)
            for f in filters
            async for item in self._items("DescribeSourceServers", filters=f)
        ]

    async def recovery_instances(self) -> list[RecoveryInstanceRecord]:
        return [
            self._recovery_instance(item)
            async for item in self._items("DescribeRecoveryInstances", filters={})
        ]

    async def active_jobs(self) -> list[ActiveJob]:
        return [
            ActiveJob(
                job_id=item["jobID"],
                region=self.region,
                server_ids=frozenset(
                    p["sourceServerID"] for p in item.get("participatingServers", [])
                ),
            )
            async for item in self._items("DescribeJobs", filters={})
            if item.get("status") in ACTIVE_JOB_STATUSES
        ]

    async def _items(self, operation: str, **params: Any) -> AsyncIterator[dict[str, Any]]:
        call = getattr(self.client, _snake(operation))
        token: str | None = None
        while True:
            page_params = {**params, "maxResults": PAGE_SIZE}
            if token:
                page_params["nextToken"] = token
            self.calls[operation] += 1
            try:
                page = await call(**page_params)
            except ClientError as error:
                raise self._translated(operation, error) from error
            for item in page.get("items", []):
                yield item
            token = page.get("nextToken")
            if not token:
                return

    def _translated(self, operation: str, error: ClientError) -> Exception:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", str(error))
        if code == "UninitializedAccountException":
            return DrsNotInitialized(
                self.account_id, self.region, f"DRS is not initialized ({operation}: {message})"
            )
        if code in ("AccessDeniedException", "AccessDenied", "UnrecognizedClientException"):
            return AccountUnreachable(
                self.account_id, self.region, f"DRS denied {operation}: {code}: {message}"
            )
        return error

    def _server(self, item: dict[str, Any]) -> SourceServerRecord:
        properties = item.get("sourceProperties", {})
        hints = properties.get("identificationHints", {})
        cloud = item.get("sourceCloudProperties", {})
        replication = item.get("dataReplicationInfo", {})
        return SourceServerRecord(
            source_server_id=item["sourceServerID"],
            account_id=self.account_id,
            region=self.region,
            arn=item.get("arn"),
            hostname=hints.get("hostname") or None,
            tags=dict(item.get("tags", {})),
            architecture=known(properties.get("architecture"), Architecture),
            direction=known(item.get("replicationDirection"), ReplicationDirection),
            replication_state=known(replication.get("dataReplicationState"), DataReplicationState),
            lag_seconds=duration_seconds(replication.get("lagDuration")),
            origin_instance_id=hints.get("awsInstanceID") or None,
            origin_account_id=cloud.get("originAccountID") or None,
            origin_region=cloud.get("originRegion") or None,
            reversed_arn=item.get("reversedDirectionSourceServerArn") or None,
            recovery_instance_id=item.get("recoveryInstanceId") or None,
            **_staging(item.get("stagingArea", {})),
        )

    def _recovery_instance(self, item: dict[str, Any]) -> RecoveryInstanceRecord:
        return RecoveryInstanceRecord(
            recovery_instance_id=item["recoveryInstanceID"],
            source_server_id=item.get("sourceServerID", ""),
            ec2_instance_id=item.get("ec2InstanceID") or None,
            ec2_state=known(item.get("ec2InstanceState"), RecoveryEc2State),
            is_drill=bool(item.get("isDrill", False)),
            failback_state=known(item.get("failback", {}).get("state"), FailbackState),
        )


def _staging(area: dict[str, Any]) -> dict[str, str | None]:
    """An extended server's staging account and server; NOT_EXTENDED servers replicate here.

    NOT_EXTENDED also carries a stagingAccountID (the server's own account), so it is
    read only for an extended server.
    """
    status = area.get("status")
    if status not in {"EXTENDED", "EXTENSION_ERROR"}:
        return {}
    error = None
    if status == "EXTENSION_ERROR":
        error = area.get("errorMessage") or "DRS cannot access the staging source server"
    return {
        "staging_account_id": area.get("stagingAccountID") or None,
        "staging_source_server_arn": area.get("stagingSourceServerArn") or None,
        "staging_error": error,
    }


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")
