"""Deploying drsorch into an organization: the hub stack in one account, the spoke role
in every member account.

`deploy_hub` uploads the zips `make package` built (content-addressed keys, skipped
when already there) and creates or updates the hub stack with them. `deploy_spokes`
creates or updates a service-managed StackSet of infra/aws/spoke.yaml and deploys it
to organizational units, with automatic deployment to accounts that join later.
Both use the standard AWS credential chain (`AWS_PROFILE`, SSO, ...) and work the
same against the local endpoint, which is how they are tested.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from drsorch.local.template import load_template
from ship.policies import HUB_TEMPLATE, SPOKE_TEMPLATE

CODE_KEYS = {
    "discovery": "DiscoveryCodeKey",
    "matcher": "MatcherCodeKey",
    "configurator": "ConfiguratorCodeKey",
    "monitor": "MonitorCodeKey",
}
CAPABILITIES = ["CAPABILITY_NAMED_IAM"]


class DeployError(Exception):
    """The deploy could not start or did not succeed; the message says what AWS said."""


def _parameters(values: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(values.items())]


def upload_code(s3: Any, bucket: str, manifest_path: Path) -> dict[str, str]:
    """Upload each zip of the manifest unless its key exists; the stack parameters naming them."""
    manifest = json.loads(manifest_path.read_text())
    values: dict[str, str] = {"ArtifactBucket": bucket}
    architectures = {entry["architecture"] for entry in manifest.values()}
    if len(architectures) != 1 or set(manifest) != set(CODE_KEYS):
        raise DeployError(f"{manifest_path}: needs the four services built for one architecture")
    values["Architecture"] = architectures.pop()
    for service, entry in manifest.items():
        key = entry["key"]
        try:
            s3.head_object(Bucket=bucket, Key=key)
        except ClientError:
            s3.upload_file(str(manifest_path.parent / entry["file"]), bucket, key)
        values[CODE_KEYS[service]] = key
    return values


def deploy_hub(
    stack_name: str,
    bucket: str,
    manifest_path: Path,
    parameters: Mapping[str, str],
    *,
    session: boto3.session.Session | None = None,
    template: Path = HUB_TEMPLATE,
    delay: int = 15,
) -> dict[str, str]:
    """Create or update the hub stack with the packaged code; its outputs."""
    session = session or boto3.session.Session()
    # List parameters' defaults passed as they are: the same to CloudFormation, and the
    # local endpoint's CloudFormation (moto) splits a list only when it is passed.
    body = load_template(template)
    lists = {k: v for k, v in body.parameter_defaults.items() if k in body.list_parameters}
    values = {**lists, **upload_code(session.client("s3"), bucket, manifest_path), **parameters}
    cloudformation = session.client("cloudformation")
    arguments: dict[str, Any] = {
        "StackName": stack_name,
        "TemplateBody": body.body,
        "Parameters": _parameters(values),
        "Capabilities": CAPABILITIES,
        "Tags": [{"Key": "app", "Value": "drsorch"}],
    }
    try:
        cloudformation.describe_stacks(StackName=stack_name)
        exists = True
    except ClientError:
        exists = False
    try:
        if exists:
            cloudformation.update_stack(**arguments)
        else:
            cloudformation.create_stack(**arguments)
    except ClientError as exc:
        if "No updates are to be performed" not in str(exc):
            raise DeployError(f"stack {stack_name}: {exc}") from exc
    else:
        waiter = (
            cloudformation.get_waiter("stack_update_complete")
            if exists
            else cloudformation.get_waiter("stack_create_complete")
        )
        waiter.wait(StackName=stack_name, WaiterConfig={"Delay": delay, "MaxAttempts": 240})
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def deploy_spokes(
    stack_set_name: str,
    organizational_units: Sequence[str],
    regions: Sequence[str],
    parameters: Mapping[str, str],
    *,
    session: boto3.session.Session | None = None,
    template: Path = SPOKE_TEMPLATE,
) -> str:
    """Create or update the spoke StackSet and deploy it to the units; the operation ID.

    Run it from the organization's management account or a delegated administrator
    of CloudFormation StackSets (`call_as` DELEGATED_ADMIN is the caller's choice).
    The role is global (IAM), so one region is enough: pass the hub's region.
    """
    session = session or boto3.session.Session()
    cloudformation = session.client("cloudformation")
    arguments: dict[str, Any] = {
        "StackSetName": stack_set_name,
        "TemplateBody": template.read_text(encoding="utf-8"),
        "Parameters": _parameters(parameters),
        "Capabilities": CAPABILITIES,
        "PermissionModel": "SERVICE_MANAGED",
        "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
        "Tags": [{"Key": "app", "Value": "drsorch"}],
    }
    try:
        cloudformation.describe_stack_set(StackSetName=stack_set_name)
        cloudformation.update_stack_set(**arguments)
    except ClientError as exc:
        if "StackSetNotFound" not in str(exc) and "not found" not in str(exc).lower():
            raise DeployError(f"stack set {stack_set_name}: {exc}") from exc
        cloudformation.create_stack_set(**arguments)
    created = cloudformation.create_stack_instances(
        StackSetName=stack_set_name,
        DeploymentTargets={"OrganizationalUnitIds": list(organizational_units)},
        Regions=list(regions),
        OperationPreferences={"FailureToleranceCount": 0, "MaxConcurrentCount": 10},
    )
    return str(created["OperationId"])
