"""The AWS adapters against a recording fake client: the wire rules the monitor keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from drsorch.contracts import Accounts, Spoke
from drsorch.contracts.types import Place
from drsorch.monitor.adapters.cloud import AwsCloud
from drsorch.monitor.adapters.drs import parse_time
from drsorch.monitor.errors import AwsFailure, StartRefused, Throttled, Unreachable
from drsorch.runtime.accounts import AccountUnreachable

HERE = Place("123456789012", "us-east-1")
JOB = {
    "jobID": "drsjob-00000000000000001",
    "status": "PENDING",
    "creationDateTime": "2026-11-25T12:00:00.000Z",
}


def _error(code: str, status: int, **extra: Any) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "no"},
        "ResponseMetadata": {"HTTPStatusCode": status},
        **extra,
    }
    return ClientError(response, "Op")


@dataclass
class RecordingClient:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail: ClientError | None = None
    pages: list[dict[str, Any]] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        async def call(**kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            if self.fail is not None:
                raise self.fail
            if name == "start_recovery":
                return {"job": JOB}
            return self.pages.pop(0) if self.pages else {"items": []}

        return call


@dataclass
class Source:
    client_: RecordingClient
    asked: list[tuple[str, str, str]] = field(default_factory=list)
    unreachable: bool = False
    refused: dict[str, str] = field(default_factory=dict)

    async def client(self, service: str, account_id: str, region: str) -> Any:
        self.asked.append((service, account_id, region))
        if self.unreachable:
            raise AccountUnreachable(account_id, "AccessDenied")
        return self.client_

    async def refusal(self, account_id: str) -> str | None:
        return self.refused.get(account_id)


def cloud(
    retrying: RecordingClient, once: RecordingClient, accounts: Accounts | None = None
) -> tuple[AwsCloud, Source, Source]:
    many, single = Source(retrying), Source(once)
    return AwsCloud(many, single, accounts or Accounts(hub=HERE.account_id)), many, single


async def test_start_recovery_goes_once_through_the_no_retry_clients_without_tags() -> None:
    retrying, once = RecordingClient(), RecordingClient()
    aws, _, _ = cloud(retrying, once)
    job = await aws.drs(HERE).start_recovery(["s-f0000000000000001"], drill=False)
    assert job.job_id == JOB["jobID"]
    assert retrying.calls == []
    [(name, kwargs)] = once.calls
    assert name == "start_recovery"
    assert "tags" not in kwargs
    assert kwargs == {
        "sourceServers": [{"sourceServerID": "s-f0000000000000001"}],
        "isDrill": False,
    }
    assert aws.calls == {"StartRecovery": 1}


async def test_a_drill_is_started_as_a_drill() -> None:
    once = RecordingClient()
    aws, _, _ = cloud(RecordingClient(), once)
    await aws.drs(HERE).start_recovery(["s-f0000000000000001"], drill=True)
    [(_, kwargs)] = once.calls
    assert kwargs["isDrill"] is True


@pytest.mark.parametrize("code", ["ConflictException", "ServiceQuotaExceededException"])
async def test_a_refused_start_is_start_refused(code: str) -> None:
    aws, _, _ = cloud(RecordingClient(), RecordingClient(fail=_error(code, 409)))
    with pytest.raises(StartRefused, match=code):
        await aws.drs(HERE).start_recovery(["s-f0000000000000001"], drill=False)


async def test_throttling_beyond_the_client_retries_carries_retry_after() -> None:
    throttled = _error("ThrottlingException", 429, retryAfterSeconds="7")
    aws, _, _ = cloud(RecordingClient(fail=throttled), RecordingClient())
    with pytest.raises(Throttled) as caught:
        await aws.drs(HERE).jobs(["drsjob-00000000000000001"])
    assert caught.value.retry_after == 7.0


async def test_other_failures_and_unreachable_accounts_are_told_apart() -> None:
    aws, _, _ = cloud(
        RecordingClient(fail=_error("InternalServerException", 500)), RecordingClient()
    )
    with pytest.raises(AwsFailure, match="InternalServerException"):
        await aws.drs(HERE).recent_jobs(timedelta(days=1))
    denied, _, _ = cloud(
        RecordingClient(fail=_error("UninitializedAccountException", 400)), RecordingClient()
    )
    with pytest.raises(Unreachable):
        await denied.drs(HERE).replication(["s-f0000000000000001"])


async def test_spokes_are_reached_by_account_alone_whatever_role_the_request_names() -> None:
    accounts = Accounts(
        hub=HERE.account_id,
        spokes=(
            Spoke(account_id="210987654321"),
            Spoke(account_id="310987654321", role_name="borrowed", external_id="x-1"),
        ),
    )
    aws, many, _ = cloud(RecordingClient(), RecordingClient(), accounts)
    await aws.drs(Place("210987654321", "us-east-1")).jobs(["drsjob-00000000000000001"])
    await aws.ec2(Place("310987654321", "us-east-1")).instances(["i-00000000000000001"])
    # The client source (the runtime's AccountClients) alone knows the configured role.
    assert many.asked == [
        ("drs", "210987654321", "us-east-1"),
        ("ec2", "310987654321", "us-east-1"),
    ]
    many.refused["410987654321"] = "account 410987654321 is not a configured spoke"
    assert await aws.refusal("410987654321") == many.refused["410987654321"]
    assert await aws.refusal("210987654321") is None
    unreachable, source, _ = cloud(RecordingClient(), RecordingClient(), accounts)
    source.unreachable = True
    with pytest.raises(Unreachable, match="210987654321"):
        await unreachable.drs(Place("210987654321", "us-east-1")).jobs([JOB["jobID"]])


async def test_describe_jobs_pages_and_filters_by_job_ids_in_thousands() -> None:
    retrying = RecordingClient(
        pages=[{"items": [JOB], "nextToken": "t"}, {"items": []}, {"items": []}]
    )
    aws, _, _ = cloud(retrying, RecordingClient())
    ids = [f"drsjob-{n:017d}" for n in range(1500)]
    jobs = await aws.drs(HERE).jobs(ids)
    assert [j.job_id for j in jobs] == [JOB["jobID"]]
    filters = [kwargs["filters"]["jobIDs"] for _, kwargs in retrying.calls]
    assert [len(f) for f in filters] == [1000, 1000, 500]
    assert retrying.calls[1][1]["nextToken"] == "t"
    assert aws.calls == {"DescribeJobs": 3}


def test_drs_timestamps_parse_with_or_without_zone() -> None:
    assert parse_time("2026-11-25T12:00:00.000Z") == datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert parse_time("2026-11-25T12:00:00") == datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert parse_time("not a time") is None


def _job_at(n: int, hour: int) -> dict[str, Any]:
    return {
        "jobID": f"drsjob-{n:017d}",
        "status": "COMPLETED",
        "creationDateTime": f"2026-11-25T{hour:02d}:00:00Z",
    }


async def test_recent_jobs_read_newest_first_until_past_the_window_on_drs_clock() -> None:
    pages: list[dict[str, Any]] = [
        {"items": [_job_at(1, 23), _job_at(2, 20)], "nextToken": "a"},
        {"items": [_job_at(3, 12), _job_at(4, 1)], "nextToken": "b"},
        {"items": [_job_at(5, 0)]},
    ]
    retrying = RecordingClient(pages=pages)
    aws, _, _ = cloud(retrying, RecordingClient())
    jobs = await aws.drs(HERE).recent_jobs(timedelta(hours=12))
    assert [j.job_id for j in jobs] == [f"drsjob-{n:017d}" for n in (1, 2, 3)]
    assert len(retrying.calls) == 2, "read on past the window"
    assert all("filters" not in kwargs for _, kwargs in retrying.calls)
