"""The DRS emulator's settings: clock, seed, timings, quotas, paging and faults.

`EmulatorSettings` is a stable, documented contract: an estate file embeds it as its
`drs:` section, the admin route `PUT /_drsorch/drs/settings` accepts it as JSON, and
`drsorch.local.drs.seed.configure` takes it in-process. Every field has a default, so
`EmulatorSettings()` is a working emulator and an estate only states what it changes.

All durations are *simulated* seconds; the clock's `scale` says how many simulated
seconds pass per real second.
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DurationRange(_Model):
    """A duration in simulated seconds, drawn uniformly from [min_seconds, max_seconds]."""

    min_seconds: int = Field(ge=0)
    max_seconds: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.max_seconds < self.min_seconds:
            raise ValueError("max_seconds must not be below min_seconds")
        return self


def _range(low: int, high: int) -> DurationRange:
    return DurationRange(min_seconds=low, max_seconds=high)


class ClockSettings(_Model):
    """The simulated clock.

    `scale` is simulated seconds per real second (0 freezes the clock: only
    `POST /_drsorch/drs/clock/advance` moves it). `start` is the simulated time at
    start-up or reset (default: the real time then, to the second).
    """

    scale: float = Field(default=60.0, ge=0)
    start: datetime | None = None


class Timings(_Model):
    """How long simulated work takes; each occurrence draws from its range with the seed."""

    job_pending: DurationRange = _range(5, 20)
    """From StartRecovery (job PENDING) to the job STARTED and its JOB_START."""
    cleanup: DurationRange = _range(10, 30)
    """Removing a server's previous recovery instance before a new launch."""
    snapshot: DurationRange = _range(20, 60)
    """On-demand point-in-time snapshot (SNAPSHOT_START to SNAPSHOT_END)."""
    conversion: DurationRange = _range(60, 240)
    """Conversion (CONVERSION_START to CONVERSION_END); skipped when recoveryMode is FAST."""
    launch: DurationRange = _range(30, 120)
    """LAUNCH_START to the instance being launched (or launched into)."""
    job_end: DurationRange = _range(1, 5)
    """Last server finished to JOB_END and the job COMPLETED."""
    terminate: DurationRange = _range(20, 60)
    """Terminating one recovery instance in a TERMINATE job."""
    terminated_record_retention: DurationRange = _range(300, 600)
    """How long a TERMINATED recovery instance stays visible before its record disappears."""
    recovery_instance_initializing: DurationRange = _range(60, 120)
    """After a launch, ReverseReplication on the new recovery instance is a ConflictException."""
    replication_initiating: DurationRange = _range(60, 180)
    """A new replication's INITIATING phase."""
    initial_sync: DurationRange = _range(300, 900)
    """INITIAL_SYNC, until CONTINUOUS."""
    rescan: DurationRange = _range(60, 300)
    """RESCAN after a reused server's replication restarts, until CONTINUOUS."""


class Quotas(_Model):
    """DRS service quotas, per account and region (defaults as documented by DRS)."""

    servers_per_job: int = Field(default=100, ge=1)
    concurrent_jobs: int = Field(default=20, ge=1)
    servers_in_active_jobs: int = Field(default=500, ge=1)
    replicating_servers: int = Field(default=300, ge=1)
    """Checked when replication is started through the API (StartReplication,
    ReverseReplication); seeded servers are not counted against it when seeded. An
    extended server takes its slot in its staging account, not in the target account."""
    source_servers: int = Field(default=4000, ge=1)
    """Source servers held per account and region, replicating or not; checked when a
    server is extended into an account (CreateExtendedSourceServer)."""


class Paging(_Model):
    """Page sizes for the Describe* operations whose maxResults has no modelled maximum."""

    default_page_size: int = Field(default=100, ge=1)
    max_page_size: int = Field(default=1000, ge=1)


class OperationFault(_Model):
    """Faults injected into one API operation (or every operation, under key `"*"`).

    The `*_first` counts fail the next N calls after these settings are applied, which
    is what a test wants; the rates fail calls at random (seeded) after that.
    """

    throttle_rate: float = Field(default=0.0, ge=0, le=1)
    throttle_first: int = Field(default=0, ge=0)
    retry_after_seconds: int = Field(default=1, ge=0)
    internal_error_rate: float = Field(default=0.0, ge=0, le=1)
    internal_error_first: int = Field(default=0, ge=0)


class ServerFault(_Model):
    """Faults injected into one source server (keyed by sourceServerID or hostname)."""

    launch_failure: str | None = None
    """When set, every launch of the server fails with this reason (LAUNCH_FAILED rawError)."""
    stall_replication: bool = False
    """When true, the server's replication reads STALLED (AGENT_NOT_SEEN) with growing lag."""
    land_in: str | None = Field(default=None, pattern=r"^(new|i-[0-9a-f]{8,})$")
    """When set, a launch of the server lands in this EC2 instance (same account and region:
    its volumes are swapped, its ID and IP kept, whatever its state or tags), or in a new
    instance with `new`, whatever the launch configuration says. The recovery instance's
    ec2InstanceID then names where it really landed; the job log still shows the configured
    target in LAUNCH_START."""


class Faults(_Model):
    """Injected faults, by operation name (or "*") and by server."""

    operations: dict[str, OperationFault] = Field(default_factory=dict)
    servers: dict[str, ServerFault] = Field(default_factory=dict)


class EmulatorSettings(_Model):
    """Everything that tunes the DRS emulator; see the module docstring."""

    seed: int = 0
    """Seeds IDs and every random draw, so the same calls give the same run."""
    clock: ClockSettings = ClockSettings()
    timings: Timings = Timings()
    quotas: Quotas = Quotas()
    paging: Paging = Paging()
    faults: Faults = Faults()
    call_log_limit: int = Field(default=10_000, ge=0)
    """How many API calls the call log keeps (oldest dropped first)."""
