"""The services enforce approvals themselves: no apply runs on the sender's word.

The four services run as processes of their own. After one plan, applies that an
operator's CLI would never send are published straight to the requests topic:
unsigned, approving another hash, expired, signed with another key, a forged
signature, another request's approval, one approver where two are demanded. (One sent
straight to discovery's queue never gets this far: the services take a request only
from the requests topic, docs/security.md.) Each ends REJECTED with its reason in the
report, and DRS's call log and EC2 show that nothing was written and nothing launched.
Then the same plan, properly approved, applies: the refusals were the approvals' doing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from drsorch.contracts import Accounts, RequestCompleted, RequestSpec, Scope
from drsorch.local.deploy import StackOutputs
from drsorch.local.server import LocalEndpoint
from support.approving import sign
from support.aws import client, deploy
from support.discovery_estates import HUB, PRIMARY, RECOVERY, fresh
from support.hostile import run_request, workers_running
from support.monitor_world import calls
from support.observer import observer_queue

pytestmark = pytest.mark.e2e

STACK = "x10approvals"
ESTATE = """
version: 1
name: x10approvals
seed: 10
phase: failed_over
reverse_replication: {state: CONTINUOUS, lag_seconds: 0}
drs: {seed: 10, clock: {scale: 300}}
accounts:
  - kind: hub
    servers:
      - {name: guard-01, wave: 1, tags: {app: guard}}
      - {name: guard-02, wave: 1, tags: {app: guard}}
      - {name: guard-03, wave: 2, tags: {app: guard}}
"""
WRITES = ("UpdateLaunchConfiguration", "StartRecovery", "ReverseReplication")
OTHER_HASH = "0" * 64


def _spec(**changes: Any) -> RequestSpec:
    spec = RequestSpec(
        operation="failback",
        scope=Scope(selector={"app": "guard"}),
        accounts=Accounts(hub=HUB),
        primary_region=PRIMARY,
        recovery_region=RECOVERY,
        requested_by="someone-who-is-not-an-approver",
    )
    return spec.model_copy(update=changes)


def _volumes(instance_ids: list[str]) -> dict[str, frozenset[str]]:
    reservations = client("ec2", region_name=PRIMARY).describe_instances(InstanceIds=instance_ids)
    return {
        i["InstanceId"]: frozenset(m["Ebs"]["VolumeId"] for m in i["BlockDeviceMappings"])
        for r in reservations["Reservations"]
        for i in r["Instances"]
    }


def _other_key() -> str:
    """An asymmetric key like the deployment's, that is not the deployment's."""
    kms = client("kms", region_name=PRIMARY)
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    return str(key["KeyMetadata"]["Arn"])


async def _refusals(stack: StackOutputs, observer: str, plan_hash: str) -> dict[str, Any]:
    """Each hostile apply, by case: its report's first chunk."""
    other_key = _other_key()
    cases: dict[str, RequestSpec] = {
        "unsigned": _spec(approved_plan_hash=plan_hash),
        "wrong-hash": _spec(
            approved_plan_hash=plan_hash,
            approvals=(await sign(stack, "req-x10-wrong-hash", OTHER_HASH),),
        ),
        "expired": _spec(
            approved_plan_hash=plan_hash,
            approvals=(
                await sign(stack, "req-x10-expired", plan_hash, valid_minutes=1, now=_ago()),
            ),
        ),
        "wrong-key": _spec(
            approved_plan_hash=plan_hash,
            approvals=(await sign(stack, "req-x10-wrong-key", plan_hash, key_arn=other_key),),
        ),
        "forged": _spec(
            approved_plan_hash=plan_hash,
            approvals=(await _forged(stack, "req-x10-forged", plan_hash, other_key),),
        ),
        "replayed": _spec(
            approved_plan_hash=plan_hash,
            approvals=(await sign(stack, "req-x10-elsewhere", plan_hash),),
        ),
        "one-of-two": _spec(
            approved_plan_hash=plan_hash,
            approvals=(await sign(stack, "req-x10-one-of-two", plan_hash, required=2),),
        ),
    }
    reports: dict[str, Any] = {}
    for case, spec in cases.items():
        (first, *_) = await run_request(stack, observer, spec, f"req-x10-{case}", within=180)
        reports[case] = first
    return reports


def _ago() -> datetime:
    return datetime.now(UTC) - timedelta(hours=2)


async def _forged(stack: StackOutputs, request_id: str, plan_hash: str, other_key: str) -> Any:
    """An approval naming the deployment's key, signed with another one."""
    real = await sign(stack, request_id, plan_hash)
    other = await sign(stack, request_id, plan_hash, key_arn=other_key)
    return real.model_copy(update={"signature": other.signature})


@pytest.fixture(scope="module")
async def outcome(
    endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    stack = deploy(STACK, VisibilityTimeoutSeconds=60)
    observer = observer_queue(stack, f"{STACK}-observer")
    seeded = fresh(ESTATE)
    originals = [s.original_instance_id for s in seeded.servers]
    folder: Path = tmp_path_factory.mktemp("approvals-workers")
    with workers_running(endpoint, STACK, folder):
        (planned, *_) = await run_request(
            stack, observer, _spec(plan_only=True), "req-x10-plan", within=180
        )
        assert planned.status == "PLANNED" and planned.plan_hash, planned.reason
        before = _volumes(originals)
        refused = await _refusals(stack, observer, planned.plan_hash)
        writes = [c for c in calls() if c["operation"] in WRITES]
        untouched = _volumes(originals) == before
        approval = await sign(stack, "req-x10-approved", planned.plan_hash)
        approved = _spec(approved_plan_hash=planned.plan_hash, approvals=(approval,))
        (applied, *_) = await run_request(stack, observer, approved, "req-x10-approved", within=240)
        after = _volumes(originals)
    return {
        "refused": refused,
        "writes": writes,
        "untouched": untouched,
        "applied": applied,
        "replaced": [i for i in originals if after[i] != before[i]],
        "log": (folder / "configurator.log").read_text(errors="replace")[-3000:],
    }


REASONS = {
    "unsigned": "no approval",
    "wrong-hash": "plan drift",
    "expired": "expired",
    "wrong-key": "not this deployment's approvals key",
    "forged": "forged or altered",
    "replayed": "is for request req-x10-elsewhere",
    "one-of-two": "needs 2 distinct approvers, has 1",
}


@pytest.mark.parametrize("case", sorted(REASONS))
def test_an_apply_without_a_valid_approval_is_refused_with_its_reason(
    outcome: dict[str, Any], case: str
) -> None:
    report: RequestCompleted = outcome["refused"][case]
    assert report.status == "REJECTED", (report.status, report.reason, outcome["log"])
    assert REASONS[case] in str(report.reason), report.reason
    assert {line.outcome for line in report.servers} == {"rejected"}
    assert all(REASONS[case] in str(line.reason) for line in report.servers)


def test_nothing_was_written_or_launched_before_the_valid_approval(
    outcome: dict[str, Any],
) -> None:
    # DRS's own call log and EC2's volumes: no launch setting, no job, no swapped disk.
    assert outcome["writes"] == [], json.dumps(outcome["writes"])[:2000]
    assert outcome["untouched"]


def test_the_same_plan_properly_approved_applies(outcome: dict[str, Any]) -> None:
    applied: RequestCompleted = outcome["applied"]
    assert applied.status == "SUCCEEDED", applied.reason
    assert len(outcome["replaced"]) == 3
