"""A record of the AWS actions a service calls, for proving its IAM role is least privilege.

`record_calls(session, service)` registers a `before-call` hook on a botocore or
aiobotocore session: every API call its clients make is written once, as the IAM
action it needs (`drs:StartRecovery`; a DynamoDB transaction as its items' actions),
with the service and whether the call went out with the hub's own credentials (the
service's role) or with credentials of an assumed spoke role. Lines are JSON, appended
to the file `DRSORCH_AWS_CALLS_FILE` names in one `write` each, so workers in several
processes may share the file.
The tests compare the file with the roles in `infra/aws/*.yaml`.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

CALLS_FILE_VARIABLE = "DRSORCH_AWS_CALLS_FILE"
HUB, SPOKE = "hub", "spoke"

# botocore's service ID, lower-cased without spaces, is the IAM prefix for every
# service drsorch calls, except these.
_IAM_PREFIX = {"cloudwatchlogs": "logs"}
# Batch APIs that IAM authorizes as their single-message action.
_IAM_ACTION = {
    "sns:PublishBatch": "sns:Publish",
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}

# A DynamoDB transaction has no action of its own: IAM authorizes each of its items as
# the single-item action it is.
TRANSACTION_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}
_TRANSACTIONS = {"dynamodb:TransactWriteItems", "dynamodb:TransactGetItems"}

_seen: set[tuple[str, str, str, str]] = set()
_lock = threading.Lock()


def iam_action(model: Any) -> str:
    """`sqs:SendMessage` for botocore's operation model of SQS SendMessage."""
    service_id = str(model.service_model.service_id).lower().replace(" ", "")
    action = f"{_IAM_PREFIX.get(service_id, service_id)}:{model.name}"
    return _IAM_ACTION.get(action, action)


def iam_actions(model: Any, params: Any = None) -> list[str]:
    """The IAM actions one call needs: `iam_action`, or for a DynamoDB transaction those
    of its items, read from the request's JSON body (`params`, botocore's request dict)."""
    action = iam_action(model)
    if action not in _TRANSACTIONS:
        return [action]
    body = (params or {}).get("body") or b"{}"
    items = json.loads(body).get("TransactItems") or []
    kinds = {kind for item in items for kind in item}
    return sorted(TRANSACTION_ITEM_ACTIONS.get(kind, f"dynamodb:{kind}") for kind in kinds)


def record_calls(session: Any, service: str, path: str | None = None) -> bool:
    """Record the session's calls for `service` into `path` (default: the variable's file).

    Returns whether recording is on; without a file nothing is registered.
    """
    target = path or os.environ.get(CALLS_FILE_VARIABLE)
    if not target:
        return False
    hub_key = os.environ.get("AWS_ACCESS_KEY_ID")

    def before_call(model: Any, params: Any = None, request_signer: Any = None, **_: Any) -> None:
        credentials = getattr(request_signer, "_credentials", None)
        key = getattr(credentials, "access_key", None)
        principal = HUB if key is None or key == hub_key else SPOKE
        for action in iam_actions(model, params):
            _write(target, (target, service, principal, action))

    session.register("before-call", before_call, unique_id=f"drsorch-calls-{service}")
    return True


def _write(path: str, entry: tuple[str, str, str, str]) -> None:
    with _lock:
        if entry in _seen:
            return
        _seen.add(entry)
    _, service, principal, action = entry
    line = json.dumps({"service": service, "principal": principal, "action": action})
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def read_calls(path: str | os.PathLike[str]) -> set[tuple[str, str, str]]:
    """(service, principal, action) for every line of a calls file."""
    found: set[tuple[str, str, str]] = set()
    with open(path, encoding="utf-8") as lines:  # noqa: PTH123  # one pass, line by line
        for line in lines:
            if line.strip():
                entry = json.loads(line)
                found.add((entry["service"], entry["principal"], entry["action"]))
    return found
