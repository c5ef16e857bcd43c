"""drsorch's template deployed into the in-process local endpoint, over HTTP."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from mypy_boto3_cloudformation import CloudFormationClient
from mypy_boto3_cloudwatch import CloudWatchClient
from mypy_boto3_dynamodb import DynamoDBClient
from mypy_boto3_sns import SNSClient
from mypy_boto3_sqs import SQSClient

from drsorch.local.deploy import DEFAULT_TEMPLATE, DeployError, StackOutputs, deploy_stack
from drsorch.local.outputs import SERVICES, expected_output_names
from drsorch.local.server import LocalEndpoint
from drsorch.local.stack import stack_outputs

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:Tried to parse AWS:UserWarning"),  # moto's skip notice
]

# Written out here, not read from the template, so a change to the template shows up.
SUBSCRIPTIONS = [  # (service, topic: `requests` or the producing service, event types)
    ("discovery", "requests", ["FailbackRequested", "FailoverRequested", "DrillRequested"]),
    ("discovery", "monitor", ["RequestCompleted"]),
    ("matcher", "discovery", ["ServersDiscovered"]),
    ("matcher", "monitor", ["JobCompleted"]),
    ("configurator", "matcher", ["PairsMatched"]),
    (
        "configurator",
        "requests",
        [
            "RestoreRequested",
            "ReverseReplicationRequested",
            "RetireRequested",
            "DrillRequested",
            "DrillCleanupRequested",
        ],
    ),
    ("configurator", "monitor", ["RequestCompleted"]),
    ("monitor", "matcher", ["PairsMatched"]),
    ("monitor", "configurator", ["TargetConfigured"]),
    ("monitor", "requests", ["CancelRequested", "DrillRequested"]),
]


def _topics(outputs: StackOutputs) -> dict[str, str]:
    """Topic ARNs by the names SUBSCRIPTIONS uses."""
    own = {service: outputs.service(service).events_topic_arn for service in SERVICES}
    return {"requests": outputs.requests_topic_arn, **own}


@dataclass(frozen=True)
class Clients:
    cloudformation: CloudFormationClient
    sns: SNSClient
    sqs: SQSClient
    cloudwatch: CloudWatchClient
    dynamodb: DynamoDBClient

    def deploy(self, prefix: str, template: Path = DEFAULT_TEMPLATE, **params: int) -> StackOutputs:
        return deploy_stack(
            self.cloudformation,
            self.sns,
            self.sqs,
            self.cloudwatch,
            dynamodb=self.dynamodb,
            stack_name=prefix,
            template_path=template,
            parameters={"Prefix": prefix, **params},
        )


@pytest.fixture(scope="module")
def clients(endpoint: LocalEndpoint) -> Clients:
    return Clients(
        boto3.client("cloudformation", endpoint_url=endpoint.url),
        boto3.client("sns", endpoint_url=endpoint.url),
        boto3.client("sqs", endpoint_url=endpoint.url),
        boto3.client("cloudwatch", endpoint_url=endpoint.url),
        boto3.client("dynamodb", endpoint_url=endpoint.url),
    )


def _new_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def prefix() -> str:
    """A stack and name prefix of its own, for a test that changes what it deploys."""
    return _new_prefix()


@pytest.fixture(scope="module")
def shared() -> str:
    """The prefix of the stack the read-only tests share."""
    return _new_prefix()


@pytest.fixture(scope="module")
def shared_outputs(clients: Clients, shared: str) -> StackOutputs:
    return clients.deploy(shared, MaxReceiveCount=3)


@pytest.fixture
def deployed(clients: Clients, prefix: str) -> StackOutputs:
    return clients.deploy(prefix, MaxReceiveCount=3)


def _subscriptions(clients: Clients, topic_arn: str) -> dict[str, dict[str, str]]:
    subs = clients.sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    return {
        sub["Endpoint"]: dict(
            clients.sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])[
                "Attributes"
            ]
        )
        for sub in subs
    }


def _queue_attributes(clients: Clients, url: str) -> dict[str, str]:
    found = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    return {str(key): value for key, value in found["Attributes"].items()}


def test_every_output_is_there_and_names_the_prefixed_resource(
    clients: Clients, shared_outputs: StackOutputs, shared: str
) -> None:
    assert tuple(shared_outputs.outputs) == expected_output_names()
    assert stack_outputs(clients.cloudformation, shared) == shared_outputs.outputs
    assert shared_outputs.requests_topic_arn.endswith(f":{shared}-requests")
    for service in SERVICES:
        names = shared_outputs.service(service)
        assert names.events_topic_arn.endswith(f":{shared}-{service}-events")
        assert names.queue_url.endswith(f"/{shared}-{service}")
        assert names.queue_arn.endswith(f":{shared}-{service}")
        assert names.dead_letter_queue_url.endswith(f"/{shared}-{service}-dlq")
        assert names.table_name == f"{shared}-{service}"


def test_subscriptions_carry_their_filter_policies(
    clients: Clients, shared_outputs: StackOutputs
) -> None:
    topics = _topics(shared_outputs)
    subscribed = {name: _subscriptions(clients, arn) for name, arn in topics.items()}
    for service, topic, types in SUBSCRIPTIONS:
        attributes = subscribed[topic].pop(shared_outputs.service(service).queue_arn)
        assert json.loads(attributes["FilterPolicy"]) == {"type": types}
        assert attributes["FilterPolicyScope"] == "MessageAttributes"
        assert attributes["RawMessageDelivery"] == "false"
    assert subscribed == {name: {} for name in topics}


def test_queue_policies_let_only_their_topics_send(
    clients: Clients, shared_outputs: StackOutputs
) -> None:
    topics = _topics(shared_outputs)
    for service in SERVICES:
        names = shared_outputs.service(service)
        policy = json.loads(_queue_attributes(clients, names.queue_url)["Policy"])
        statements = policy["Statement"]
        from_sns = [s for s in statements if s.get("Principal") == {"Service": "sns.amazonaws.com"}]
        others = [s for s in statements if s not in from_sns]
        for statement in from_sns:
            assert statement["Action"] == "sqs:SendMessage"
            assert statement["Resource"] == names.queue_arn
        assert sorted(s["Condition"]["ArnEquals"]["aws:SourceArn"] for s in from_sns) == sorted(
            topics[topic] for who, topic, _ in SUBSCRIPTIONS if who == service
        )
        # Discovery also takes the alarm rule's plan requests straight from EventBridge.
        rules = [s for s in others if s.get("Principal") == {"Service": "events.amazonaws.com"}]
        assert [s["Resource"] for s in rules] == (
            [names.queue_arn] if service == "discovery" else []
        )


def test_redrive_points_at_the_dead_letter_queue(
    clients: Clients, shared_outputs: StackOutputs
) -> None:
    for service in SERVICES:
        names = shared_outputs.service(service)
        dlq_arn = _queue_attributes(clients, names.dead_letter_queue_url)["QueueArn"]
        attributes = _queue_attributes(clients, names.queue_url)
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"] == dlq_arn
        assert int(redrive["maxReceiveCount"]) == 3
        assert attributes["VisibilityTimeout"] == "60"


def test_tables_have_string_keys_and_time_to_live(
    clients: Clients, shared_outputs: StackOutputs
) -> None:
    for service in SERVICES:
        name = shared_outputs.service(service).table_name
        table = clients.dynamodb.describe_table(TableName=name)["Table"]
        assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {
            ("pk", "HASH"),
            ("sk", "RANGE"),
        }
        assert table.get("BillingModeSummary", {}).get("BillingMode") == "PAY_PER_REQUEST"
        ttl = clients.dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        assert (ttl.get("TimeToLiveStatus"), ttl.get("AttributeName")) == ("ENABLED", "expires_at")


def test_each_dead_letter_queue_has_an_alarm(
    clients: Clients, shared_outputs: StackOutputs, shared: str
) -> None:
    alarms = clients.cloudwatch.describe_alarms(AlarmNamePrefix=shared)["MetricAlarms"]
    watched = {
        alarm["Dimensions"][0]["Value"]: alarm
        for alarm in alarms
        if alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible"
    }
    queues = [*SERVICES, "failback-on-alarm"]  # the alarm rule's undeliverable requests too
    assert set(watched) == {f"{shared}-{name}-dlq" for name in queues}
    notifications = shared_outputs.outputs["NotificationsTopicArn"]
    for alarm in watched.values():
        assert alarm.get("Namespace") == "AWS/SQS"
        assert (alarm.get("ComparisonOperator"), alarm.get("Threshold")) == (
            "GreaterThanThreshold",
            0.0,
        )
        assert alarm.get("AlarmActions") == alarm.get("OKActions") == [notifications]


def test_events_reach_exactly_the_services_that_subscribe(
    clients: Clients, shared_outputs: StackOutputs
) -> None:
    clients.sns.publish(
        TopicArn=shared_outputs.matcher.events_topic_arn,
        Message=json.dumps({"type": "PairsMatched"}),
        MessageAttributes={"type": {"DataType": "String", "StringValue": "PairsMatched"}},
    )
    received = {}
    for service in ("matcher", "configurator", "monitor"):
        url = shared_outputs.service(service).queue_url
        messages = clients.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])
        received[service] = [json.loads(m["Body"])["Type"] for m in messages]
    # Raw delivery is off: the body is the SNS envelope (Type "Notification").
    assert received == {
        "matcher": [],
        "configurator": ["Notification"],
        "monitor": ["Notification"],
    }


def test_a_second_deploy_changes_and_duplicates_nothing(
    clients: Clients, deployed: StackOutputs, prefix: str
) -> None:
    alarm_name = f"{prefix}-matcher-dlq-not-empty"
    clients.cloudwatch.set_alarm_state(AlarmName=alarm_name, StateValue="ALARM", StateReason="t")
    before: dict[str, list[Any]] = {
        "subs": [_subscriptions(clients, arn) for arn in deployed.events_topic_arns],
        "queues": clients.sqs.list_queues(QueueNamePrefix=prefix)["QueueUrls"],
        "alarms": clients.cloudwatch.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"],
    }

    again = clients.deploy(prefix, MaxReceiveCount=3)

    after: dict[str, list[Any]] = {
        "subs": [_subscriptions(clients, arn) for arn in deployed.events_topic_arns],
        "queues": clients.sqs.list_queues(QueueNamePrefix=prefix)["QueueUrls"],
        "alarms": clients.cloudwatch.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"],
    }
    assert again == deployed
    assert after == before  # alarms included: a re-put would have reset the ALARM state
    assert len(after["queues"]) == 2 * len(SERVICES) + 1  # and the alarm rule's DLQ


def test_a_changed_parameter_reaches_the_queues_on_update(
    clients: Clients, deployed: StackOutputs, prefix: str
) -> None:
    clients.deploy(prefix, MaxReceiveCount=7)
    redrive = _queue_attributes(clients, deployed.monitor.queue_url)["RedrivePolicy"]
    assert int(json.loads(redrive)["maxReceiveCount"]) == 7


def test_a_resource_that_cannot_be_created_fails_the_deploy_by_name(
    clients: Clients, prefix: str, tmp_path: Path
) -> None:
    template = yaml.safe_load(DEFAULT_TEMPLATE.read_text())
    template["Resources"]["BogusFromNowhereSubscription"] = {
        "Type": "AWS::SNS::Subscription",
        "Properties": {
            "TopicArn": {"Fn::Sub": "arn:aws:sns:${AWS::Region}:${AWS::AccountId}:no-such-topic"},
            "Protocol": "sqs",
            "Endpoint": {"Fn::GetAtt": ["MatcherQueue", "Arn"]},
        },
    }
    template["Resources"]["BogusAlarm"] = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {"AlarmName": {"Ref": "NoSuchResource"}},
    }
    path = tmp_path / "bogus.yaml"
    path.write_text(yaml.safe_dump(template))

    with pytest.raises(DeployError) as raised:
        clients.deploy(prefix, template=path)

    assert set(raised.value.missing) == {"BogusFromNowhereSubscription", "BogusAlarm"}
    assert "BogusFromNowhereSubscription" in str(raised.value)
    assert "NoSuchResource" in raised.value.missing["BogusAlarm"]


def test_each_service_has_its_function_role_and_a_disabled_mapping(
    shared_outputs: StackOutputs,
) -> None:
    lam = boto3.client("lambda")
    iam = boto3.client("iam")
    mappings = {
        m["EventSourceArn"]: m for m in lam.list_event_source_mappings()["EventSourceMappings"]
    }
    for service in SERVICES:
        outputs = shared_outputs.outputs
        name = outputs[f"{service.capitalize()}FunctionName"]
        config = lam.get_function_configuration(FunctionName=name)
        assert config["Handler"] == f"drsorch.{service}.lambda_handler.handler"
        assert config["Runtime"] == "python3.11"
        assert config["Timeout"] < 60  # below the queues' visibility: nothing extends it
        assert config["Role"] == outputs[f"{service.capitalize()}FunctionRoleArn"]
        role = config["Role"].rsplit("/", 1)[-1]
        assert iam.list_role_policies(RoleName=role)["PolicyNames"] == [service]
        mapping = mappings[shared_outputs.service(service).queue_arn]
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        # Locally the workers consume the queues; moto would run the function in Docker.
        assert mapping["State"] == "Disabled"


def test_tables_keep_point_in_time_recovery_and_their_key(
    clients: Clients, shared_outputs: StackOutputs
) -> None:
    key = shared_outputs.outputs["EncryptionKeyArn"]
    for service in SERVICES:
        table = shared_outputs.service(service).table_name
        backups = clients.dynamodb.describe_continuous_backups(TableName=table)
        recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        assert recovery["PointInTimeRecoveryStatus"] == "ENABLED"
        attributes = _queue_attributes(clients, shared_outputs.service(service).queue_url)
        assert key.endswith(attributes["KmsMasterKeyId"])


def test_the_alarm_rule_target_retries_then_dead_letters(
    shared_outputs: StackOutputs, shared: str
) -> None:
    events = boto3.client("events")
    [target] = events.list_targets_by_rule(Rule=f"{shared}-failback-on-alarm")["Targets"]
    assert target["Arn"] == shared_outputs.discovery.queue_arn
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}
    assert target["DeadLetterConfig"]["Arn"].endswith(f":{shared}-failback-on-alarm-dlq")


def test_a_deploy_needs_no_credentials_but_its_clients(
    endpoint: LocalEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `drsorch local up` passes clients with the local keys; the shell may hold none.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    prefix = _new_prefix()
    outputs = deploy_stack(
        session.client("cloudformation", endpoint_url=endpoint.url),
        session.client("sns", endpoint_url=endpoint.url),
        session.client("sqs", endpoint_url=endpoint.url),
        session.client("cloudwatch", endpoint_url=endpoint.url),
        stack_name=prefix,
        parameters={"Prefix": prefix},
    )
    assert outputs.discovery.table_name == f"{prefix}-discovery"
