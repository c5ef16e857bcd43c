"""Who may publish to each topic and send to each queue, as AWS would decide it.

The local endpoint stores topic and queue policies but does not enforce them, so these
tests read the policies the local deploy put on the deployed topics and queues (the
template's, with every ARN resolved) and evaluate them as AWS does
(`support.policy_eval`): a forger holding any other role of the account is denied.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from drsorch.cli.feed import follow_policy
from drsorch.local.deploy import StackOutputs
from drsorch.local.outputs import SERVICES
from drsorch.local.server import LocalEndpoint
from support.aws import client, deploy
from support.policy_eval import Call, Decision, evaluate

pytestmark = pytest.mark.integration

STACK = "secpol"
ACCOUNT = "123456789012"
OPERATOR = f"arn:aws:iam::{ACCOUNT}:role/operator"
STRANGER = f"arn:aws:iam::{ACCOUNT}:role/anyone-else"
SNS, EVENTS = "sns.amazonaws.com", "events.amazonaws.com"
SUBSCRIBED = {  # the topics each queue is subscribed to: `requests` or the producing service
    "discovery": ("requests", "monitor"),
    "matcher": ("discovery", "monitor"),
    "configurator": ("matcher", "requests", "monitor"),
    "monitor": ("matcher", "configurator", "requests"),
}


@pytest.fixture(scope="module")
def stack(endpoint: LocalEndpoint) -> StackOutputs:
    return deploy(STACK)


def role(stack: StackOutputs, service: str) -> str:
    return stack.outputs[f"{service.capitalize()}FunctionRoleArn"]


def topic(stack: StackOutputs, name: str) -> str:
    return stack.requests_topic_arn if name == "requests" else stack.service(name).events_topic_arn


def topic_policy(arn: str) -> dict[str, Any]:
    policy: dict[str, Any] = json.loads(
        client("sns").get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"]
    )
    return policy


def queue_policy(url: str) -> dict[str, Any]:
    found = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
    policy: dict[str, Any] = json.loads(found["Attributes"]["Policy"])
    return policy


def publish(arn: str, principal: str, *, tls: bool = True) -> Call:
    return Call("sns:Publish", arn, principal_arn=principal, secure_transport=tls)


def test_only_each_services_role_publishes_to_its_own_topic(stack: StackOutputs) -> None:
    for producer in SERVICES:
        arn = stack.service(producer).events_topic_arn
        policy = topic_policy(arn)
        assert evaluate(policy, publish(arn, role(stack, producer))) is Decision.ALLOWED
        for other in [*(s for s in SERVICES if s != producer)]:
            assert evaluate(policy, publish(arn, role(stack, other))) is Decision.DENIED, other
        for forger in (OPERATOR, STRANGER):
            assert evaluate(policy, publish(arn, forger)) is Decision.DENIED, forger


def test_operators_publish_requests_and_no_service_does(stack: StackOutputs) -> None:
    arn = stack.requests_topic_arn
    policy = topic_policy(arn)
    # Not denied: the operators' IAM policy (OperatorPolicy) is what allows it.
    assert evaluate(policy, publish(arn, OPERATOR)) is Decision.NOT_ALLOWED
    for service in SERVICES:
        assert evaluate(policy, publish(arn, role(stack, service))) is Decision.DENIED, service


def test_a_queue_takes_only_its_topics_the_alarm_rule_and_its_own_service(
    stack: StackOutputs,
) -> None:
    rule = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{STACK}-failback-on-alarm"
    every_topic = ("requests", *SERVICES)
    for service in SERVICES:
        names = stack.service(service)
        policy = queue_policy(names.queue_url)

        def send(**who: Any) -> Decision:
            return evaluate(policy, Call("sqs:SendMessage", names.queue_arn, **who))  # noqa: B023

        for name in every_topic:
            delivered = send(service=SNS, source_arn=topic(stack, name))
            expected = Decision.ALLOWED if name in SUBSCRIBED[service] else Decision.DENIED
            assert delivered is expected, (service, name)
        from_rule = send(service=EVENTS, source_arn=rule)
        assert from_rule is (Decision.ALLOWED if service == "discovery" else Decision.DENIED)
        # Its own timers and renewed copies: left to its IAM policy, which allows them.
        assert send(principal_arn=role(stack, service)) is Decision.NOT_ALLOWED
        for forger in (OPERATOR, STRANGER, *(role(stack, s) for s in SERVICES if s != service)):
            assert send(principal_arn=forger) is Decision.DENIED, (service, forger)


def test_nothing_reaches_a_topic_or_queue_without_tls(stack: StackOutputs) -> None:
    for service in SERVICES:
        arn = stack.service(service).events_topic_arn
        insecure = publish(arn, role(stack, service), tls=False)
        assert evaluate(topic_policy(arn), insecure) is Decision.DENIED
        names = stack.service(service)
        for action in ("sqs:SendMessage", "sqs:ReceiveMessage"):
            call = Call(action, names.queue_arn, principal_arn=role(stack, service))
            insecure_call = Call(
                action, names.queue_arn, principal_arn=role(stack, service), secure_transport=False
            )
            assert evaluate(queue_policy(names.queue_url), call) is not Decision.DENIED
            assert evaluate(queue_policy(names.queue_url), insecure_call) is Decision.DENIED
    assert (
        evaluate(
            topic_policy(stack.requests_topic_arn),
            publish(stack.requests_topic_arn, OPERATOR, tls=False),
        )
        is Decision.DENIED
    )


def test_the_operators_follow_queue_takes_only_the_followed_services_topics(
    stack: StackOutputs,
) -> None:
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:drsorch-cli-req-1"
    policy = follow_policy(queue, [topic(stack, s) for s in SERVICES])
    for service in SERVICES:
        delivered = Call("sqs:SendMessage", queue, service=SNS, source_arn=topic(stack, service))
        assert evaluate(policy, delivered) is Decision.ALLOWED, service
    requests = Call("sqs:SendMessage", queue, service=SNS, source_arn=topic(stack, "requests"))
    assert evaluate(policy, requests) is Decision.DENIED
    for forger in (OPERATOR, STRANGER, role(stack, "monitor")):
        assert evaluate(policy, Call("sqs:SendMessage", queue, principal_arn=forger)) is (
            Decision.DENIED
        )


def test_the_evaluator_reads_absent_keys_as_iam_does() -> None:
    """A negated operator holds when its key is absent; a plain one does not."""
    deny = {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:SendMessage",
                "Resource": "*",
                "Condition": {"ArnNotEquals": {"aws:SourceArn": "arn:t"}},
            }
        ]
    }
    assert evaluate(deny, Call("sqs:SendMessage", "q", principal_arn="r")) is Decision.DENIED
    assert evaluate(deny, Call("sqs:SendMessage", "q", source_arn="arn:t")) is Decision.NOT_ALLOWED
    with pytest.raises(ValueError, match="not evaluated"):
        evaluate(
            {"Statement": [{**deny["Statement"][0], "Condition": {"IpAddress": {}}}]},
            Call("sqs:SendMessage", "q"),
        )
