"""Least privilege, enforced: the failback runs with every worker held to its deployed role.

The hub stack (infra/aws/drsorch.yaml) is deployed with its function roles, and the
spoke stack (infra/aws/spoke.yaml) into the spoke account. Then the local endpoint
checks every request against the caller's IAM policies (moto's evaluation, given the
real topic, table and stack ARNs; the DRS emulator asks it too for `drs:*`). Each
service runs as a process of its own with the credentials STS gives its function
role, as Lambda would; the services reach the spoke through the spoke role. An
operator holding only the stack's OperatorPolicy plans and approves the failback with
the drsorch command, and it completes, in the hub and in the spoke. Then one action is
taken out of the monitor's role, and the next failback is refused with AccessDenied:
nothing launches.
docs/iam-proof.md says what moto does not evaluate.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends
from ship.policies import SPOKE_TEMPLATE

from drsorch.cli.workers import Workers
from drsorch.contracts import Accounts, RequestSpec, Scope, Spoke
from drsorch.local.deploy import StackOutputs
from drsorch.local.estate import SeededServer
from drsorch.local.iam_enforce import enforce
from drsorch.local.server import LocalEndpoint
from support.aws import client, deploy, wait_for
from support.cli_run import cli_env, run
from support.cli_world import logs, worker_env
from support.monitor_e2e import Flow
from support.monitor_world import calls, seed
from support.observer import observe, observer_queue, publish_request

pytestmark = pytest.mark.e2e

STACK = "iamx"
HUB, SPOKE = "123456789012", "210987654321"
PRIMARY, RECOVERY = "us-east-1", "us-west-2"
SPOKE_ROLE = "drsorch-spoke-enforced"
EXTERNAL_ID = f"drsorch-hub-{HUB}"
ENFORCED = ("pay-db-01", "pay-app-01", "pay-report-01")
SERVICES = ("discovery", "matcher", "configurator", "monitor")
ESTATE = f"""
version: 1
name: iamx
seed: 23
regions: {{primary: {PRIMARY}, recovery: {RECOVERY}}}
phase: failed_over
drs: {{seed: 23, clock: {{scale: 600}}}}
accounts:
  - kind: hub
    servers:
      - {{name: pay-db-01, wave: 1, tags: {{dr-plan: enforced}}}}
      - {{name: pay-app-01, wave: 2, tags: {{dr-plan: enforced}}}}
      - {{name: crm-db-01, wave: 1, tags: {{dr-plan: denied}}}}
  - kind: spoke
    id: "{SPOKE}"
    role_name: drsorch-spoke-access
    external_id: {EXTERNAL_ID}
    servers:
      - {{name: pay-report-01, wave: 1, tags: {{dr-plan: enforced}}}}
