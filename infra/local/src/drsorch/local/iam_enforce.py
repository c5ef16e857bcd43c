"""IAM enforcement on the local endpoint: moto's policy evaluation, given real resources.

moto checks every request against the caller's IAM policies once its
`INITIAL_NO_AUTH_ACTION_COUNT` is reached (`enforce(True)` sets it to 0 for this
process's endpoint). It evaluates each action against one resource, and it works that
resource out only for IAM, SQS, STS and S3: for every other service it uses `*`, which
a statement scoped to an ARN never matches. This plugin gives moto the ARN AWS would
authorize for the services drsorch calls with resource-scoped grants:

- SQS: the queue a GetQueueUrl or CreateQueue names (moto reads only `QueueUrl`);
- SNS: the topic (`TopicArn`);
- DynamoDB: the table, or its index for a Query or Scan with `IndexName`; a transaction
  is authorized item by item as the single-item action each is, on its table;
- CloudFormation: the stack's ID (`StackName` may be a name or an ID);
- KMS: the key's ARN (`KeyId` may be an ID, an ARN or an alias).

The DRS emulator (`drs/wire.py`) asks moto the same question for `drs:*` actions with
`drs_resources`. What moto still does not do is written down in docs/iam-proof.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any

ANY = "*"


def enforce(on: bool) -> None:
    """Switch moto's IAM checks on (every request from now on) or off, in this process."""
    from moto import settings  # noqa: PLC0415 - moto is heavy
    from moto.core.authorization import ActionAuthenticatorMixin  # noqa: PLC0415

    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0 if on else float("inf")
    ActionAuthenticatorMixin.request_count = 0


def partition(region: str) -> str:
    """`aws`, `aws-us-gov` or `aws-cn`, from the region's name."""
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"


def _guarded(resolve: Callable[[Any], str]) -> Callable[[Any], str]:
    """moto calls this on every request, enforced or not: it must never fail one."""

    def determine(self: Any) -> str:
        try:
            return resolve(self) or ANY
        except Exception:  # noqa: BLE001 - an unresolvable resource is authorized as `*`
            return ANY

    determine.drsorch_resource = True  # type: ignore[attr-defined]
    return determine


def _sns(self: Any) -> str:
    return str(self._get_param("TopicArn") or ANY)


def _dynamodb(self: Any) -> str:
    params = getattr(self, "params", None) or {}
    table = params.get("TableName")
    if table is None:
        tables = list((params.get("RequestItems") or {}).keys())
        table = tables[0] if len(tables) == 1 else None
    if table is None:
        return ANY
    arn = (
        f"arn:{partition(self.region)}:dynamodb:{self.region}:{self.current_account}:table/{table}"
    )
    index = params.get("IndexName")
    return f"{arn}/index/{index}" if index else arn


def _sqs(self: Any, moto_resolve: Callable[[Any], str]) -> str:
    name = self._get_param("QueueName")
    if name and self._get_action() in ("GetQueueUrl", "CreateQueue"):
        owner = self._get_param("QueueOwnerAWSAccountId") or self.current_account
        return f"arn:{partition(self.region)}:sqs:{self.region}:{owner}:{name}"
    return moto_resolve(self)


def _cloudformation(self: Any) -> str:
    name = str(self._get_param("StackName") or "")
    if not name or name.startswith("arn:"):
        return name or ANY
    for stack in self.cloudformation_backend.stacks.values():
        if stack.name == name and stack.status != "DELETE_COMPLETE":
            return str(stack.stack_id)
    return ANY


def _kms(self: Any) -> str:
    key_id = self._get_param("KeyId")
    if not key_id:
        return ANY
    return str(self.kms_backend.describe_key(key_id).arn)


def _read_parsed_documents() -> None:
    """moto keeps the inline policies of a role CloudFormation created as parsed JSON,
    which its evaluation cannot read (a 500 on every call): read them as AWS stores them."""
    from moto.iam.access_control import IAMPolicy  # noqa: PLC0415

    if getattr(IAMPolicy.__init__, "drsorch_parsed", False):
        return
    unpatched = IAMPolicy.__init__

    def init(self: Any, policy: Any) -> None:
        if isinstance(policy, dict) and "Statement" in policy:
            policy = json.dumps(policy)
        unpatched(self, policy)

    init.drsorch_parsed = True  # type: ignore[attr-defined]
    IAMPolicy.__init__ = init  # type: ignore[method-assign]


