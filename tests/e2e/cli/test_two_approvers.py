"""Two approvers, as two people would run it: `--approvals 2`, then `drsorch approve`.

The operator's `drsorch` runs as a subprocess against the four services running as
processes. Alice plans and approves with `--approvals 2`: the request is held, nothing
is sent. She cannot be the second approver herself, and Bob (another identity, from
an assumed role) cannot approve a plan other than the one held. Until then DRS saw no
write, and `drsorch status` says what the held request waits for. Bob's approval of the
held plan sends the request and it lands. Each command honours `--output json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from drsorch.local.server import LocalEndpoint
from support.aws import client, deploy
from support.cli_run import Ran, cli_env, run
from support.discovery_estates import HUB, fresh
from support.hostile import workers_running
from support.monitor_world import calls

pytestmark = pytest.mark.e2e

STACK = "x10twoapprovers"
ESTATE = """
version: 1
name: x10two
seed: 12
phase: failed_over
reverse_replication: {state: CONTINUOUS, lag_seconds: 0}
drs: {seed: 12, clock: {scale: 300}}
accounts:
  - kind: hub
    servers:
      - {name: two-01, wave: 1, tags: {app: two}}
      - {name: two-02, wave: 1, tags: {app: two}}
"""
REQUEST = ["--primary-region", "us-east-1", "--recovery-region", "us-west-2", "--scope", "app=two"]
WRITES = ("UpdateLaunchConfiguration", "StartRecovery", "ReverseReplication")
JSON = ["--output", "json"]


def _as_bob(env: dict[str, str]) -> dict[str, str]:
    """Bob's shell: credentials of his own session in the approvers' role."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{HUB}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    client("iam").create_role(
        RoleName=f"{STACK}-approver", AssumeRolePolicyDocument=json.dumps(trust)
    )
    keys = client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{HUB}:role/{STACK}-approver", RoleSessionName="bob"
    )["Credentials"]
    return {
        **env,
        "AWS_ACCESS_KEY_ID": keys["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": keys["SecretAccessKey"],
        "AWS_SESSION_TOKEN": keys["SessionToken"],
    }


@pytest.fixture(scope="module")
async def outcome(
    endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    deploy(STACK, VisibilityTimeoutSeconds=60)
    alice = cli_env(STACK, tmp_path_factory.mktemp("alice-plans"))
    fresh(ESTATE)
    bob = _as_bob(cli_env(STACK, tmp_path_factory.mktemp("bob-plans")))
    folder: Path = tmp_path_factory.mktemp("two-workers")
    with workers_running(endpoint, STACK, folder):
        planned = await run(["failback", *REQUEST, "--plan"], alice, within=180)
        assert planned.code == 0, planned.out + planned.err
        plan_hash = planned.field(r"Plan ([0-9a-f]{64})")
        held = await run(
            [*JSON, "failback", *REQUEST, "--approve", plan_hash, "--approvals", "2"], alice
        )
        assert held.code == 0, held.out + held.err
        request_id = json.loads(held.out)["request_id"]
        waiting = await run(["status", request_id], alice)
        waiting_json = await run([*JSON, "status", request_id], alice)
        again = await run(["approve", request_id, "--hash", plan_hash], alice)
        other = await run(["approve", request_id, "--hash", "0" * 64], bob)
        writes = [c for c in calls() if c["operation"] in WRITES]
        sent = await run([*JSON, "approve", request_id, "--hash", plan_hash], bob)
        followed = await run(["status", request_id, "--wait"], alice, within=240)
    return {
        "held": held,
        "waiting": waiting,
        "waiting_json": waiting_json,
        "again": again,
        "other": other,
        "writes": writes,
        "sent": sent,
        "followed": followed,
    }


def test_the_first_approval_holds_the_request_and_says_who_else_must_approve(
    outcome: dict[str, Any],
) -> None:
    held: Ran = outcome["held"]
    assert "1 more approver(s)" in held.err  # people's words on stderr with --output json
    assert "drsorch approve failback-" in held.err
    document = json.loads(held.out)
    assert document["status"] == "HELD" and document["approvals_missing"] == 1, document


def test_status_says_a_held_request_waits_and_for_what(outcome: dict[str, Any]) -> None:
    waiting: Ran = outcome["waiting"]
    assert waiting.code == 4, waiting.out + waiting.err  # not ended
    assert "is held, not sent: waiting for 1 more approval of plan" in waiting.out
    assert "approved by arn:aws:" in waiting.out
    document = json.loads(outcome["waiting_json"].out)
    assert document["status"] == "HELD" and document["approvals_missing"] == 1, document
    assert len(document["approved_by"]) == 1 and document["approvals_required"] == 2


def test_the_same_approver_cannot_be_the_second(outcome: dict[str, Any]) -> None:
    again: Ran = outcome["again"]
    assert again.code == 3, again.out + again.err
    assert "already approved" in again.err


def test_an_approval_of_another_plan_is_refused(outcome: dict[str, Any]) -> None:
    other: Ran = outcome["other"]
    assert other.code == 3, other.out + other.err
    assert "applies plan" in other.err


def test_nothing_was_written_before_the_second_approval(outcome: dict[str, Any]) -> None:
    assert outcome["writes"] == []


def test_the_second_approver_sends_it_and_it_lands(outcome: dict[str, Any]) -> None:
    sent: Ran = outcome["sent"]
    assert sent.code == 0, sent.out + sent.err
    assert "approved by 2 of 2" in sent.err
    document = json.loads(sent.out)  # approve honours --output json: one document on stdout
    assert document["status"] == "SENT" and document["approvals_missing"] == 0, document
    assert any("assumed-role" in who for who in document["approved_by"])  # Bob, as AWS knows him
    followed: Ran = outcome["followed"]
    assert followed.code == 0, followed.out + followed.err
    assert "SUCCEEDED" in followed.out
