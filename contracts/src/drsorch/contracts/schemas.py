"""JSON Schema of every (event, version): the whole envelope with that payload."""

from __future__ import annotations

import inspect
import json
from typing import Any

from drsorch.contracts.envelope import Envelope, Event
from drsorch.contracts.registry import EventRegistry

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_file_name(event: type[Event]) -> str:
    """`<Type>.v<N>.schema.json`: one file per published (type, version), never rewritten."""
    return f"{event.event_type}.v{event.event_version}.schema.json"


def envelope_schema(event: type[Event]) -> dict[str, Any]:
    """The schema of a wire message carrying `event`, with its type and version pinned."""
    schema = Envelope[event].model_json_schema()  # type: ignore[valid-type]
    properties = schema["properties"]
    # The generic envelope accepts any type and version; this message has exactly one.
    properties["type"] = {**properties["type"], "const": event.event_type}
    properties["version"] = {**properties["version"], "const": event.event_version}
    doc = inspect.cleandoc(event.__doc__ or "")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        **schema,
        "title": f"{event.event_type} v{event.event_version}",
        "description": doc,
    }


def render_json(document: dict[str, Any]) -> str:
    """Deterministic text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_schemas(registry: EventRegistry) -> dict[str, str]:
    """File name → text of every registered event's envelope schema."""
    return {
        schema_file_name(event): render_json(envelope_schema(event))
        for event in sorted(registry, key=lambda e: (e.event_type, e.event_version))
    }
