"""The CloudFormation side of a deploy: create or update a stack, wait, read it back."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudformation.literals import CapabilityType
    from mypy_boto3_cloudformation.type_defs import ParameterTypeDef, StackTypeDef

POLL_SECONDS = 0.2
# The template names its IAM roles and policies (spoke accounts trust them by name).
CAPABILITIES: list[CapabilityType] = ["CAPABILITY_NAMED_IAM"]
_SUCCEEDED = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE"})
_GONE = frozenset({"DELETE_COMPLETE"})
_RETRY_BY_RECREATING = frozenset({"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED"})


class StackError(Exception):
    """The stack did not reach CREATE_COMPLETE or UPDATE_COMPLETE in time."""


@dataclass(frozen=True)
class StackResource:
    logical_id: str
    type: str
    physical_id: str
    status: str


def find_stack(cloudformation: CloudFormationClient, stack_name: str) -> StackTypeDef | None:
    """The stack, or None when there is none (or only a deleted one) by that name."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    live = [stack for stack in stacks if stack["StackStatus"] not in _GONE]
    return live[0] if live else None


def apply_stack(
    cloudformation: CloudFormationClient,
    stack_name: str,
    template_body: str,
    parameters: Mapping[str, str],
    timeout: float,
) -> StackTypeDef:
    """Create the stack, or update it when it exists; wait until it settles."""
    params: list[ParameterTypeDef] = [
        {"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()
    ]
    stack = find_stack(cloudformation, stack_name)
    if stack is not None and stack["StackStatus"] in _RETRY_BY_RECREATING:
        cloudformation.delete_stack(StackName=stack_name)
        wait_for_stack(cloudformation, stack_name, timeout)
        stack = None
    if stack is None:
        cloudformation.create_stack(
            StackName=stack_name,
            TemplateBody=template_body,
            Parameters=params,
            Capabilities=CAPABILITIES,
        )
    else:
        try:
            cloudformation.update_stack(
                StackName=stack_name,
                TemplateBody=template_body,
                Parameters=params,
                Capabilities=CAPABILITIES,
            )
        except ClientError as exc:
            if "No updates are to be performed" not in str(exc):
                raise
    settled = wait_for_stack(cloudformation, stack_name, timeout)
    if settled is None:
        raise StackError(f"stack {stack_name} vanished while deploying")
    return settled


def wait_for_stack(
    cloudformation: CloudFormationClient, stack_name: str, timeout: float
) -> StackTypeDef | None:
    """Poll until the stack leaves every *_IN_PROGRESS status; fail unless it succeeded.

    None means the stack is gone (deleted).
    """
    deadline = time.monotonic() + timeout
    while True:
        stack = find_stack(cloudformation, stack_name)
        if stack is None:
            return None
        status = stack["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            if status in _SUCCEEDED:
                return stack
            reasons = failed_resources(cloudformation, stack_name)
            raise StackError(
                f"stack {stack_name} ended in {status}: {reasons or 'no reason given'}"
            )
        if time.monotonic() > deadline:
            raise StackError(f"stack {stack_name} still {status} after {timeout:.0f} s")
        time.sleep(POLL_SECONDS)


def failed_resources(cloudformation: CloudFormationClient, stack_name: str) -> dict[str, str]:
    events = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
    return {
        event.get("LogicalResourceId", "?"): event.get("ResourceStatusReason", "")
        for event in events
        if event.get("ResourceStatus", "").endswith("_FAILED")
    }


def stack_resources(cloudformation: CloudFormationClient, stack_name: str) -> list[StackResource]:
    """The resources CloudFormation manages for the stack (what moto skipped is absent)."""
    found: list[StackResource] = []
    pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
    for page in pages:
        for summary in page["StackResourceSummaries"]:
            # moto lists a skipped resource as an empty entry: leave it out.
            logical_id = summary.get("LogicalResourceId")
            physical_id = summary.get("PhysicalResourceId")
            if logical_id and physical_id:
                kind, status = summary.get("ResourceType", ""), summary.get("ResourceStatus", "")
                found.append(StackResource(logical_id, kind, physical_id, status))
    return found


def stack_outputs(cloudformation: CloudFormationClient, stack_name: str) -> dict[str, str]:
    """The stack's outputs by name: how drsorch code learns topic, queue and table names."""
    stack = find_stack(cloudformation, stack_name)
    if stack is None:
        raise StackError(f"no stack {stack_name}")
    return {
        output["OutputKey"]: output["OutputValue"]
        for output in stack.get("Outputs", [])
        if "OutputKey" in output and "OutputValue" in output
    }


def stack_parameters(stack: StackTypeDef) -> dict[str, str]:
    return {
        parameter["ParameterKey"]: parameter["ParameterValue"]
        for parameter in stack.get("Parameters", [])
        if "ParameterKey" in parameter and "ParameterValue" in parameter
    }
