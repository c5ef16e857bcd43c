"""The IAM actions the calls record names for an API call, as IAM authorizes it."""

from __future__ import annotations

import botocore.session

from drsorch.runtime.calls import iam_actions


def _model(service: str, operation: str) -> object:
    return botocore.session.get_session().get_service_model(service).operation_model(operation)


def test_a_call_is_its_own_action_and_a_batch_its_single_one() -> None:
    assert iam_actions(_model("dynamodb", "PutItem"), {}) == ["dynamodb:PutItem"]
    assert iam_actions(_model("sqs", "SendMessageBatch"), {}) == ["sqs:SendMessage"]


def test_a_transaction_is_the_actions_of_its_items() -> None:
    params = {
        "TransactItems": [
            {"Put": {"TableName": "t"}},
            {"Delete": {"TableName": "t"}},
            {"Put": {"TableName": "t"}},
            {"ConditionCheck": {"TableName": "t"}},
        ]
    }
    assert iam_actions(_model("dynamodb", "TransactWriteItems"), params) == [
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
        "dynamodb:PutItem",
    ]
