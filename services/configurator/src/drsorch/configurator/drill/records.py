"""What a drill keeps in the configurator's table (the round trip's items, by drill ID)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field

from drsorch.contracts import Accounts, CleanedInstance, DrillInstance

SETUP, VERIFIED, CLEANUP = "drill", "drill-verified", "drill-cleanup"


def report_part(index: int) -> str:
    return f"drill-report#{index}"


class DrillSetup(BaseModel):
    """What the DrillRequested asked: kept when it arrives, read when the launches end."""

    accounts: Accounts
    recovery_region: str
    keep_for_seconds: int


class JobRef(BaseModel):
    job_id: str
    account_id: str
    region: str
    source_server_ids: list[str]


class ServerLine(BaseModel):
    """A server of the drill as the monitor reported it, for servers no job launched."""

    source_server_id: str
    account_id: str
    outcome: str
    reason: str | None = None


class ReportPart(BaseModel):
    """One RequestCompleted chunk of the drill: its jobs and servers."""

    count: int
    status: str
    jobs: list[JobRef]
    servers: list[ServerLine]


class Verified(BaseModel):
    """The evidence pack, once published: a redelivery republishes it unchanged."""

    instances: list[DrillInstance]
    cleanup_due_at: AwareDatetime
    causation_id: str


class Target(BaseModel):
    """A recovery instance DRS ties to the drill: what the clean-up terminates."""

    source_server_id: str
    account_id: str
    region: str
    recovery_instance_id: str
    ec2_instance_id: str
    launch_job_id: str
    gone_before: bool = False
    """Already TERMINATED (or its EC2 instance gone) when the clean-up began."""


class Cleanup(BaseModel):
    """A clean-up under way: its targets, its TERMINATE batches, and once done, the proof."""

    trigger: str
    causation_id: str
    started_at: AwareDatetime
    targets: list[Target]
    left: list[str] = Field(default_factory=list)
    """Recovery instances of the drill's servers that are not the drill's, with why."""
    batches: list[str] = Field(default_factory=list)
    failed: dict[str, str] = Field(default_factory=dict)
    """Recovery instance ID -> why its termination was refused."""
    result: list[CleanedInstance] | None = None
    none_left: bool = False
