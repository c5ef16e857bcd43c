"""Publishing envelopes to their SNS topics over aiobotocore, in batches of ten."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import SpanKind

from drsorch.contracts import Envelope, Event, Topic
from drsorch.runtime import tracing
from drsorch.runtime.errors import PublishError, TopologyError
from drsorch.runtime.wire import attributes_for

if TYPE_CHECKING:
    from types_aiobotocore_sns import SNSClient

BATCH = 10
ATTEMPTS = 3  # a batch entry SNS refused is sent again this many times in all


class SnsPublisher:
    """Sends each envelope to the topic its event declares, with its trace context."""

    def __init__(self, client: SNSClient, topics: dict[Topic, str]) -> None:
        self.client = client
        self.topics = topics

    async def publish(self, envelopes: Sequence[Envelope[Event]]) -> None:
        by_topic: dict[str, list[Envelope[Event]]] = {}
        for envelope in envelopes:
            arn = self.topics.get(envelope.payload.topic)
            if arn is None:
                raise TopologyError(f"no ARN known for topic {envelope.payload.topic.value!r}")
            by_topic.setdefault(arn, []).append(envelope)
        for arn, items in by_topic.items():
            for i in range(0, len(items), BATCH):
                await self._publish_batch(arn, items[i : i + BATCH])

    async def _publish_batch(self, arn: str, envelopes: Sequence[Envelope[Event]]) -> None:
        with tracing.tracer().start_as_current_span(
            "drsorch publish",
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "aws_sns",
                "messaging.batch.message_count": len(envelopes),
            },
        ):
            trace = tracing.current_trace_context()
            pending = {str(i): e.with_trace(trace) for i, e in enumerate(envelopes)}
            for _ in range(ATTEMPTS):
                entries: list[Any] = [
                    {
                        "Id": key,
                        "Message": envelope.to_json(),
                        "MessageAttributes": {
                            k: {"DataType": "String", "StringValue": v}
                            for k, v in attributes_for(envelope).items()
                        },
                    }
                    for key, envelope in pending.items()
                ]
                response = await self.client.publish_batch(
                    TopicArn=arn, PublishBatchRequestEntries=entries
                )
                failed = {f["Id"] for f in response.get("Failed", [])}
                pending = {k: v for k, v in pending.items() if k in failed}
                if not pending:
                    return
            raise PublishError(f"SNS refused {len(pending)} of {len(envelopes)} messages to {arn}")
