"""A drill's clean-up terminates only what DRS ties to the drill's own jobs, once.

The safety rule (design §4, destructive clean-up touches only what the request's lineage
ties to it): every other recovery instance of the drill's servers, a production recovery
instance, another drill's, one its job does not list, one launched into an existing
instance, stays. Each case breaks exactly one tie, so dropping any check fails this test.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from drsorch.configurator.drill import cleanup as clean
from drsorch.configurator.drill.ports import (
    DrillRecord,
    InstanceFacts,
    LaunchJob,
    Participant,
)
from drsorch.configurator.drill.records import Cleanup, JobRef
from support.drill_fakes import Crash, FakeDrillAws
from support.roundtrip_fakes import FakeTable

ACCOUNT, REGION = "111111111111", "us-west-2"
NOW = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
DRILL = "drill-20261204-0001"
J1, J2, J3 = "drsjob-0000000000000dj01", "drsjob-0000000000000dj02", "drsjob-0000000000000dj03"
PROD, OTHER = "drsjob-00000000000000prod", "drsjob-0000000000000other"


def _server(n: int) -> str:
    return f"s-{n:017d}"


def _ri(n: int) -> str:
    return f"i-{n:017x}"


def _ec2(n: int) -> str:
    return f"i-{0xE0000 + n:017x}"


def _job(job_id: str, initiated_by: str, members: dict[int, int]) -> LaunchJob:
    return LaunchJob(
        job_id=job_id,
        job_type="LAUNCH",
        initiated_by=initiated_by,
        status="COMPLETED",
        created=NOW,
        participants=tuple(Participant(_server(s), _ri(r), "LAUNCHED") for s, r in members.items()),
    )


def _record(n: int, job_id: str, *, drill: bool = True) -> DrillRecord:
    return DrillRecord(_ri(n), _server(n), _ec2(n), "RUNNING", drill, job_id, NOW)


def _estate() -> tuple[FakeDrillAws, list[JobRef]]:
    """Seven servers of the drill; only server 1's recovery instance is the drill's."""
    aws = FakeDrillAws(now=NOW)
    aws.jobs_by_id = {
        # The drill's own jobs: J1 and J2 by START_DRILL, J3 by a recovery launch.
        J1: _job(J1, "START_DRILL", {1: 1, 4: 99, 7: 7}),
        J2: _job(J2, "START_DRILL", {5: 5}),
        J3: _job(J3, "START_RECOVERY", {6: 6}),
        # Not the drill's: a production failover and another drill.
        PROD: _job(PROD, "START_RECOVERY", {2: 2}),
        OTHER: _job(OTHER, "START_DRILL", {3: 3}),
    }
    aws.logs = {
        J1: {
            _server(1): None,
            _server(4): None,
        },  # no LAUNCH_START of server 7
        J2: {_server(5): "i-0000000000000prod"},  # launched into an instance
        J3: {_server(6): None},
        PROD: {_server(2): None},
        OTHER: {_server(3): None},
    }
    aws.records = [
        _record(1, J1),  # the drill's: terminated
        _record(2, PROD, drill=False),  # production recovery instance
        _record(3, OTHER),  # another drill's
        _record(4, J1),  # its job lists another recovery instance for server 4
        _record(5, J2),  # launched into an existing instance
        _record(6, J3),  # a job not initiated as a drill
        _record(7, J1),  # its job's log shows no launch of server 7
    ]
    aws.ec2 = {_ec2(n): InstanceFacts(_ec2(n), "running", NOW, "ok", "ok") for n in range(1, 8)}
    jobs = [
        JobRef(job_id=j, account_id=ACCOUNT, region=REGION, source_server_ids=[_server(n)])
        for j, n in (
            (J1, 1),
            (J1, 4),
            (J1, 7),
            (J2, 5),
        )
    ] + [
        JobRef(
            job_id=J3,
            account_id=ACCOUNT,
            region=REGION,
            source_server_ids=[_server(6)],
        ),
        # The drill also holds servers 2 and 3 (their launches failed): their records are read.
        JobRef(
            job_id=J1,
            account_id=ACCOUNT,
            region=REGION,
            source_server_ids=[_server(2), _server(3)],
        ),
    ]
    return aws, jobs


def _run(aws: FakeDrillAws, jobs: list[JobRef], table: FakeTable) -> Cleanup:
    async def go() -> Cleanup:
        chosen, left = await clean.targets(aws, jobs)
        record = Cleanup(
            trigger="operator", causation_id="c", started_at=NOW, targets=chosen, left=left
        )
        await clean.terminate(record, aws, table, DRILL, NOW)
        return record

    return asyncio.run(go())


def test_only_the_instance_the_drills_own_job_launched_is_terminated() -> None:
    aws, jobs = _estate()
    record = _run(aws, jobs, FakeTable())
    terminated = [ids for op, ids in aws.calls if op == "TerminateRecoveryInstances"]
    assert terminated == [(_ri(1),)]
    assert [t.recovery_instance_id for t in record.targets] == [_ri(1)]
    assert len(record.left) == 6
    for n in range(2, 8):
        assert aws.ec2[_ec2(n)].state == "running"


def test_the_reasons_say_why_each_other_instance_is_left() -> None:
    aws, jobs = _estate()
    left = " | ".join(_run(aws, jobs, FakeTable()).left)
    assert "recovery launch, not a drill" in left
    assert "not by one of this drill's jobs" in left
    assert "does not list" in left
    assert "launched into the existing instance" in left
    assert "initiated by START_RECOVERY" in left
    assert "shows no launch of" in left


def test_a_crash_after_the_call_is_reconciled_never_called_twice() -> None:
    aws, jobs = _estate()
    aws.crash_after_terminate = True
    table = FakeTable()
    with pytest.raises(Crash):
        _run(aws, jobs, table)
    record = _run(aws, jobs, table)  # the redelivery: the intent is there, the job too
    terminated = [ids for op, ids in aws.calls if op == "TerminateRecoveryInstances"]
    assert terminated == [(_ri(1),)]
    assert not record.failed


def test_the_proof_reads_drs_and_ec2_after_the_jobs() -> None:
    aws, jobs = _estate()
    table = FakeTable()
    record = _run(aws, jobs, table)

    async def proof() -> list[str]:
        batches = await clean.intents(table, DRILL, record.batches)
        assert await clean.jobs_done(aws, batches) is True
        return [p.outcome for p in await clean.prove(record, aws, batches)]

    assert asyncio.run(proof()) == ["terminated"]
