"""Talking to the local endpoint from tests: clients, the deployed topology, waiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import boto3
from botocore.config import Config

from drsorch.local.deploy import StackOutputs, deploy_stack

T = TypeVar("T")
_PAUSE = threading.Event()  # never set: waiting on it is a plain bounded pause
FAST = Config(retries={"mode": "standard", "max_attempts": 2})
LOCAL_SPOKES = {
    # The deployment's spoke access in the test estates: the role and ExternalId they
    # seed in each reachable spoke, and every spoke a test names (333344445555 is seeded
    # without the role, so AssumeRole into it is denied).
    "DRSORCH_SPOKE_ROLE_NAME": "drsorch-spoke-access",
    "DRSORCH_SPOKE_EXTERNAL_ID": "drsorch-hub-123456789012",
    "DRSORCH_SPOKE_ACCOUNTS": "210987654321,333344445555",
}


def client(service: str, **kwargs: Any) -> Any:
    """A boto3 client; AWS_ENDPOINT_URL (set by the `endpoint` fixture) sends it to the endpoint."""
    return boto3.client(service, config=FAST, **kwargs)  # type: ignore[call-overload]


def deploy(stack_name: str, **parameters: str | int) -> StackOutputs:
    """Deploy infra/aws/drsorch.yaml as `stack_name`, physical names prefixed the same."""
    return deploy_stack(
        client("cloudformation"),
        client("sns"),
        client("sqs"),
        client("cloudwatch"),
        stack_name=stack_name,
        parameters={"Prefix": stack_name, **parameters},
    )


def wait_for(probe: Callable[[], T | None], *, timeout: float = 20.0, every: float = 0.1) -> T:
    """Poll `probe` until it returns something truthy, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s: {probe}")
        _PAUSE.wait(every)  # the interval between probes of a deadline-bounded wait


def drain(queue_url: str, *, expect: int, timeout: float = 20.0) -> list[dict[str, Any]]:
    """Receive (and delete) until `expect` messages have arrived or the deadline passes."""
    sqs = client("sqs")
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < expect and time.monotonic() < deadline:
        response = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
        )
        for message in response.get("Messages", []):
            got.append(message)
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return got


def depth(queue_url: str) -> int:
    attrs = client("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )
