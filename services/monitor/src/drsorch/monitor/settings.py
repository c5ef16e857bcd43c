"""The monitor's own settings, from `DRSORCH_MONITOR_*` variables.

DRS quotas are settings with DRS's documented defaults (design §5), so an account
with raised quotas, or a test, can change them without touching code. Every delay is
in seconds of the monitor's own clock.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MonitorSettings(BaseSettings):
    """Quotas, polling, readiness and back-off of the monitor."""

    model_config = SettingsConfigDict(env_prefix="DRSORCH_MONITOR_", extra="ignore")

    max_concurrent_jobs: int = Field(default=20, ge=1, le=1000)
    """DRS quota: jobs active at once in one account and region (foreign jobs included)."""
    max_servers_in_active_jobs: int = Field(default=500, ge=1, le=100_000)
    """DRS quota: source servers across all active jobs in one account and region."""
    max_servers_per_job: int = Field(default=100, ge=1, le=200)
    """DRS quota: source servers in one job; a request's batch_size is capped by it."""
    poll_min_seconds: float = Field(default=15, ge=0.1, le=900)
    """First interval between DescribeJobs polls of a running job."""
    poll_max_seconds: float = Field(default=300, ge=0.1, le=900)
    """Longest interval between polls, reached by jobs that run long."""
    poll_growth: float = Field(default=0.02, ge=0, le=10)
    """The poll interval grows to this share of the job's age, between the bounds. A
    job's end is seen on average half an interval late, and the next batch waits for
    it. Once a job of the same kind has been seen completed in the request, a running
    job is also polled when it has run about as long, within the window the earlier
    polls narrowed (`domain.pacing.next_poll`), for one DescribeJobs per account and
    region per poll."""
    readiness_poll_seconds: float = Field(default=30, ge=0.1, le=900)
    """Interval between readiness checks of servers waiting to join a job."""
    batch_linger_seconds: float = Field(default=300, ge=0, le=86_400)
    """How long ready servers wait for others to fill a batch before a smaller one starts."""
    start_retry_seconds: float = Field(default=60, ge=0.1, le=900)
    """Wait after DRS refused StartRecovery (ConflictException, ServiceQuotaExceeded)."""
    capacity_retry_seconds: float = Field(default=30, ge=0.1, le=900)
    """Re-check interval while jobs drsorch did not start hold the quota."""
    throttle_base_seconds: float = Field(default=2, ge=0, le=900)
    """First back-off after DRS throttled a call beyond the client's own retries."""
    throttle_max_seconds: float = Field(default=300, ge=0, le=900)
    """Longest back-off after repeated throttling."""
    start_throttle_attempts: int = Field(default=4, ge=1, le=10)
    """StartRecovery calls within one run while DRS throttles it (a 429 never made a
    job, so calling again is safe); then the run backs off as a whole."""
    start_retry_max_seconds: float = Field(default=5, ge=0, le=60)
    """Longest pause before calling a throttled StartRecovery again within a run."""
    error_retry_seconds: float = Field(default=30, ge=0.1, le=900)
    """Wait after an AWS call failed for another reason (server error, unreachable account)."""
    intent_settle_seconds: float = Field(default=30, ge=0, le=3600)
    """An intent older than this without a known job is reconciled with DescribeJobs."""
    job_lookback_seconds: int = Field(default=86_400, ge=60, le=31_536_000)
    """How far back DescribeJobs is read to find active jobs and reconcile intents."""
    lease_seconds: float = Field(default=60, ge=1, le=3600)
    """A handler's exclusive hold on one request's records; renewed while it works."""
    lease_retry_seconds: float = Field(default=2, ge=0.1, le=900)
    """Wait before a timer retries a request another handler holds."""
    wake_delay_seconds: float = Field(default=1, ge=0, le=900)
    """Delay of the wake-up after a chunk of configuration results arrives (lets a burst
    settle); the chunk that ends a burst wakes the request at once."""
    min_tick_seconds: float = Field(default=1, ge=0, le=900)
    """Shortest delay between two runs of one request."""
    sweep_seconds: float = Field(default=60, ge=1, le=3600)
    """How often the worker's sweep looks for running requests whose tick never came
    (under Lambda: the period of the EventBridge schedule that invokes the function)."""
    sweep_grace_seconds: float = Field(default=60, ge=0, le=86_400)
    """How far past its expected wake a request must be before the sweep re-arms it."""
    record_retention_days: int = Field(default=400, ge=1, le=3650)
    """How long request records stay in the table for `drsorch status/report`."""
    metrics_namespace: str = Field(default="drsorch", min_length=1, max_length=255)
    notification_topic_arn: str | None = None
    """SNS topic for a human-readable notice when a request ends; unset: the stack's
    `NotificationsTopicArn` output, and without one RequestCompleted on the events topic
    is the only notice."""