# Batch APIs that IAM authorizes as their single-message action; moto asks for their
# own names, which no policy grants (drsorch.runtime.calls records them the same way).
BATCH_ACTIONS = {
    "sns:PublishBatch": "sns:Publish",
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}


# A DynamoDB transaction has no action of its own: IAM authorizes each of its items as
# the single-item action it is, on that item's table.
TRANSACTION_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}
TRANSACTIONS = ("dynamodb:TransactWriteItems", "dynamodb:TransactGetItems")


def transaction_checks(body: bytes | str, account: str, region: str) -> list[tuple[str, str]]:
    """(action, table ARN) for each item of a DynamoDB transaction's JSON request body."""
    checks: dict[tuple[str, str], None] = {}
    for item in json.loads(body or "{}").get("TransactItems") or []:
        for kind, operation in item.items():
            action = TRANSACTION_ITEM_ACTIONS.get(kind, f"dynamodb:{kind}")
            table = operation.get("TableName") if isinstance(operation, dict) else None
            arn = f"arn:{partition(region)}:dynamodb:{region}:{account}:table/{table}"
            checks[action, arn if table else ANY] = None
    return list(checks)


def _batch_actions_as_iam_names_them() -> None:
    from moto.iam.access_control import IAMRequestBase  # noqa: PLC0415

    if getattr(IAMRequestBase.check_action_permitted, "drsorch_batch", False):
        return
    unpatched = IAMRequestBase.check_action_permitted

    def check_action_permitted(self: Any, resource: str) -> None:
        if self._action in TRANSACTIONS:
            for action, table in transaction_checks(self._body, self.account_id, self._region):
                self._action = action
                unpatched(self, table)
            return
        self._action = BATCH_ACTIONS.get(self._action, self._action)
        unpatched(self, resource)

    check_action_permitted.drsorch_batch = True  # type: ignore[attr-defined]
    IAMRequestBase.check_action_permitted = check_action_permitted  # type: ignore[method-assign]


def install(dispatcher: Any, admin: MutableMapping[str, Any]) -> None:
    """Give moto's authorizer the resources above (once per process)."""
    from moto.cloudformation.responses import CloudFormationResponse  # noqa: PLC0415
    from moto.dynamodb.responses import DynamoHandler  # noqa: PLC0415
    from moto.kms.responses import KmsResponse  # noqa: PLC0415
    from moto.sns.responses import SNSResponse  # noqa: PLC0415
    from moto.sqs.responses import SQSResponse  # noqa: PLC0415

    _read_parsed_documents()
    _batch_actions_as_iam_names_them()
    moto_sqs = SQSResponse._determine_resource
    resolvers: list[tuple[Any, Callable[[Any], str]]] = [
        (SQSResponse, lambda self: _sqs(self, moto_sqs)),
        (SNSResponse, _sns),
        (DynamoHandler, _dynamodb),
        (CloudFormationResponse, _cloudformation),
        (KmsResponse, _kms),
    ]
    for response, resolve in resolvers:
        if not getattr(getattr(response, "_determine_resource", None), "drsorch_resource", False):
            response._determine_resource = _guarded(resolve)


def drs_resources(
    operation: str | None, params: dict[str, Any], account: str, region: str
) -> list[str]:
    """The ARNs IAM authorizes a DRS call against (`*` for the operations that list)."""
    prefix = f"arn:{partition(region)}:drs:{region}:{account}"
    servers: list[str] = []
    if isinstance(params.get("sourceServerID"), str):
        servers.append(params["sourceServerID"])
    servers.extend(
        entry["sourceServerID"]
        for entry in params.get("sourceServers") or []
        if isinstance(entry, dict) and isinstance(entry.get("sourceServerID"), str)
    )
    found = [f"{prefix}:source-server/{server}" for server in servers]
    if isinstance(params.get("recoveryInstanceID"), str):
        found.append(f"{prefix}:recovery-instance/{params['recoveryInstanceID']}")
    if operation == "DescribeJobLogItems" and isinstance(params.get("jobID"), str):
        found.append(f"{prefix}:job/{params['jobID']}")
    if isinstance(params.get("resourceArn"), str):
        found.append(params["resourceArn"])
    return found or [ANY]


def authorize(response: Any, resources: Sequence[str]) -> str | None:
    """moto's verdict on the request for each resource: None when allowed, else why not."""
    from werkzeug.exceptions import HTTPException  # noqa: PLC0415

    for resource in resources:
        try:
            response._authenticate_and_authorize_normal_action(resource)
        except HTTPException as denied:
            why = getattr(denied, "message", None) or "access denied"
            return f"{why} on resource: {resource}"
    return None
