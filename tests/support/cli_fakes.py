"""Hand-written fakes of the CLI's ports, and request events made by the scripted pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from drsorch.cli.follow import request_envelope
from drsorch.contracts import Accounts, Envelope, Event, RequestSpec, Scope
from support.cli_pipeline import Run, Script

REQUEST_ID = "failback-20261125t120000-abcdef"


def spec(**changes: object) -> RequestSpec:
    fields: dict[str, object] = {
        "operation": "failback",
        "scope": Scope(selector={"app": "web"}),
        "accounts": Accounts(hub="123456789012"),
        "primary_region": "us-east-1",
        "recovery_region": "us-west-2",
        "requested_by": "operator",
        "requested_at": datetime(2026, 11, 25, 12, tzinfo=UTC),
    } | changes
    return RequestSpec.model_validate(fields)


def events(script: Script | None = None, **changes: object) -> list[Envelope[Event]]:
    """Every event of one request, as the scripted pipeline publishes them."""
    request_spec = spec(**changes)
    run = Run(script or Script(), request_envelope(request_spec, REQUEST_ID), request_spec)
    results = run.plan()
    run.finish(results)
    return run.out


class FakeFeed:
    """Hands out prepared batches, one a receive; then nothing."""

    def __init__(self, batches: Sequence[Sequence[Envelope[Event]]]) -> None:
        self.batches = [list(b) for b in batches]
        self.waits: list[int] = []

    @property
    def unreadable(self) -> int:
        return 0

    async def receive(self, wait_seconds: int) -> Sequence[Envelope[Event]]:
        self.waits.append(wait_seconds)
        return self.batches.pop(0) if self.batches else []


class FakeClock:
    """A monotonic clock that moves only when a receive waits."""

    def __init__(self, feed: FakeFeed) -> None:
        self.feed = feed

    def __call__(self) -> float:
        return float(sum(self.feed.waits))
