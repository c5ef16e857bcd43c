"""One run of one request: what it may call, what it learned, and when to look again."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from drsorch.contracts import Event
from drsorch.contracts.types import Place
from drsorch.monitor.domain.facts import Instance, RecoveryJob
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


READ_AHEAD_FRESH = timedelta(seconds=5)
"""How long after it was asked a read-ahead answer may still stand for EC2's state: a
run whose launch comes later (a long landing proof first, a throttled retry) asks anew."""


@dataclass(frozen=True)
class ReadAhead:
    """EC2's answer for some instances, asked beside this run's job polls."""

    instance_ids: frozenset[str]
    answer: asyncio.Task[dict[str, Instance]]
    asked_at: datetime


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
    read_ahead: dict[Place, ReadAhead] = field(default_factory=dict)

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

    def read_instances_ahead(self, place: Place, instance_ids: Iterable[str]) -> None:
        """Start asking EC2 for these instances now, for `instances` later in this run."""
        ids = sorted(set(instance_ids))
        if ids and place not in self.read_ahead:
            answer = asyncio.create_task(self.ec2(place).instances(ids))
            self.read_ahead[place] = ReadAhead(frozenset(ids), answer, self.deps.clock.now())

    async def instances(
        self, place: Place, instance_ids: Sequence[str]
    ) -> tuple[dict[str, Instance], datetime]:
        """EC2's facts of these instances, read in this run, and when EC2 was asked for the
        oldest of them: the place's read-ahead answers for what it asked (once, and only
        within `READ_AHEAD_FRESH` of asking), EC2 is asked now for the rest (or for all,
        had the read-ahead failed or aged)."""
        missing = list(dict.fromkeys(instance_ids))
        found: dict[str, Instance] = {}
        asked = self.deps.clock.now()
        ahead = self.read_ahead.pop(place, None)
        if ahead is not None:
            try:
                answer = await ahead.answer
            except Throttled:
                raise  # asking again at once would only be throttled again
            except AwsFailure:
                answer = None
            if answer is not None and self.deps.clock.now() - ahead.asked_at <= READ_AHEAD_FRESH:
                found = {i: answer[i] for i in missing if i in answer}
                missing = [i for i in missing if i not in ahead.instance_ids]
                asked = ahead.asked_at
        if missing:
            found.update(await self.ec2(place).instances(missing))
        return found, asked

    def still_fresh(self, asked: datetime) -> bool:
        """Whether EC2's answer asked at `asked` may still stand for a launch-into check."""
        return self.deps.clock.now() - asked <= READ_AHEAD_FRESH

    async def drop_read_ahead(self) -> None:
        """Cancel what nothing in the run used: a later run asks EC2 anew."""
        unused = [ahead.answer for ahead in self.read_ahead.values()]
        self.read_ahead.clear()
        for answer in unused:
            answer.cancel()
        await asyncio.gather(*unused, return_exceptions=True)

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
