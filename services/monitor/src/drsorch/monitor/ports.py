"""What the monitor needs from the outside world, as Protocols.

Adapters over aiobotocore implement them (`adapters/`); unit tests use hand-written
fakes (`tests/support/monitor_fakes.py`), and `tests/integration/monitor` runs one
suite against both the fake and the real table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from drsorch.contracts import (
    Accounts,
    ConfigurationResult,
    RecoveryPoint,
    RequestCompleted,
    RequestSpec,
)
from drsorch.contracts.types import Place
from drsorch.monitor.domain.facts import (
    Instance,
    JobLog,
    RecoveryInstance,
    RecoveryJob,
    Replication,
)
from drsorch.monitor.domain.records import BatchRecord, RequestState, ServerRecord, Summary


@dataclass(frozen=True)
class Emission:
    """An event owed to the bus: its envelope JSON, and the tick of the run that owes it.

    `key` names the event within its request (`job-started-001-0002`): the first
    emission of a key wins, so a run retried after a crash cannot publish a second,
    different version of an event it already owed.
    """

    key: str
    seq: int
    body: str


@dataclass(frozen=True)
class Head:
    """A request's summary and the version of its records (None before any version)."""

    summary: Summary
    version: str | None


@dataclass(frozen=True)
class Armed:
    """A running request's next tick as its last commit scheduled it: what the sweep reads."""

    request_id: str
    seq: int
    due_at: datetime


class Drs(Protocol):
    """DRS in one account and region. Raises `Throttled`, `AwsFailure` or `Unreachable`."""

    async def jobs(self, job_ids: Sequence[str]) -> list[RecoveryJob]:
        """These jobs, in one DescribeJobs call per thousand IDs."""
        ...

    async def recent_jobs(self, window: timedelta) -> list[RecoveryJob]:
        """Every job created within `window` of the newest job DRS lists, whoever started it.

        The window is measured on DRS's clock, not the monitor's, so skew between the
        two never hides a job.
        """
        ...

    async def start_recovery(
        self, server_ids: Sequence[str], *, drill: bool, snapshots: Mapping[str, str] | None = None
    ) -> RecoveryJob:
        """StartRecovery, exactly once (no client retries), never with tags; each server in
        `snapshots` launches from that recovery snapshot (`recoverySnapshotID`).

        Raises `StartRefused` when DRS refused it (no job exists); any other error leaves
        it unknown whether a job exists, which the intent's reconciliation settles.
        """
        ...

    async def recovery_snapshot(self, server_id: str, point: RecoveryPoint) -> str | None:
        """The server's snapshot the point names (one of its IDs, or its latest at or before
        the time), as DescribeRecoverySnapshots lists it; None when it holds none such."""
        ...

    async def job_log(self, job_id: str) -> JobLog:
        """A job's log: why servers failed (`rawError`), and where each launched."""
        ...

    async def origins(self, server_ids: Sequence[str]) -> dict[str, str | None]:
        """The origin instance DRS records (`awsInstanceID`) of each server it knows."""
        ...

    async def recovery_instances(self, server_ids: Sequence[str]) -> list[RecoveryInstance]: ...

    async def replication(self, server_ids: Sequence[str]) -> dict[str, Replication]:
        """Replication state and lag of the servers DRS knows, by source server."""
        ...


class Ec2(Protocol):
    """EC2 in one account and region."""

    async def instances(self, instance_ids: Sequence[str]) -> dict[str, Instance]:
        """The instances among these that exist here, by ID."""
        ...


class Cloud(Protocol):
    """AWS as one request sees it, and a count of the DRS calls made through it."""

    def drs(self, place: Place) -> Drs: ...

    def ec2(self, place: Place) -> Ec2: ...

    async def refusal(self, account_id: str) -> str | None:
        """Why the request may not act in the account (a spoke the deployment does not
        configure); None where it may."""
        ...

    @property
    def calls(self) -> Counter[str]: ...


class Approvals(Protocol):
    """Why an apply may not launch anything: its signed approvals, verified."""

    async def refusal(
        self, spec: RequestSpec, request_id: str, plan_hashes: Iterable[str], started_at: datetime
    ) -> str | None: ...


