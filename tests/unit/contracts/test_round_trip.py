"""Every event survives the wire: wrap, serialise, parse; and consumers' tolerance rules."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]  # no stubs in the dev group
import pytest

from drsorch.contracts import EVENTS, Envelope, Event, UnknownEventType, UnknownVersion
from drsorch.contracts.schemas import envelope_schema, schema_file_name
from unit.contracts.samples import REQUEST_ID, all_events

SCHEMAS = Path(__file__).resolve().parents[3] / "contracts" / "schemas"


def wire(event: Event) -> str:
    return Envelope.wrap(event, request_id=REQUEST_ID, step="test", producer="tests").to_json()


def test_the_samples_cover_every_current_event() -> None:
    current = {e for e in EVENTS if e.event_version == EVENTS.latest(e.event_type)}
    assert {type(e) for e in all_events()} == current


@pytest.mark.parametrize("event", all_events(), ids=lambda e: e.event_type)
def test_an_earlier_version_is_read_as_the_current_one(event: Event) -> None:
    earlier = [e for e in EVENTS if e.event_type == event.event_type and e is not type(event)]
    for model in earlier:
        fields = event.model_dump(mode="json")
        if "match_hash" in fields:  # v1 called the matcher's hash plan_hash
            fields["plan_hash"] = fields["match_hash"]
        old = model.model_validate_json(json.dumps(fields))
        envelope = Envelope.wrap(old, request_id=REQUEST_ID, step="old", producer="tests")
        parsed = EVENTS.parse(envelope.to_json())
        assert type(parsed.payload) is type(event)
        assert (parsed.version, parsed.event_id) == (event.event_version, envelope.event_id)
        # What v1 could say survives the upcast unchanged.
        back = parsed.payload.model_dump(mode="json")
        if "match_hash" in back:
            back["plan_hash"] = back["match_hash"]
        assert model.model_validate_json(json.dumps(back)) == old


@pytest.mark.parametrize("event", all_events(), ids=lambda e: e.event_type)
def test_every_event_round_trips(event: Event) -> None:
    envelope = Envelope.wrap(event, request_id=REQUEST_ID, step="test", producer="tests")
    parsed = EVENTS.parse(envelope.to_json())
    assert type(parsed.payload) is type(event)
    assert parsed.payload == event
    assert parsed.event_id == envelope.event_id
    assert (parsed.type, parsed.version) == (event.event_type, event.event_version)


@pytest.mark.parametrize("event", all_events(), ids=lambda e: e.event_type)
def test_the_wire_form_validates_against_the_exported_schema(event: Event) -> None:
    schema = envelope_schema(type(event))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(json.loads(wire(event)))


@pytest.mark.parametrize("event", all_events(), ids=lambda e: e.event_type)
def test_the_exported_schema_refuses_another_type(event: Event) -> None:
    message = json.loads(wire(event))
    message["type"] = "SomethingElse"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(message, envelope_schema(type(event)))


def test_unknown_fields_are_ignored_at_every_level() -> None:
    event = next(e for e in all_events() if e.event_type == "PairsMatched")
    message = json.loads(wire(event))
    message["added_by_a_newer_producer"] = 1
    message["payload"]["shiny_new_field"] = [1, 2]
    message["payload"]["pairs"][0]["confidence"] = "high"
    message["payload"]["spec"]["options"]["future_knob"] = True
    parsed = EVENTS.parse(json.dumps(message))
    assert parsed.payload == event


def test_an_unknown_version_is_refused_naming_the_known_ones() -> None:
    message = json.loads(wire(all_events()[0]))
    message["version"] = 99
    with pytest.raises(
        UnknownVersion, match=r"FailbackRequested v99 is unknown.*\[1, 2, 3, 4\]"
    ) as info:
        EVENTS.parse(json.dumps(message))
    assert info.value.header is not None
    assert info.value.header.request_id == REQUEST_ID


def test_an_unknown_type_is_refused() -> None:
    message = json.loads(wire(all_events()[0]))
    message["type"] = "ServersTeleported"
    with pytest.raises(UnknownEventType, match="ServersTeleported"):
        EVENTS.parse(json.dumps(message))


@pytest.mark.parametrize("event", all_events(), ids=lambda e: e.event_type)
def test_every_event_fits_one_sns_message_with_room_to_spare(event: Event) -> None:
    assert len(wire(event).encode()) < 16 * 1024


def test_schema_file_names_carry_type_and_version() -> None:
    names = {schema_file_name(e) for e in EVENTS}
    assert "PairsMatched.v1.schema.json" in names
    assert len(names) == len(list(EVENTS))
