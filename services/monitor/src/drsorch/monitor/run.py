"""One run of one request: what it may call, what it learned, and when to look again."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from drsorch.contracts import Event
from drsorch.contracts.types import Place
from drsorch.monitor.domain.facts import RecoveryJob
from drsorch.monitor.domain.pacing import Pacing
from drsorch.monitor.domain.records import RequestState
from drsorch.monitor.errors import AwsFailure, Throttled
from drsorch.monitor.ports import Cloud, Drs, Ec2
from drsorch.monitor.session import Dependencies, RequestSession

log = logging.getLogger("drsorch.monitor")
T = TypeVar("T")


def pacing(deps: Dependencies) -> Pacing:
    s = deps.settings
    return Pacing(
        poll_min=s.poll_min_seconds,
        poll_max=s.poll_max_seconds,
        poll_growth=s.poll_growth,
        readiness_poll=s.readiness_poll_seconds,
        linger=s.batch_linger_seconds,
        intent_settle=s.intent_settle_seconds,
        throttle_base=s.throttle_base_seconds,
        throttle_max=s.throttle_max_seconds,
        min_tick=s.min_tick_seconds,
    )


@dataclass
class Run:
    """A run's context: the request's state, AWS as the request sees it, and wake-up hints."""

    deps: Dependencies
    session: RequestSession
    state: RequestState
    cloud: Cloud
    now: datetime
    hints: list[datetime] = field(default_factory=list)
    scans: dict[Place, list[RecoveryJob]] = field(default_factory=dict)

    @property
    def pacing(self) -> Pacing:
        return pacing(self.deps)

    def drs(self, place: Place) -> Drs:
        return self.cloud.drs(place)

    def ec2(self, place: Place) -> Ec2:
        return self.cloud.ec2(place)

    def wake_in(self, seconds: float) -> None:
        """Look again in at most this long."""
        self.hints.append(self.now + timedelta(seconds=seconds))

    async def scan(self, place: Place) -> list[RecoveryJob]:
        """Recent jobs in a place (every starter's), read once per run."""
        if place not in self.scans:
            window = timedelta(seconds=self.deps.settings.job_lookback_seconds)
            self.scans[place] = await self.drs(place).recent_jobs(window)
        return self.scans[place]

    def forget_scan(self, place: Place) -> None:
        self.scans.pop(place, None)

    async def emit(self, event: Event, step: str) -> None:
        await self.session.emit(self.state.summary, event, step)

    async def flush(self) -> None:
        await self.session.flush(self.state)


async def each_place(
    run: Run,
    groups: Mapping[Place, Sequence[T]],
    action: Callable[[Place, Sequence[T]], Awaitable[None]],
    on_failure: Callable[[Place, Sequence[T], AwsFailure], None] | None = None,
) -> None:
    """Run `action` per place; a failing place waits for the next run, the others go on.

    Throttling stops the whole run: it backs off as one.
    """
    for place in sorted(groups):
        await run.session.keep_alive()
        try:
            await action(place, groups[place])
        except Throttled:
            raise
        except AwsFailure as exc:
            log.warning(
                "AWS call failed; will look again",
                extra={
                    "request_id": run.state.summary.request_id,
                    "place": str(place),
                    "error": str(exc),
                },
            )
            run.wake_in(max(run.deps.settings.error_retry_seconds, exc.retry_after or 0))
            if on_failure is not None:
                on_failure(place, groups[place], exc)


def group_by(items: Iterable[T], place_of: Callable[[T], Place]) -> dict[Place, list[T]]:
    grouped: dict[Place, list[T]] = defaultdict(list)
    for item in items:
        grouped[place_of(item)].append(item)
    return dict(grouped)
