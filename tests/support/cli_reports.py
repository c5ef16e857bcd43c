"""Reports and request events made up for the CLI's tests: deterministic, any size."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from drsorch.cli.report import Report, build_report
from drsorch.contracts import (
    Accounts,
    JobRecord,
    RequestCompleted,
    RequestSpec,
    Scope,
    ServerRef,
    ServerReport,
    TargetRef,
)
from drsorch.contracts.events import Ambiguous, Unmatched

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HUB = "123456789012"
SPOKE = "210987654321"


def server_id(n: int) -> str:
    return f"s-{n:017x}"


def instance_id(n: int) -> str:
    return f"i-{n:017x}"


def job_id(n: int) -> str:
    return f"drsjob-{n:017x}"


def spec(plan_only: bool = False) -> RequestSpec:
    return RequestSpec(
        operation="failback",
        scope=Scope(selector={"dr-plan": "demo"}),
        accounts=Accounts(hub=HUB),
        primary_region="us-east-1",
        recovery_region="us-west-2",
        plan_only=plan_only,
        requested_by="arn:aws:iam::123456789012:user/operator",
        requested_at=T0,
    )


def _server_report(n: int, wave: int, job: str | None, outcome: str) -> ServerReport:
    account = HUB if n % 3 else SPOKE
    ref = ServerRef(
        source_server_id=server_id(n),
        account_id=account,
        region="us-west-2",
        name=f"app-{n:03d}",
        wave=wave,
    )
    target = TargetRef(
        instance_id=instance_id(n),
        account_id=account,
        region="us-east-1",
        name=f"app-{n:03d}",
        private_ip=f"10.0.{n // 250}.{n % 250 + 4}",
    )
    launched = outcome in ("recovered", "recovered_elsewhere")
    return ServerReport(
        server=ref,
        target=target,
        method="lineage",
        evidence=(f"awsInstanceID={instance_id(n)} matches",),
        outcome=outcome,  # type: ignore[arg-type]
        reason=None if outcome == "recovered" else f"because of {outcome}",
        launching_server_id=server_id(n + 100_000) if job else None,
        job_id=job,
        recovery_instance_id=instance_id(n + 200_000) if launched else None,
        ec2_instance_id=instance_id(n) if launched else None,
        launched_into_expected=(outcome == "recovered") if job else None,
        private_ip_before=target.private_ip,
        private_ip_after=target.private_ip if launched else None,
    )


def made_up_report(
    servers: int = 120, waves: int = 3, per_job: int = 25, seed: int = 1, left_out: int = 4
) -> Report:
    """A finished failback: `servers` in `waves`, jobs of `per_job`, some failures and refusals."""
    rng = random.Random(seed)
    reports: list[ServerReport] = []
    jobs: list[JobRecord] = []
    n, clock = 1, T0
    launched = servers - left_out
    per_wave = -(-launched // waves)
    for wave in range(1, waves + 1):
        members = list(range(n, min(n + per_wave, launched + 1)))
        n += len(members)
        wave_end = clock
        for b, start in enumerate(range(0, len(members), per_job)):
            batch = members[start : start + per_job]
            job = job_id(wave * 100 + b)
            began = clock + timedelta(seconds=rng.randint(0, 40))
            ended = began + timedelta(seconds=rng.randint(240, 900))
            wave_end = max(wave_end, ended)
            ids = tuple(server_id(i + 100_000) for i in batch)
            jobs.append(
                JobRecord(
                    job_id=job,
                    account_id=HUB,
                    region="us-east-1",
                    wave=wave,
                    batch_index=b,
                    source_server_ids=ids,
                    started_at=began,
                    ended_at=ended,
                )
            )
            for i in batch:
                outcome = "failed" if rng.random() < 0.05 else "recovered"
                reports.append(_server_report(i, wave, job, outcome))
        clock = wave_end + timedelta(seconds=5)
    reports += [_server_report(i, 2, None, "rejected") for i in range(launched + 1, servers + 1)]
    completed = RequestCompleted(
        status="PARTIAL",
        operation="failback",
        drill=False,
        plan_hash="a" * 64,
        servers=tuple(reports),
        unmatched=(
            Unmatched(
                server=_server_report(servers + 1, 1, None, "skipped").server,
                reason="no target: no lineage and no instance named app-x",
            ),
        ),
        ambiguous=(
            Ambiguous(
                server=_server_report(servers + 2, 3, None, "skipped").server,
                candidate_instance_ids=(instance_id(1), instance_id(2)),
                reason="two instances named app-y",
            ),
        ),
        jobs=tuple(jobs),
        api_calls={"StartRecovery": len(jobs), "DescribeJobs": 40, "DescribeSourceServers": 6},
        started_at=T0 - timedelta(seconds=20),
        ended_at=clock,
    )
    return build_report(
        "req-made-up-0001",
        [completed],
        generated_at=clock,
        spec=spec(),
        trace_id="0af7651916cd43dd8448eb211c80319c",
    )