"""


@dataclass
class Enforced:
    stack: StackOutputs
    servers: dict[str, SeededServer]
    observer: str
    credentials: dict[str, dict[str, str]]
    harness: dict[str, str]
    operator: dict[str, str]
    folder: Path

    def client(self, service: str) -> Any:
        """A client with the harness's own keys (the default session caches the old ones)."""
        return client(
            service,
            aws_access_key_id=self.harness["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.harness["AWS_SECRET_ACCESS_KEY"],
        )


def _deploy_spoke() -> None:
    """infra/aws/spoke.yaml into the spoke account, through CloudFormation, as a StackSet would."""
    cloudformation = client("cloudformation", region_name=PRIMARY)

    def in_spoke(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = SPOKE  # the local endpoint's account switch

    cloudformation.meta.events.register("before-send.cloudformation", in_spoke)
    cloudformation.create_stack(
        StackName="drsorch-spoke",
        TemplateBody=SPOKE_TEMPLATE.read_text(),
        Parameters=[
            {"ParameterKey": "HubAccountId", "ParameterValue": HUB},
            {"ParameterKey": "HubPrefix", "ParameterValue": STACK},
            {"ParameterKey": "SpokeRoleName", "ParameterValue": SPOKE_ROLE},
            {"ParameterKey": "ExternalId", "ParameterValue": EXTERNAL_ID},
        ],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    stack = cloudformation.describe_stacks(StackName="drsorch-spoke")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack


def _function_role_credentials(service: str) -> dict[str, str]:
    """What Lambda hands the function: STS credentials of its role (minted as STS does)."""
    role = f"arn:aws:iam::{HUB}:role/{STACK}-{service}-{PRIMARY}"
    assumed = sts_backends[HUB]["aws"].assume_role(
        region_name=PRIMARY,
        role_session_name=f"{STACK}-{service}",
        role_arn=role,
        policy="",
        duration=3600,
        external_id="",
    )
    return {
        "AWS_ACCESS_KEY_ID": assumed.access_key_id,
        "AWS_SECRET_ACCESS_KEY": assumed.secret_access_key,
        "AWS_SESSION_TOKEN": assumed.session_token,
    }


def _harness_user() -> dict[str, str]:
    """An administrator for the test's own calls (publishing requests, observing events)."""
    iam = client("iam")
    iam.create_user(UserName="iamx-harness")
    iam.put_user_policy(
        UserName="iamx-harness",
        PolicyName="everything",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName="iamx-harness")["AccessKey"]
    return {
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
    }


def _operator_user(policy_arn: str) -> dict[str, str]:
    """An operator whose only permissions are the stack's OperatorPolicy."""
    iam = client("iam")
    iam.create_user(UserName="iamx-operator")
    iam.attach_user_policy(UserName="iamx-operator", PolicyArn=policy_arn)
    key = iam.create_access_key(UserName="iamx-operator")["AccessKey"]
    return {
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
    }


@pytest.fixture(scope="module")
def enforced(
    endpoint: LocalEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Enforced]:
    endpoint.reset()
    servers = seed(ESTATE, "iamx")
    stack = deploy(
        STACK,
        VisibilityTimeoutSeconds=30,
        SpokeRoleName=SPOKE_ROLE,
        SpokeExternalId=EXTERNAL_ID,
    )
    _deploy_spoke()
    observer = observer_queue(stack, f"{STACK}-observer")
    credentials = {service: _function_role_credentials(service) for service in SERVICES}
    harness = _harness_user()
    operator = _operator_user(stack.outputs["OperatorPolicyArn"])
    with pytest.MonkeyPatch.context() as patch:
        for name, value in harness.items():
            patch.setenv(name, value)
        enforce(True)
        try:
            yield Enforced(
                stack,
                servers,
                observer,
                credentials,
                harness,
                operator,
                tmp_path_factory.mktemp("iamx"),
            )
        finally:
            enforce(False)


def _spec(plan: str) -> RequestSpec:
    return RequestSpec(
        operation="failback",
        scope=Scope(selector={"dr-plan": plan}),
        accounts=Accounts(hub=HUB, spokes=(Spoke(account_id=SPOKE),))
        if plan == "enforced"
        else Accounts(hub=HUB),
        primary_region=PRIMARY,
        recovery_region=RECOVERY,
        requested_by="iam-e2e",
    )


@asynccontextmanager
async def _running(world: Enforced, name: str) -> AsyncIterator[Flow]:
    """The four services as processes, each with its own role's credentials."""
    env = worker_env(str(os.environ["AWS_ENDPOINT_URL"]), STACK) | {
        "DRSORCH_SPOKE_ROLE_NAME": SPOKE_ROLE,
        "DRSORCH_SPOKE_EXTERNAL_ID": EXTERNAL_ID,
        "DRSORCH_SPOKE_ACCOUNTS": SPOKE,
    }
    workers = Workers(world.folder / name)
    workers.start(env, world.credentials)
    flow = Flow(world.stack)
    stop = asyncio.Event()
    watching = asyncio.create_task(observe(world.observer, flow.record, flow.changed, stop))
    try:
        await asyncio.to_thread(workers.wait_ready, 90)
        yield flow
    finally:
        stop.set()
        await watching
        await asyncio.to_thread(workers.stop)


@pytest.fixture(scope="module")
async def flow(enforced: Enforced) -> AsyncIterator[Flow]:
    """One set of workers for the module: IAM reads the roles at each request."""
    async with _running(enforced, "workers") as running:
        yield running


@pytest.fixture(scope="module")
async def allowed(enforced: Enforced, flow: Flow) -> dict[str, Any]:
    """The operator plans and approves the failback with the drsorch command; its report."""
    env = cli_env(STACK, enforced.folder / "plans") | enforced.operator
    (enforced.folder / "plans").mkdir()
    failback = [
        "failback",
        *("--primary-region", PRIMARY, "--recovery-region", RECOVERY),
        *("--scope", "dr-plan=enforced", "--accounts", f"{HUB},{SPOKE}"),
    ]
    planned = await run([*failback, "--plan"], env)
    assert planned.code == 0, planned.out + planned.err
    plan_hash = planned.field(r"Plan ([0-9a-f]{64})")
    applied = await run(
        ["--output", "json", *failback, "--approve", plan_hash, "--wait", "--timeout", "120"],
        env,
        within=150,
    )
    assert applied.code == 0, f"{applied.out}{applied.err}{logs(enforced.folder / 'workers')}"
    report: dict[str, Any] = json.loads(applied.out)
    # The monitor's record of it, as the operator reads it (dynamodb:Query, enforced too).
    status = await run(["--output", "json", "status", report["request_id"]], env)
    assert status.code == 0, status.out + status.err
    assert json.loads(status.out)["status"] == report["status"]
    return report


def test_the_failback_completes_with_every_worker_held_to_its_role(
    allowed: dict[str, Any], enforced: Enforced
) -> None:
    assert allowed["status"] == "SUCCEEDED", allowed.get("reason")
    lines = {line["server"]["name"]: line for line in allowed["servers"]}
    assert set(lines) == set(ENFORCED)
    assert {enforced.servers[name].account_id for name in ENFORCED} == {HUB, SPOKE}
    for name in ENFORCED:
        assert lines[name]["outcome"] == "recovered", lines[name]
        assert lines[name]["ec2_instance_id"] == enforced.servers[name].original_instance_id
    refused = [c for c in calls() if c["status"] == 403]
    assert refused == [], refused
    # The spoke's server was reached with the spoke role's credentials, from spoke.yaml.
    spoke_role = f"arn:aws:iam::{SPOKE}:role/{SPOKE_ROLE}"
    assert any(a.role_arn == spoke_role for a in sts_backends[SPOKE]["aws"].assumed_roles)


def test_every_drs_call_was_checked_against_the_callers_role(enforced: Enforced) -> None:
    """The emulator refuses a caller whose role lacks the action: here, no role at all."""
    drs = client(
        "drs",
        region_name=PRIMARY,
        aws_access_key_id=enforced.credentials["matcher"]["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=enforced.credentials["matcher"]["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=enforced.credentials["matcher"]["AWS_SESSION_TOKEN"],
    )
    with pytest.raises(drs.exceptions.AccessDeniedException, match="drs:DescribeSourceServers"):
        drs.describe_source_servers(filters={})


def _deployed_policy(role: str, name: str) -> dict[str, Any]:
    """The role's inline policy as the stack deployed it (moto's GetRolePolicy answers
    a CloudFormation-made document as Python's repr, not JSON)."""
    backend = iam_backends[HUB]["aws"]
    document = next(r for r in backend.roles.values() if r.name == role).policies[name]
    parsed: dict[str, Any] = json.loads(document) if isinstance(document, str) else dict(document)
    return parsed


def _without(document: dict[str, Any], action: str) -> dict[str, Any]:
    """The policy with one action taken out of every statement granting it."""
    statements = []
    for statement in document["Statement"]:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        kept = [a for a in actions if a != action]
        if kept:
            statements.append({**statement, "Action": kept})
    return {**document, "Statement": statements}


@pytest.fixture(scope="module")
async def denied(enforced: Enforced, flow: Flow) -> dict[str, Any]:
    """A failback with drs:StartRecovery taken out of the monitor's role."""
    iam = enforced.client("iam")
    role = f"{STACK}-monitor-{PRIMARY}"
    granted = _deployed_policy(role, "monitor")
    iam.put_role_policy(
        RoleName=role,
        PolicyName="monitor",
        PolicyDocument=json.dumps(_without(granted, "drs:StartRecovery")),
    )
    before = len(calls("StartRecovery"))

    def refused() -> list[dict[str, Any]]:
        return [c for c in calls("StartRecovery")[before:] if c["status"] == 403]

    try:
        await publish_request(enforced.stack, _spec("denied"), "req-iamx-denied")
        try:
            found = await asyncio.to_thread(wait_for, refused, timeout=120)
        except TimeoutError:
            pytest.fail(f"no refused StartRecovery:\n{logs(enforced.folder / 'workers')}")
        starts = calls("StartRecovery")[before:]
        report = flow.report("req-iamx-denied")
    finally:
        iam.put_role_policy(RoleName=role, PolicyName="monitor", PolicyDocument=json.dumps(granted))
    return {"refused": found, "starts": starts, "report": report}


def test_a_role_missing_one_action_is_refused_with_access_denied_and_nothing_launches(
    denied: dict[str, Any],
) -> None:
    refusal = denied["refused"][0]
    assert refusal["error_code"] == "AccessDeniedException", refusal
    assert "drs:StartRecovery" in refusal["error_message"]
    assert [c for c in denied["starts"] if c["status"] != 403] == [], "a job started"
    report = denied["report"]
    assert report is None or report[0].status != "SUCCEEDED"
