"""DRS's pure decisions: quotas, conflicts and launch-into targets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drsorch.local.drs.ec2_port import InstanceView
from drsorch.local.drs.errors import ConflictError, ServiceQuotaExceededError
from drsorch.local.drs.rules import (
    JobRequest,
    check_job_quotas,
    launch_into_launch_problem,
    launch_into_target_problem,
    recovery_instance_tags,
)
from drsorch.local.drs.settings import Quotas
from drsorch.local.drs.state import Job, ParticipatingServer

ALLOW = {"AWSDRS": "AllowLaunchingIntoThisInstance"}


def _job(number: int, servers: list[str]) -> Job:
    return Job(
        job_id=f"drsjob-{number:017d}",
        arn="arn",
        job_type="LAUNCH",
        initiated_by="START_DRILL",
        created_ms=0,
        seq=number,
        is_drill=True,
        participants={s: ParticipatingServer(s) for s in servers},
    )


@given(
    active=st.lists(st.integers(min_value=1, max_value=30), max_size=6),
    requested=st.integers(min_value=1, max_value=40),
    per_job=st.integers(min_value=1, max_value=40),
    jobs=st.integers(min_value=1, max_value=8),
    in_flight=st.integers(min_value=1, max_value=80),
)
def test_quotas_refuse_exactly_what_breaks_a_limit(
    active: list[int], requested: int, per_job: int, jobs: int, in_flight: int
) -> None:
    quotas = Quotas(servers_per_job=per_job, concurrent_jobs=jobs, servers_in_active_jobs=in_flight)
    running = [_job(n, [f"s-busy{n}-{i}" for i in range(size)]) for n, size in enumerate(active)]
    request = JobRequest([f"s-new-{i}" for i in range(requested)])
    busy = sum(active)
    breaks = requested > per_job or len(active) + 1 > jobs or busy + requested > in_flight
    if breaks:
        with pytest.raises(ServiceQuotaExceededError):
            check_job_quotas(quotas, running, request)
    else:
        check_job_quotas(quotas, running, request)


def test_a_busy_server_conflicts_before_counting_jobs() -> None:
    quotas = Quotas(concurrent_jobs=1)
    with pytest.raises(ConflictError) as caught:
        check_job_quotas(quotas, [_job(1, ["s-a"])], JobRequest(["s-a"]))
    assert caught.value.members["resourceId"] == "s-a"


def _view(
    state: str = "stopped", arch: str = "x86_64", tags: dict[str, str] | None = None
) -> InstanceView:
    return InstanceView(
        "i-00000000000000001", state, arch, "eu-west-1a", "subnet-1", "10.0.0.1", tags or {}
    )


@pytest.mark.parametrize(
    ("target", "words"),
    [
        (None, "not found"),
        (_view(state="terminated"), "not found"),
        (_view(arch="arm64", tags=ALLOW), "Architecture"),
        (_view(tags={}), "not tagged"),
        (_view(state="running", tags=ALLOW), "must be stopped"),
        (_view(state="stopping", tags=ALLOW), "must be stopped"),
    ],
)
def test_launch_into_problems(target: InstanceView | None, words: str) -> None:
    problem = launch_into_launch_problem("i-00000000000000001", target, "x86_64", "eu-west-1")
    assert problem is not None
    assert words in problem


def test_a_good_target_has_no_problem_and_update_only_checks_existence_and_architecture() -> None:
    assert launch_into_launch_problem("i-1", _view(tags=ALLOW), "x86_64", "eu-west-1") is None
    assert launch_into_target_problem("i-1", _view(state="running"), "x86_64", "eu-west-1") is None


def test_recovery_instance_tags_copy_source_tags_only_when_asked() -> None:
    source = {"Name": "web", "app": "shop", "aws:cloudformation:stack-name": "x"}
    copied = recovery_instance_tags("s-1", "web-host", source, copy_tags=True)
    plain = recovery_instance_tags("s-1", "web-host", source, copy_tags=False)
    assert copied["app"] == "shop"
    assert copied["Name"] == "web"
    assert "aws:cloudformation:stack-name" not in copied
    assert plain == {
        "Name": "web-host",
        "AWSElasticDisasterRecoveryManaged": "drs.amazonaws.com",
        "AWSElasticDisasterRecoverySourceServerID": "s-1",
    }
