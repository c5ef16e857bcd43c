"""Resolving intrinsics, and comparing settings, without an endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from drsorch.local.reconcile import as_text, canonical, differing
from drsorch.local.template import Resolver, TemplateError, load_template

REFS = {
    "Prefix": "p",
    "AWS::Region": "eu-west-1",
    "EventsTopic": "arn:aws:sns:eu-west-1:111122223333:p-events",
    "MatcherQueue": "https://sqs/111122223333/p-matcher",
}


def _get_att(logical_id: str, attribute: str) -> str:
    return f"{logical_id}.{attribute}!"


@pytest.fixture
def resolver() -> Resolver:
    return Resolver(REFS, _get_att)


def test_ref_getatt_sub_and_join_resolve(resolver: Resolver) -> None:
    value = {
        "TopicArn": {"Ref": "EventsTopic"},
        "Endpoint": {"Fn::GetAtt": ["MatcherQueue", "Arn"]},
        "Short": {"Fn::GetAtt": "MatcherQueue.QueueName"},
        "Name": {"Fn::Sub": "${Prefix}-x-${AWS::Region}-${MatcherQueue.Arn}-${!Literal}"},
        "WithVariables": {"Fn::Sub": ["${A}/${Prefix}", {"A": {"Ref": "Prefix"}}]},
        "Joined": {"Fn::Join": [":", ["a", {"Ref": "Prefix"}]]},
        "List": [{"Ref": "Prefix"}, 5, True],
    }
    assert resolver.resolve(value) == {
        "TopicArn": REFS["EventsTopic"],
        "Endpoint": "MatcherQueue.Arn!",
        "Short": "MatcherQueue.QueueName!",
        "Name": "p-x-eu-west-1-MatcherQueue.Arn!-${Literal}",
        "WithVariables": "p/p",
        "Joined": "a:p",
        "List": ["p", 5, True],
    }


@pytest.mark.parametrize(
    "value",
    [
        {"Ref": "NoSuchThing"},
        {"Fn::GetAtt": ["NoSuchThing", "Arn"]},
        {"Fn::Sub": "${NoSuchThing}"},
        {"Fn::GetAtt": ["MatcherQueue"]},
    ],
)
def test_what_does_not_resolve_says_so(resolver: Resolver, value: object) -> None:
    with pytest.raises(TemplateError):
        resolver.resolve(value)


def test_a_template_without_resources_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("Parameters: {}\n")
    with pytest.raises(TemplateError, match="no Resources"):
        load_template(path)


def test_equal_settings_compare_equal_whatever_their_spelling() -> None:
    current = {
        "RedrivePolicy": '{"deadLetterTargetArn": "arn:x", "maxReceiveCount": 5}',
        "Threshold": 0.0,
        "RawMessageDelivery": "false",
        "FilterPolicy": '{"type":["A"]}',
    }
    desired = {
        "RedrivePolicy": as_text({"deadLetterTargetArn": "arn:x", "maxReceiveCount": "5"}),
        "Threshold": 0,
        "RawMessageDelivery": as_text(False),
        "FilterPolicy": as_text({"type": ["A"]}),
    }
    assert differing(current, desired) == []
    assert differing(current, {**desired, "Threshold": 1, "Missing": "x"}) == [
        "Threshold",
        "Missing",
    ]
    assert canonical("not json {") == "not json {"
