"""The endpoint's long polls return a delayed message when its delay ends, as SQS does.

moto's long poll sleeps on its queue's condition, which only a new message notifies: a
message whose delay runs out mid-poll waited for the next ReceiveMessage. Checked in the
endpoint's process on the queue moto keeps, then over HTTP with real boto3.
"""

from __future__ import annotations

import time
import uuid

import pytest

from drsorch.local.server import LocalEndpoint
from drsorch.local.sqs_timers import next_receivable_s
from support.aws import client

pytestmark = pytest.mark.integration
REGION = "eu-west-3"


def test_a_wait_ends_when_a_delayed_message_becomes_receivable(endpoint: LocalEndpoint) -> None:
    from moto.core.utils import unix_time_millis  # noqa: PLC0415
    from moto.sqs.models import sqs_backends  # noqa: PLC0415

    sqs = client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=f"timers-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    account = client("sts", region_name=REGION).get_caller_identity()["Account"]
    queue = sqs_backends[account][REGION].get_queue(url.rsplit("/", 1)[1])
    (message,) = queue._messages
    message.delayed_until = unix_time_millis() + 200  # due in 0.2 s, no one notifies
    started = time.monotonic()
    queue.wait_for_messages(5)
    waited = time.monotonic() - started
    assert [m.body for m in queue.messages] == ["later"]
    assert waited < 1.0  # moto's own wait sleeps the whole 5 s, re-checking each second


def test_a_long_poll_returns_a_delayed_message_within_its_wait(endpoint: LocalEndpoint) -> None:
    sqs = client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=f"timers-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sent = time.monotonic()
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    answer = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=3)
    assert [m["Body"] for m in answer.get("Messages", [])] == ["later"]
    assert 1.0 <= time.monotonic() - sent < 2.0


class _Held:
    def __init__(self, delayed_until: float, visible_at: float) -> None:
        self.delayed_until, self.visible_at = delayed_until, visible_at


def test_the_next_receivable_time_is_the_soonest_held_message() -> None:
    now = 10_000.0
    held = [_Held(now + 700, 0), _Held(0, now + 300), _Held(now - 5, now - 5), _Held(0, 0)]
    assert next_receivable_s(held, now) == pytest.approx(0.3)
    assert next_receivable_s([_Held(0, 0)], now) is None
