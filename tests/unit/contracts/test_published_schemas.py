"""Published contracts are immutable: a changed model needs a new version, not an edit.

Consumers in the field validate against the committed schemas in contracts/schemas.
Regenerating a schema in memory and comparing it with the committed file for the
same (type, version) catches an in-place change before it ships.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import ClassVar

import pytest

from drsorch.contracts import EVENTS, Event, JobStarted
from drsorch.contracts.schemas import envelope_schema, render_json, render_schemas, schema_file_name

SCHEMAS = Path(__file__).resolve().parents[3] / "contracts" / "schemas"


def drift(event: type[Event], schemas: Path = SCHEMAS) -> str | None:
    """Why the committed schema of `event` is missing or stale, or None when it matches."""
    name = f"{event.event_type} v{event.event_version}"
    path = schemas / schema_file_name(event)
    if not path.is_file():
        return (
            f"{name} has no committed schema {path.name}: run `make schemas` and commit "
            "contracts/schemas"
        )
    committed, current = path.read_text(), render_json(envelope_schema(event))
    if committed == current:
        return None
    diff = difflib.unified_diff(
        committed.splitlines(), current.splitlines(), "committed", "model", lineterm="", n=1
    )
    return (
        f"{name} no longer matches its published schema {path.name}. Consumers already rely "
        f"on v{event.event_version}: add a v{event.event_version + 1} model (a new class with "
        f"event_version = {event.event_version + 1}, registered in EVENTS) or revert the "
        "change.\n" + "\n".join(list(diff)[:40])
    )


PUBLISHED: list[type[Event]] = sorted(EVENTS, key=lambda e: (e.event_type, e.event_version))


@pytest.mark.parametrize("event", PUBLISHED, ids=schema_file_name)
def test_every_published_schema_is_unchanged(event: type[Event]) -> None:
    problem = drift(event)
    if problem:
        pytest.fail(problem, pytrace=False)


def test_every_committed_schema_belongs_to_a_registered_event() -> None:
    registered = set(render_schemas(EVENTS))
    orphans = sorted(p.name for p in SCHEMAS.glob("*.schema.json") if p.name not in registered)
    assert not orphans, (
        f"{orphans} are published but no longer registered: consumers of those versions "
        "would be refused; keep the model registered"
    )


class ChangedJobStarted(JobStarted):
    """JobStarted v1 with a field added in place: exactly what the guard must catch."""

    event_type: ClassVar[str] = "JobStarted"
    event_version: ClassVar[int] = 1

    priority: int = 0


class UnpublishedEvent(Event):
    """An event registered without running the export."""

    event_type: ClassVar[str] = "NeverExported"
    event_version: ClassVar[int] = 1


def test_the_guard_catches_an_in_place_change() -> None:
    problem = drift(ChangedJobStarted)
    assert problem is not None
    assert "add a v2 model" in problem
    assert "or revert the change" in problem
    assert "priority" in problem


def test_the_guard_catches_a_missing_schema() -> None:
    problem = drift(UnpublishedEvent)
    assert problem is not None
    assert "run `make schemas`" in problem
