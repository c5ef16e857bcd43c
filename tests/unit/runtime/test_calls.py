"""The IAM actions the least-privilege record writes for a call, from botocore's own model."""

from __future__ import annotations

import json
from typing import Any

import botocore.session

from drsorch.runtime.calls import iam_actions


def _model(service: str, operation: str) -> Any:
    return botocore.session.get_session().get_service_model(service).operation_model(operation)


def test_a_call_is_its_own_action_and_a_batch_its_single_message_action() -> None:
    assert iam_actions(_model("dynamodb", "PutItem")) == ["dynamodb:PutItem"]
    assert iam_actions(_model("sqs", "SendMessageBatch")) == ["sqs:SendMessage"]


def test_a_dynamodb_transaction_is_the_actions_of_its_items() -> None:
    body = json.dumps(
        {
            "TransactItems": [
                {"Put": {"TableName": "t", "Item": {}}},
                {"Put": {"TableName": "t", "Item": {}}},
                {"ConditionCheck": {"TableName": "t", "Key": {}}},
            ]
        }
    ).encode()
    model = _model("dynamodb", "TransactWriteItems")
    assert iam_actions(model, {"body": body}) == [
        "dynamodb:ConditionCheckItem",
        "dynamodb:PutItem",
    ]
