"""Which (event type, version) pairs exist, and parsing raw messages into them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
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


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns the JSON payload of one version into the JSON payload of the next."""


class EventRegistry:
    """A set of event models keyed by (type, version); older versions are upcast on parse.

    A handler only ever sees the latest version of a type: `parse` validates a message
    against the model of the version it carries (so a malformed v1 is refused as v1),
    then lifts the payload one version at a time, through `upcasters[(type, v)]` where
    one is registered, else unchanged (a later version that only adds defaulted fields
    reads the earlier payload as it is), and validates it as the latest version.
    """

    def __init__(
        self,
        events: Iterable[type[Event]] = (),
        upcasters: Mapping[tuple[str, int], Upcaster] | None = None,
    ) -> None:
        self._models: dict[tuple[str, int], type[Event]] = {}
        self._envelopes: dict[tuple[str, int], type[Envelope[Any]]] = {}
        self._upcasters = dict(upcasters or {})
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

    @property
    def upcasters(self) -> dict[tuple[str, int], Upcaster]:
        """The registered upcasters, for a registry built from this one."""
        return dict(self._upcasters)

    def latest(self, event_type: str) -> int:
        """The newest version of `event_type` this registry knows."""
        return max(v for (t, v) in self._models if t == event_type)

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
            envelope = envelope_model.model_validate_json(raw)
        except ValidationError as exc:
            raise InvalidPayload(
                f"{header.type} v{header.version} payload is invalid: {_first_errors(exc)}",
                header,
            ) from exc
        latest = self.latest(header.type)
        return envelope if header.version == latest else self._upcast(envelope, latest)

    def _upcast(self, envelope: Envelope[Event], latest: int) -> Envelope[Event]:
        """The envelope with its payload lifted to version `latest`; IDs unchanged."""
        payload: dict[str, Any] = envelope.payload.model_dump(mode="json")
        for version in range(envelope.version, latest):
            step = self._upcasters.get((envelope.type, version))
            payload = step(payload) if step is not None else payload
        model = self._models[(envelope.type, latest)]
        try:
            lifted = model.model_validate_json(json.dumps(payload))
        except ValidationError as exc:
            raise InvalidPayload(
                f"{envelope.type} v{envelope.version} cannot be read as v{latest}: "
                f"{_first_errors(exc)}",
                envelope,
            ) from exc
        envelope_model = self._envelopes[(envelope.type, latest)]
        return envelope_model.model_validate(
            {**envelope.model_dump(exclude={"payload", "version"}), "version": latest}
            | {"payload": lifted}
        )
