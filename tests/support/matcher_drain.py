"""Draining a queue until a whole chunked PairsMatched has arrived."""

from __future__ import annotations

import json
import time

from drsorch.contracts import EVENTS, PairsMatched
from support.aws import client


def pairs_matched(queue_url: str, request_id: str, *, timeout: float = 60) -> list[PairsMatched]:
    """Every chunk of one request's PairsMatched, in index order (others are deleted too)."""
    sqs = client("sqs")
    got: dict[int, PairsMatched] = {}
    count: int | None = None
    deadline = time.monotonic() + timeout
    while (count is None or len(got) < count) and time.monotonic() < deadline:
        response = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        for message in response.get("Messages", []):
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            envelope = EVENTS.parse(json.loads(message["Body"])["Message"])
            if isinstance(envelope.payload, PairsMatched) and envelope.request_id == request_id:
                got[envelope.payload.chunk.index] = envelope.payload
                count = envelope.payload.chunk.count
    if count is None or len(got) < count:
        raise TimeoutError(f"{request_id}: {len(got)} of {count or '?'} PairsMatched chunks")
    return [got[i] for i in range(count)]
