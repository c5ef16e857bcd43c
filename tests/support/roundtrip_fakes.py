"""A hand-written fake of the round trip's DRS port and table, for unit tests.

It keeps servers and recovery instances as DRS would report them and records every
destructive call, so tests see what the retire and the reverse replication did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from drsorch.configurator.errors import Refused
from drsorch.configurator.roundtrip.ports import JobView, RecoveryView, ReverseBusy, ServerView
from drsorch.contracts.types import Place


def server(server_id: str, aws_instance_id: str, **fields: object) -> ServerView:
    values: dict[str, object] = {
        "source_server_id": server_id,
        "arn": f"arn:aws:drs:r:1:source-server/{server_id}",
        "direction": "FAILOVER",
        "aws_instance_id": aws_instance_id,
        "state": "CONTINUOUS",
        "lag_seconds": 0,
        "rescanned_bytes": 8,
        "total_bytes": 8,
        "all_rescanned": True,
        "error": None,
        "reversed_arn": None,
    }
    return ServerView(**(values | fields))  # type: ignore[arg-type]


def instance(ri: str, source: str, ec2: str, **fields: object) -> RecoveryView:
    values: dict[str, object] = {
        "recovery_instance_id": ri,
        "source_server_id": source,
        "ec2_instance_id": ec2,
        "ec2_state": "RUNNING",
        "is_drill": False,
        "replication_state": "NOT_STARTED",
        "failback_state": None,
    }
    return RecoveryView(**(values | fields))  # type: ignore[arg-type]


@dataclass
class FakeDrs:
    """DRS in a few places; `calls` lists every destructive or reversing call made."""

    servers_by_place: dict[Place, dict[str, ServerView]] = field(default_factory=dict)
    instances_by_place: dict[Place, list[RecoveryView]] = field(default_factory=dict)
    jobs: list[JobView] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)
    reversed_into: dict[str, str] = field(default_factory=dict)
    """ReverseReplication on a recovery instance answers this server's ARN."""
    busy: set[str] = field(default_factory=set)
    over_quota: set[str] = field(default_factory=set)
    """ReverseReplication on these answers ServiceQuotaExceededException."""

    async def servers(self, place: Place, ids: Sequence[str]) -> dict[str, ServerView]:
        held = self.servers_by_place.get(place, {})
        return {i: held[i] for i in ids if i in held}

    async def recovery_instances(
        self, place: Place, source_server_ids: Sequence[str]
    ) -> list[RecoveryView]:
        return [
            v
            for v in self.instances_by_place.get(place, [])
            if not source_server_ids or v.source_server_id in source_server_ids
        ]

    async def reverse_replication(self, place: Place, recovery_instance_id: str) -> str:
        self.calls.append(("ReverseReplication", recovery_instance_id))
        if recovery_instance_id in self.over_quota:
            raise Refused(
                "ReverseReplication: ServiceQuotaExceededException: At most 300 source servers "
                "may replicate"
            )
        if recovery_instance_id in self.busy:
            raise ReverseBusy(f"Recovery instance {recovery_instance_id} is still initializing")
        return f"arn:aws:drs:r:1:source-server/{self.reversed_into[recovery_instance_id]}"

    async def stop_replication(self, place: Place, server_id: str) -> None:
        self.calls.append(("StopReplication", server_id))

    async def stop_failback(self, place: Place, recovery_instance_id: str) -> None:
        self.calls.append(("StopFailback", recovery_instance_id))

    async def terminate_recovery_instances(self, place: Place, ids: Sequence[str]) -> str:
        self.calls.append(("TerminateRecoveryInstances", ",".join(ids)))
        job = JobView(f"drsjob-{len(self.jobs)}", "TERMINATE", "COMPLETED", None, frozenset(ids))
        self.jobs.append(job)
        self.instances_by_place[place] = [
            replace(v, ec2_state="TERMINATED") if v.recovery_instance_id in ids else v
            for v in self.instances_by_place.get(place, [])
        ]
        return job.job_id

    async def jobs_since(self, place: Place, since: datetime) -> list[JobView]:
        return [j for j in self.jobs if j.created is None or j.created >= since]

    async def delete_recovery_instance(self, place: Place, recovery_instance_id: str) -> None:
        self.calls.append(("DeleteRecoveryInstance", recovery_instance_id))

    async def disconnect_source_server(self, place: Place, server_id: str) -> None:
        self.calls.append(("DisconnectSourceServer", server_id))

    async def delete_source_server(self, place: Place, server_id: str) -> None:
        self.calls.append(("DeleteSourceServer", server_id))
        if server_id.endswith("x"):
            raise Refused("DeleteSourceServer: ConflictException: must be disconnected")


@dataclass
class FakeTable:
    """The round trip's items, as the configurator's table keeps them."""

    items: dict[tuple[str, str], str] = field(default_factory=dict)

    async def load(self, request_id: str, name: str) -> str | None:
        return self.items.get((request_id, name))

    async def save(self, request_id: str, name: str, body: str) -> None:
        self.items[request_id, name] = body

    async def claim(self, request_id: str, name: str, body: str) -> bool:
        if (request_id, name) in self.items:
            return False
        self.items[request_id, name] = body
        return True
