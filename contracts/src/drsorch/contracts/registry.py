"""Which (event type, version) pairs exist, and parsing raw messages into them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import ValidationError

from drsorch.contracts.envelope import Envelope, EnvelopeHeader, Event
from drsorch.contracts.errors import (
    InvalidPayload,
    MalformedEnvelope,
    UnknownEventType,
    UnknownVersion,
)


def _first_errors(exc: ValidationError, limit: int = 5) -> str:
    parts = [
        f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
        for err in exc.errors()[:limit]
    ]
    more = exc.error_count() - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


class EventRegistry:
    """A set of event models keyed by (type, version)."""

    def __init__(self, events: Iterable[type[Event]] = ()) -> None:
        self._models: dict[tuple[str, int], type[Event]] = {}
        self._envelopes: dict[tuple[str, int], type[Envelope[Any]]] = {}
        for event in events:
            self.register(event)

    def register(self, event: type[Event]) -> type[Event]:
        """Add an event model; usable as a class decorator."""
        key = (event.event_type, event.event_version)
        if key in self._models and self._models[key] is not event:
            raise ValueError(f"{key[0]} v{key[1]} is already registered")
        self._models[key] = event
        self._envelopes[key] = Envelope[event]  # type: ignore[valid-type]
        return event

    def __iter__(self) -> Iterator[type[Event]]:
        return iter(self._models.values())

    def __contains__(self, key: object) -> bool:
        return key in self._models

    def model(self, event_type: str, version: int) -> type[Event]:
        """The model of one (type, version), or the contract error saying why not."""
        if (event_type, version) in self._models:
            return self._models[(event_type, version)]
        known = sorted(v for (t, v) in self._models if t == event_type)
        if not known:
            raise UnknownEventType(f"unknown event type {event_type!r}")
        raise UnknownVersion(f"{event_type} v{version} is unknown; this consumer knows v{known}")

    def parse(self, raw: str | bytes) -> Envelope[Event]:
        """Validate a raw JSON envelope into a typed one, or raise a `ContractError`."""
        try:
            header = EnvelopeHeader.model_validate_json(raw)
        except ValidationError as exc:
            raise MalformedEnvelope(f"malformed envelope: {_first_errors(exc)}") from exc
        try:
            self.model(header.type, header.version)
        except (UnknownEventType, UnknownVersion) as exc:
            exc.header = header
            raise
        envelope_model = self._envelopes[(header.type, header.version)]
        try:
            return envelope_model.model_validate_json(raw)
        except ValidationError as exc:
            raise InvalidPayload(
                f"{header.type} v{header.version} payload is invalid: {_first_errors(exc)}",
                header,
            ) from exc
