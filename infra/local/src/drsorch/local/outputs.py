"""The topology's names as code sees them: the stack Outputs, as a typed model.

Output names follow one convention (the template's): `RequestsTopicArn`, per service S
(`Discovery`, `Matcher`, `Configurator`, `Monitor`) `SEventsTopicArn` (the topic only S
publishes to), `NotificationsTopicArn`, and per service `SQueueUrl`, `SQueueArn`,
`SDeadLetterQueueUrl`, `STableName`;
then the deployment's own: `EncryptionKeyArn`, `OperatorPolicyArn`, and per service
`SFunctionName`, `SFunctionRoleArn`. Code reads only the first group.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

SERVICES = ("discovery", "matcher", "configurator", "monitor")
SERVICES_EVENTS = tuple(f"{s.capitalize()}EventsTopicArn" for s in SERVICES)
TOPIC_OUTPUTS = ("RequestsTopicArn", *SERVICES_EVENTS, "NotificationsTopicArn")
SERVICE_OUTPUT_SUFFIXES = ("QueueUrl", "QueueArn", "DeadLetterQueueUrl", "TableName")
DEPLOYMENT_OUTPUTS = ("EncryptionKeyArn", "OperatorPolicyArn")
COMPUTE_OUTPUT_SUFFIXES = ("FunctionName", "FunctionRoleArn")


def service_output_names(service: str) -> tuple[str, ...]:
    return tuple(f"{service.capitalize()}{suffix}" for suffix in SERVICE_OUTPUT_SUFFIXES)


def required_output_names() -> tuple[str, ...]:
    """The outputs drsorch's code reads: topics, queues, tables."""
    return TOPIC_OUTPUTS + tuple(n for s in SERVICES for n in service_output_names(s))


def expected_output_names() -> tuple[str, ...]:
    """Every output the template must declare, in template order."""
    compute = tuple(
        f"{s.capitalize()}{suffix}" for s in SERVICES for suffix in COMPUTE_OUTPUT_SUFFIXES
    )
    return required_output_names() + DEPLOYMENT_OUTPUTS + compute


class MissingOutputsError(Exception):
    def __init__(self, stack_name: str, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(f"stack {stack_name} lacks outputs: {', '.join(missing)}")


class ServiceOutputs(BaseModel):
    """Where one service reads its messages and keeps its state."""

    model_config = ConfigDict(frozen=True)

    queue_url: str
    queue_arn: str
    dead_letter_queue_url: str
    table_name: str
    events_topic_arn: str
    """The topic this service alone publishes to."""


class StackOutputs(BaseModel):
    """The deployed topology's names, read from the stack's Outputs."""

    model_config = ConfigDict(frozen=True)

    stack_name: str
    requests_topic_arn: str
    discovery: ServiceOutputs
    matcher: ServiceOutputs
    configurator: ServiceOutputs
    monitor: ServiceOutputs
    outputs: dict[str, str]
    """Every output by its template name, as the stack holds it."""

    @classmethod
    def from_outputs(cls, stack_name: str, outputs: Mapping[str, str]) -> StackOutputs:
        missing = [name for name in required_output_names() if name not in outputs]
        if missing:
            raise MissingOutputsError(stack_name, missing)
        services = {
            service: ServiceOutputs(
                queue_url=outputs[f"{service.capitalize()}QueueUrl"],
                queue_arn=outputs[f"{service.capitalize()}QueueArn"],
                dead_letter_queue_url=outputs[f"{service.capitalize()}DeadLetterQueueUrl"],
                table_name=outputs[f"{service.capitalize()}TableName"],
                events_topic_arn=outputs[f"{service.capitalize()}EventsTopicArn"],
            )
            for service in SERVICES
        }
        return cls(
            stack_name=stack_name,
            requests_topic_arn=outputs["RequestsTopicArn"],
            discovery=services["discovery"],
            matcher=services["matcher"],
            configurator=services["configurator"],
            monitor=services["monitor"],
            outputs=dict(outputs),
        )

    @property
    def events_topic_arns(self) -> tuple[str, ...]:
        """Every service's events topic, in service order: what an observer subscribes to."""
        return tuple(self.service(s).events_topic_arn for s in SERVICES)

    def service(self, name: str) -> ServiceOutputs:
        """One service's names by its lower-case name (`discovery`, `matcher`, ...)."""
        if name not in SERVICES:
            raise KeyError(f"no service {name!r}; services are {', '.join(SERVICES)}")
        result: ServiceOutputs = getattr(self, name)
        return result