class CloudFactory(Protocol):
    def __call__(self, accounts: Accounts) -> Cloud: ...


class Store(Protocol):
    """The monitor's table: requests, their servers and batches, leases and emissions."""

    async def acquire(self, request_id: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take the request's lease if it is free, expired, or already ours."""
        ...

    async def release(self, request_id: str, holder: str) -> None: ...

    async def summary(self, request_id: str) -> Summary | None: ...

    async def head(self, request_id: str) -> Head | None:
        """The summary and the records' version, in one read."""
        ...

    async def claim(self, request_id: str, seen: str | None, version: str) -> bool:
        """Move the records' version from `seen` to `version` before a run writes
        anything; False (nothing written) when the version is no longer `seen`."""
        ...

    async def load(self, request_id: str) -> RequestState | None: ...

    async def create(self, state: RequestState) -> None:
        """Write a new request's servers and plan extras (its summary comes with `save`)."""
        ...

    async def save(
        self,
        request_id: str,
        servers: Sequence[ServerRecord],
        batches: Sequence[BatchRecord],
        summary: Summary | None = None,
        version: str | None = None,
    ) -> bool:
        """Write the records, then the summary if given. The summary is written at
        `version` only if the stored version is still `version` (True); otherwise, or
        without `version`, it is written at a version nobody holds (False)."""
        ...

    async def record_intent(self, request_id: str, batch: BatchRecord) -> bool:
        """Write a new batch only if no batch has its key; False if one had."""
        ...

    async def add_results(
        self,
        request_id: str,
        event_id: str,
        results: Sequence[ConfigurationResult],
        api_calls: Mapping[str, int],
        plan_hash: str | None = None,
        *,
        seen: str | None = None,
    ) -> str | None:
        """Keep configuration results (by server), the configurator's call counts, and the
        plan hash they were configured under; then move the records' version.

        The new version when it moved from `seen` (so the state at `seen` with these
        results added is the state at it); None when the version was anything else."""
        ...

    async def add_emission(self, request_id: str, emission: Emission) -> None:
        """Keep an event to publish until a later run proves it sent; a held key is kept."""
        ...

    async def emissions(self, request_id: str) -> list[Emission]:
        """The events owed, in the order they were added."""
        ...

    async def clear_emissions(self, request_id: str, keys: Sequence[str]) -> None: ...

    async def keep_drill(self, request_id: str, point: RecoveryPoint) -> None:
        """Keep a drill's point in time, which its launches use (read back by `load`);
        then move the records' version."""
        ...

    async def keep_report(self, request_id: str, chunks: Sequence[RequestCompleted]) -> None:
        """Keep the final report for `drsorch status/report`, chunk by chunk."""
        ...

    async def mark_cancel(self, request_id: str, who: str, at: datetime) -> None:
        """Keep a cancel of a request the monitor has no plan of yet (the first one wins)."""
        ...

    async def cancel_mark(self, request_id: str) -> tuple[str, datetime] | None:
        """Who cancelled the request before its plan arrived, and when."""
        ...

    async def arm(self, request_id: str, seq: int, due_at: datetime) -> None:
        """Note that the request's tick `seq` is due at `due_at` (replacing the last note)."""
        ...

    async def disarm(self, request_id: str) -> None:
        """The request has ended: no tick is due any more."""
        ...

    async def overdue(self, before: datetime) -> list[Armed]:
        """Every armed request whose tick was due before `before`, across requests."""
        ...


class Metrics(Protocol):
    """CloudWatch metrics per request."""

    async def job_finished(
        self, request_id: str, operation: str, seconds: float, launched: int, failed: int
    ) -> None: ...

    async def request_finished(
        self, request_id: str, operation: str, status: str, launched: int, failed: int
    ) -> None: ...

    async def landed_elsewhere(self, request_id: str, operation: str, servers: int) -> None:
        """Servers that landed somewhere else than the instance proven theirs: alarm on it."""
        ...


class Notifier(Protocol):
    """A human-readable notice when a request ends."""

    async def request_ended(self, subject: str, message: str) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...
