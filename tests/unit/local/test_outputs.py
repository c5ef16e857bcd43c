"""The stack outputs as a typed model."""

from __future__ import annotations

import pytest

from drsorch.local.outputs import (
    MissingOutputsError,
    StackOutputs,
    expected_output_names,
    required_output_names,
)


def _outputs() -> dict[str, str]:
    return {name: f"value-of-{name}" for name in expected_output_names()}


def test_outputs_map_onto_the_model() -> None:
    model = StackOutputs.from_outputs("drsorch", _outputs())
    assert model.requests_topic_arn == "value-of-RequestsTopicArn"
    assert model.monitor.dead_letter_queue_url == "value-of-MonitorDeadLetterQueueUrl"
    assert model.service("configurator").table_name == "value-of-ConfiguratorTableName"
    assert model.matcher.events_topic_arn == "value-of-MatcherEventsTopicArn"
    assert len(required_output_names()) == 2 + 4 + 4 * 4  # what code reads
    # and what the deployment adds: the key, the operators' policy, functions and roles
    assert len(expected_output_names()) == 2 + 4 + 4 * 4 + 2 + 4 * 2


def test_missing_outputs_are_all_named() -> None:
    outputs = _outputs()
    del outputs["MonitorEventsTopicArn"], outputs["MatcherQueueArn"]
    with pytest.raises(MissingOutputsError) as raised:
        StackOutputs.from_outputs("drsorch", outputs)
    assert raised.value.missing == ["MonitorEventsTopicArn", "MatcherQueueArn"]


def test_an_unknown_service_is_refused() -> None:
    with pytest.raises(KeyError, match="drs"):
        StackOutputs.from_outputs("drsorch", _outputs()).service("drs")
