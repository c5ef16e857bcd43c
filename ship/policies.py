"""The IAM policies of drsorch's templates, as plain documents, and what they grant.

Intrinsics are resolved with stand-in values (an account, a region, an ARN per
logical ID) so that parliament and the least-privilege test read the documents as
IAM would. A role's `Metadata` `drsorch:unrecorded` lists the actions it is granted
although the end-to-end suite never calls them, each with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from parliament import analyze_policy_string  # type: ignore[import-untyped]  # no stubs

from drsorch.local.template import Resolver

ROOT = Path(__file__).resolve().parents[1]
HUB_TEMPLATE = ROOT / "infra" / "aws" / "drsorch.yaml"
SPOKE_TEMPLATE = ROOT / "infra" / "aws" / "spoke.yaml"
TEMPLATES = (HUB_TEMPLATE, SPOKE_TEMPLATE)
ACCOUNT, REGION, PARTITION = "111122223333", "us-east-1", "aws"
UNRECORDED = "drsorch:unrecorded"
_POLICY_TYPES = ("AWS::IAM::Role", "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy")


@dataclass(frozen=True)
class Policy:
    """One identity policy of a template: where it is, and the document."""

    template: str
    logical_id: str
    name: str
    document: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.template}:{self.logical_id}/{self.name}"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def resolver(template: Mapping[str, Any]) -> Resolver:
    """Resolves the template's intrinsics with stand-in values."""
    refs: dict[str, str] = {
        "AWS::AccountId": ACCOUNT,
        "AWS::Region": REGION,
        "AWS::Partition": PARTITION,
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackName": "drsorch",
        "AWS::StackId": f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/drsorch/0",
    }
    for name, spec in (template.get("Parameters") or {}).items():
        refs[name] = str(spec.get("Default") or f"{name.lower()}-value")

    resources = template.get("Resources") or {}
    types = {name: str(spec.get("Type")) for name, spec in resources.items()}
    for logical_id, kind in types.items():
        refs[logical_id] = _stand_in(kind, logical_id)

    def get_att(logical_id: str, attribute: str) -> str:
        return _stand_in(types.get(logical_id, ""), logical_id, attribute)

    return Resolver(refs, get_att)


def _stand_in(kind: str, name: str, attribute: str = "Ref") -> str:
    """What CloudFormation would return for the resource, with stand-in names."""
    arn = f"arn:{PARTITION}"
    known = {
        ("AWS::SNS::Topic", "Ref"): f"{arn}:sns:{REGION}:{ACCOUNT}:{name}",
        ("AWS::SQS::Queue", "Arn"): f"{arn}:sqs:{REGION}:{ACCOUNT}:{name}",
        ("AWS::SQS::Queue", "QueueName"): name,
        ("AWS::DynamoDB::Table", "Arn"): f"{arn}:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
        ("AWS::DynamoDB::Table", "Ref"): name,
        ("AWS::KMS::Key", "Arn"): f"{arn}:kms:{REGION}:{ACCOUNT}:key/{name}",
        ("AWS::IAM::Role", "Arn"): f"{arn}:iam::{ACCOUNT}:role/{name}",
        ("AWS::Events::Rule", "Arn"): f"{arn}:events:{REGION}:{ACCOUNT}:rule/{name}",
    }
    return known.get((kind, attribute), f"{arn}:stand-in:{REGION}:{ACCOUNT}:{name}/{attribute}")


def policies(path: Path) -> Iterator[Policy]:
    """Every identity policy of the template (inline role policies, managed policies)."""
    template = load(path)
    resolve = resolver(template)
    for logical_id, spec in (template.get("Resources") or {}).items():
        if spec.get("Type") not in _POLICY_TYPES:
            continue
        props = spec.get("Properties") or {}
        if spec["Type"] == "AWS::IAM::Role":
            for inline in props.get("Policies") or []:
                document = resolve.resolve(inline["PolicyDocument"])
                yield Policy(path.name, logical_id, str(inline["PolicyName"]), document)
        else:
            yield Policy(path.name, logical_id, "policy", resolve.resolve(props["PolicyDocument"]))


def granted(path: Path, logical_id: str) -> set[str]:
    """The actions a role (or managed policy) of the template allows, as written."""
    actions: set[str] = set()
    for policy in policies(path):
        if policy.logical_id != logical_id:
            continue
        for statement in policy.document["Statement"]:
            if statement.get("Effect") == "Allow":
                named = statement["Action"]
                actions.update([named] if isinstance(named, str) else named)
    return actions


def unrecorded(path: Path, logical_id: str) -> dict[str, str]:
    """The role's written exceptions: action -> why the suite never calls it."""
    spec = load(path)["Resources"][logical_id]
    found: dict[str, str] = (spec.get("Metadata") or {}).get(UNRECORDED) or {}
    return found


def parliament_findings() -> list[str]:
    """parliament's findings on every identity policy of both templates."""
    findings: list[str] = []
    for path in TEMPLATES:
        for policy in policies(path):
            analyzed = analyze_policy_string(json.dumps(policy.document))
            findings.extend(
                f"{policy.label}: {finding.issue} {finding.detail} {finding.location}"
                for finding in analyzed.findings
            )
    return findings
