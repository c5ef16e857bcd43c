"""Deploy drsorch's CloudFormation template into the local endpoint, completely.

moto's CloudFormation creates the topics, queues, tables, key, roles and functions,
but skips the subscriptions, queue policies and alarms (and a few properties).
`deploy_stack` deploys the stack, creates what was skipped from the same template
through the service APIs, then checks every resource of the template and fails
loudly, naming each logical ID that is missing or not as declared.

The functions are created, never invoked: moto would run them in Docker. Their
event source mappings are deployed disabled (`EventSourceMappingsEnabled=false`)
and the local run consumes the queues with the workers; their code is a stub zip
in a local bucket unless the caller names real ones.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from drsorch.local.cfn_gaps import SKIPPED_TYPES, Clients, build_reconcilers
from drsorch.local.outputs import MissingOutputsError, StackOutputs
from drsorch.local.reconcile import Reconciler
from drsorch.local.stack import (
    StackResource,
    apply_stack,
    stack_outputs,
    stack_parameters,
    stack_resources,
)
from drsorch.local.template import GetAtt, Resolver, Template, TemplateError, load_template

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudformation.type_defs import StackTypeDef
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

__all__ = ["DeployError", "StackOutputs", "deploy_stack", "stack_outputs"]

DEFAULT_TEMPLATE = Path(__file__).resolve().parents[4] / "aws" / "drsorch.yaml"
_AWS_ERRORS = (ClientError, BotoCoreError)
LOCAL_ARTIFACT_BUCKET = "drsorch-local-artifacts"
CODE_KEY_PARAMETERS = (
    "DiscoveryCodeKey",
    "MatcherCodeKey",
    "ConfiguratorCodeKey",
    "MonitorCodeKey",
)
_STUB_NOTE = (
    "drsorch's local deploy: the functions exist but are never invoked locally;\n"
    "the workers consume the queues. `make package` builds the real zips.\n"
)


class DeployError(Exception):
    """Resources of the template are missing or differ after a deploy."""

    def __init__(self, stack_name: str, missing: Mapping[str, str]) -> None:
        self.stack_name = stack_name
        self.missing = dict(sorted(missing.items()))
        lines = "\n".join(f"  {logical_id}: {why}" for logical_id, why in self.missing.items())
        super().__init__(
            f"stack {stack_name}: {len(self.missing)} template resource(s) missing "
            f"or not as declared ({', '.join(self.missing)}):\n{lines}"
        )


def deploy_stack(
    cloudformation: CloudFormationClient,
    sns: SNSClient,
    sqs: SQSClient,
    cloudwatch: CloudWatchClient,
    *,
    stack_name: str = "drsorch",
    template_path: Path = DEFAULT_TEMPLATE,
    parameters: Mapping[str, str | int] | None = None,
    dynamodb: DynamoDBClient | None = None,
    timeout: float = 120.0,
) -> StackOutputs:
    """Create or update the stack, fill in what the local CloudFormation skips, verify.

    `dynamodb` defaults to a client on the CloudFormation client's endpoint and
    region with the standard credentials. Raises `DeployError` listing every
    logical ID of the template that is missing or differs; a second deploy of the
    same template and parameters changes nothing.
    """
    template = load_template(template_path)
    given = {k: str(v) for k, v in (parameters or {}).items()}
    values = {**_list_defaults(template), **_local_compute(template, given), **given}
    if "ArtifactBucket" in template.parameters and "ArtifactBucket" not in given:
        _upload_stub_code(_client("s3", cloudformation), values)
    stack = apply_stack(cloudformation, stack_name, template.body, values, timeout)
    if dynamodb is None:
        dynamodb = _client("dynamodb", cloudformation)
    clients = Clients(sns=sns, sqs=sqs, cloudwatch=cloudwatch, dynamodb=dynamodb)
    resources = {r.logical_id: r for r in stack_resources(cloudformation, stack_name)}
    refs = _refs(template, stack, resources, cloudformation.meta.region_name)
    resolver = Resolver(refs, _get_att(clients, resources, refs))
    reconcilers, failures = build_reconcilers(template, resolver, clients, refs)
    for reconciler in reconcilers:
        try:
            reconciler.apply()
        except _AWS_ERRORS as exc:
            failures.setdefault(reconciler.logical_id, f"could not create it: {exc}")
    missing = {**_verify(template, resources, reconcilers), **failures}
    try:
        outputs = StackOutputs.from_outputs(stack_name, stack_outputs(cloudformation, stack_name))
    except MissingOutputsError as exc:
        missing.update({f"Outputs.{name}": "not in the stack" for name in exc.missing})
    if missing:
        raise DeployError(stack_name, missing)
    return outputs


def _client(service: str, cloudformation: CloudFormationClient) -> Any:
    """A client of another service with the CloudFormation client's endpoint, region and
    credentials (`drsorch local up` passes its own; the shell may have none)."""
    # botocore exposes a client's credentials only on its request signer.
    signer = cast(Any, cloudformation)._request_signer
    credentials = signer._credentials.get_frozen_credentials()
    return boto3.client(  # type: ignore[call-overload]
        service,
        region_name=cloudformation.meta.region_name,
        endpoint_url=cloudformation.meta.endpoint_url,
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        aws_session_token=credentials.token,
    )


def _local_compute(template: Template, given: Mapping[str, str]) -> dict[str, str]:
    """The compute parameters of a local deploy: stub code, mappings off."""
    values: dict[str, str] = {}
    if "EventSourceMappingsEnabled" in template.parameters:
        values["EventSourceMappingsEnabled"] = "false"
    if "ArtifactBucket" in template.parameters and "ArtifactBucket" not in given:
        values["ArtifactBucket"] = LOCAL_ARTIFACT_BUCKET
        values.update({name: f"local/{name}.zip" for name in CODE_KEY_PARAMETERS})
    return values


def _upload_stub_code(s3: S3Client, values: Mapping[str, str]) -> None:
    s3.create_bucket(Bucket=values["ArtifactBucket"])
    body = _stub_zip()
    for name in CODE_KEY_PARAMETERS:
        s3.put_object(Bucket=values["ArtifactBucket"], Key=values[name], Body=body)


def _stub_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("LOCAL-STUB.txt", (1980, 1, 1, 0, 0, 0)), _STUB_NOTE)
    return buffer.getvalue()


def _list_defaults(template: Template) -> dict[str, str]:
    """List parameters' defaults, to be passed explicitly.

    moto splits a list parameter's value only when it is passed: a default stays one
    string, and a `Ref` to it where a list belongs (an event pattern) is refused.
    """
    return {
        name: value
        for name, value in template.parameter_defaults.items()
        if name in template.list_parameters
    }


def _verify(
    template: Template, resources: Mapping[str, StackResource], reconcilers: list[Reconciler]
) -> dict[str, str]:
    missing: dict[str, str] = {}
    for resource in template.resources:
        if resource.type in SKIPPED_TYPES:
            continue
        found = resources.get(resource.logical_id)
        if found is None or not found.status.endswith("_COMPLETE"):
            missing[resource.logical_id] = "CloudFormation did not create it"
    for reconciler in reconcilers:
        try:
            gap = reconciler.gap()
        except _AWS_ERRORS as exc:
            gap = f"cannot be read back: {exc}"
        if gap is not None:
            missing.setdefault(reconciler.logical_id, gap)
    return missing


def _refs(
    template: Template, stack: StackTypeDef, resources: Mapping[str, StackResource], region: str
) -> dict[str, str]:
    stack_id = stack["StackId"]
    return {
        **template.parameter_defaults,
        **stack_parameters(stack),
        "AWS::Region": region,
        "AWS::AccountId": stack_id.split(":")[4],
        "AWS::StackName": stack["StackName"],
        "AWS::StackId": stack_id,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        **{logical_id: r.physical_id for logical_id, r in resources.items()},
    }


def _get_att(
    clients: Clients, resources: Mapping[str, StackResource], refs: Mapping[str, str]
) -> GetAtt:
    """`Fn::GetAtt` for the attributes drsorch's template reads, from the live resources."""

    def get_att(logical_id: str, attribute: str) -> str:
        resource = resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"Fn::GetAtt on {logical_id}, which the stack does not hold")
        physical = resource.physical_id
        match resource.type, attribute:
            case "AWS::SQS::Queue", "Arn":
                found = clients.sqs.get_queue_attributes(
                    QueueUrl=physical, AttributeNames=["QueueArn"]
                )
                return found["Attributes"]["QueueArn"]
            case "AWS::SQS::Queue", "QueueName":
                return physical.rsplit("/", 1)[-1]
            case ("AWS::SQS::Queue", "QueueUrl") | ("AWS::SNS::Topic", "TopicArn"):
                return physical
            case "AWS::SNS::Topic", "TopicName":
                return physical.rsplit(":", 1)[-1]
            case "AWS::DynamoDB::Table", "Arn":
                return clients.dynamodb.describe_table(TableName=physical)["Table"]["TableArn"]
            case (("AWS::IAM::Role" | "AWS::Events::Rule"), "Arn"):
                return _named_arn(resource.type, physical, refs)
        raise TemplateError(f"Fn::GetAtt {attribute} of {resource.type} is not resolved locally")

    return get_att


def _named_arn(resource_type: str, name: str, refs: Mapping[str, str]) -> str:
    """The ARN of a resource whose physical ID is its name."""
    partition, account = refs["AWS::Partition"], refs["AWS::AccountId"]
    if resource_type == "AWS::IAM::Role":  # drsorch's roles have no path
        return f"arn:{partition}:iam::{account}:role/{name}"
    # drsorch's rules live on the default bus.
    return f"arn:{partition}:events:{refs['AWS::Region']}:{account}:rule/{name}"
