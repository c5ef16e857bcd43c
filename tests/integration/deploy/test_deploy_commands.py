"""`make deploy` and `make deploy-spokes`, against the local endpoint.

The hub: the packaged zips uploaded under content-addressed keys, the stack created
with them and its mappings enabled, a second deploy changing nothing. The spokes: a
service-managed StackSet of the spoke template deployed to an organizational unit,
one stack instance per member account. Only the same calls against real AWS are
untested (docs/deploy.md says so).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import boto3
import pytest
from ship.deploy import CODE_KEYS, deploy_hub, deploy_spokes

from drsorch.local.server import LocalEndpoint

pytestmark = pytest.mark.integration

STACK = "shiphub"
BUCKET = "drsorch-artifacts-shiphub"


@pytest.fixture(scope="module")
def session(endpoint: LocalEndpoint) -> boto3.session.Session:
    endpoint.reset()
    return boto3.session.Session(region_name="us-east-1")


def _manifest(folder: Path) -> Path:
    """A manifest as `make package` writes it, with small zips standing in for the code."""
    entries = {}
    for service in CODE_KEYS:
        path = folder / f"{service}-x86_64.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(f"drsorch/{service}/lambda_handler.py", "handler = None\n")
        key = f"drsorch/{service}-x86_64-0123456789abcdef.zip"
        entries[service] = {"file": path.name, "architecture": "x86_64", "sha256": "0", "key": key}
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps(entries))
    return manifest


def test_the_hub_deploys_with_its_code_and_a_second_deploy_changes_nothing(
    session: boto3.session.Session, tmp_path: Path
) -> None:
    session.client("s3").create_bucket(Bucket=BUCKET)
    manifest = _manifest(tmp_path)
    parameters = {"Prefix": STACK, "SpokeExternalId": "drsorch-hub-example"}

    outputs = deploy_hub(STACK, BUCKET, manifest, parameters, session=session, delay=1)
    again = deploy_hub(STACK, BUCKET, manifest, parameters, session=session, delay=1)

    assert again == outputs
    lam = session.client("lambda")
    for service in CODE_KEYS:
        name = outputs[f"{service.capitalize()}FunctionName"]
        config = lam.get_function_configuration(FunctionName=name)
        assert config["Handler"] == f"drsorch.{service}.lambda_handler.handler"
        assert config["Role"] == outputs[f"{service.capitalize()}FunctionRoleArn"]
        variables = config["Environment"]["Variables"]
        assert variables["DRSORCH_SPOKE_EXTERNAL_ID"] == "drsorch-hub-example"
    states = {m["State"] for m in lam.list_event_source_mappings()["EventSourceMappings"]}
    assert states == {"Enabled"}  # on AWS the functions consume the queues
    keys = {o["Key"] for o in session.client("s3").list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert keys == {f"drsorch/{s}-x86_64-0123456789abcdef.zip" for s in CODE_KEYS}


def test_the_spoke_role_reaches_every_account_of_the_unit(
    session: boto3.session.Session,
) -> None:
    org = session.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    unit = org.create_organizational_unit(ParentId=root, Name="workloads")
    unit_id = unit["OrganizationalUnit"]["Id"]
    org.create_account(Email="spoke@example.com", AccountName="spoke")
    member = next(a["Id"] for a in org.list_accounts()["Accounts"] if a["Name"] == "spoke")
    org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=unit_id)
    parameters = {"HubAccountId": "123456789012", "ExternalId": "drsorch-hub-example"}

    operation = deploy_spokes(
        "drsorch-spoke", [unit_id], ["us-east-1"], parameters, session=session
    )

    cloudformation = session.client("cloudformation")
    status = cloudformation.describe_stack_set_operation(
        StackSetName="drsorch-spoke", OperationId=operation
    )["StackSetOperation"]["Status"]
    assert status == "SUCCEEDED"
    instances = cloudformation.list_stack_instances(StackSetName="drsorch-spoke")["Summaries"]
    assert [(i["Account"], i["Status"]) for i in instances] == [(member, "CURRENT")]
    described = cloudformation.describe_stack_set(StackSetName="drsorch-spoke")["StackSet"]
    assert described["PermissionModel"] == "SERVICE_MANAGED"  # (moto omits AutoDeployment)
    # The role is there, in the member account, as the hub will assume it.
    credentials = session.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/drsorch-spoke",
        RoleSessionName="drsorch-discovery",
        ExternalId="drsorch-hub-example",
    )["Credentials"]
    iam = boto3.client(
        "iam",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    role = iam.get_role(RoleName="drsorch-spoke")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    [statement] = trust["Statement"]
    assert statement["Condition"]["StringEquals"]["sts:ExternalId"] == "drsorch-hub-example"
