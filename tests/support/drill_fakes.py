"""A hand-written fake of the configurator's `DrillAws`: DRS jobs, job logs, recovery
instances and snapshots, and EC2 instances, in dicts; calls recorded in order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from drsorch.configurator.drill.ports import DrillRecord, InstanceFacts, LaunchJob
from drsorch.configurator.roundtrip.ports import JobView
from drsorch.contracts.types import Place

TERMINATING = "TERMINATE_RECOVERY_INSTANCES"


class Crash(Exception):
    """The worker died right after DRS answered."""


@dataclass
class FakeDrillAws:
    jobs_by_id: dict[str, LaunchJob] = field(default_factory=dict)
    logs: dict[str, dict[str, str | None]] = field(default_factory=dict)
    records: list[DrillRecord] = field(default_factory=list)
    ec2: dict[str, InstanceFacts] = field(default_factory=dict)
    snapshots: dict[tuple[str, datetime], str] = field(default_factory=dict)
    terminate_jobs: list[tuple[str, tuple[str, ...], datetime]] = field(default_factory=list)
    calls: list[tuple[str, object]] = field(default_factory=list)
    crash_after_terminate: bool = False
    now: datetime | None = None

    async def jobs(self, place: Place, job_ids: Sequence[str]) -> list[LaunchJob]:
        self.calls.append(("DescribeJobs", tuple(job_ids)))
        terminating = {
            job_id: LaunchJob(
                job_id, "TERMINATE", "TERMINATE_RECOVERY_INSTANCES", "COMPLETED", at, ()
            )
            for job_id, _, at in self.terminate_jobs
        }
        known = self.jobs_by_id | terminating
        return [known[j] for j in job_ids if j in known]

    async def launch_targets(self, place: Place, job_id: str) -> dict[str, str | None]:
        self.calls.append(("DescribeJobLogItems", job_id))
        return dict(self.logs.get(job_id, {}))

    async def drill_records(self, place: Place, server_ids: Sequence[str]) -> list[DrillRecord]:
        self.calls.append(("DescribeRecoveryInstances", tuple(server_ids)))
        return [r for r in self.records if r.source_server_id in server_ids]

    async def snapshot_at(self, place: Place, server_id: str, at: datetime) -> str | None:
        return self.snapshots.get((server_id, at))

    async def instances(self, place: Place, ids: Sequence[str]) -> dict[str, InstanceFacts]:
        return {i: self.ec2[i] for i in ids if i in self.ec2}

    async def terminate_recovery_instances(self, place: Place, ids: Sequence[str]) -> str:
        self.calls.append(("TerminateRecoveryInstances", tuple(ids)))
        job_id = f"drsjob-terminate{len(self.terminate_jobs):08d}"[:24]
        assert self.now is not None
        self.terminate_jobs.append((job_id, tuple(ids), self.now))
        for index, record in enumerate(self.records):
            if record.recovery_instance_id in ids:
                self.records[index] = DrillRecord(**{**record.__dict__, "ec2_state": "TERMINATED"})
                facts = self.ec2.get(record.ec2_instance_id)
                if facts is not None:
                    self.ec2[record.ec2_instance_id] = InstanceFacts(
                        facts.instance_id, "terminated", facts.launched_at
                    )
        if self.crash_after_terminate:
            self.crash_after_terminate = False
            raise Crash
        return job_id

    async def jobs_since(self, place: Place, since: datetime) -> list[JobView]:
        self.calls.append(("DescribeJobs", since))
        return [
            JobView(job_id, "TERMINATE", "COMPLETED", at, frozenset(ids))
            for job_id, ids, at in self.terminate_jobs
            if at >= since
        ]
