"""The liveness watch over hand-written queue depths and a clock that moves when told."""

from __future__ import annotations

import pytest

from drsorch.cli.follow import follow
from drsorch.cli.liveness import QUIET_SECONDS, Liveness, queues_of, quiet_seconds
from drsorch.cli.tracker import RequestTracker
from drsorch.contracts import Envelope, Event
from support.cli_fakes import REQUEST_ID, FakeClock, FakeFeed, events

QUEUES = {"discovery": "q-discovery", "matcher": "q-matcher"}


class Depths:
    """Queue depths by URL, as a test sets them; a URL in `broken` fails to answer."""

    def __init__(self) -> None:
        self.now: dict[str, tuple[int, int]] = {}
        self.broken: set[str] = set()

    async def depths(self, queue_url: str) -> tuple[int, int]:
        if queue_url in self.broken:
            raise ConnectionError(queue_url)
        return self.now.get(queue_url, (0, 0))


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


async def _checks(watch: Liveness, clock: Clock, until: float) -> list[tuple[float, str]]:
    said = []
    while clock.t <= until:
        said += [(clock.t, line) for line in await watch.check()]
        clock.t += 1.0
    return said


async def test_a_queue_nobody_reads_is_said_once_within_30_seconds_by_default() -> None:
    depths, clock = Depths(), Clock()
    depths.now["q-discovery"] = (1, 0)
    watch = Liveness(QUEUES, depths, clock)
    said = await _checks(watch, clock, 60)
    assert len(said) == 1
    at, line = said[0]
    assert QUIET_SECONDS <= at < 30
    assert "Nothing is consuming the discovery queue" in line
    assert "python -m drsorch.discovery" in line


async def test_a_queue_that_drains_is_never_said() -> None:
    depths, clock = Depths(), Clock()
    watch = Liveness(QUEUES, depths, clock)
    said = []
    for second in range(60):
        # Messages arrive and are taken: waiting, then in flight, then gone.
        depths.now["q-matcher"] = [(2, 0), (0, 2), (0, 0)][second % 3]
        said += await watch.check()
        clock.t += 1.0
    assert said == []


async def test_a_probe_that_fails_says_nothing_and_the_others_are_still_watched() -> None:
    depths, clock = Depths(), Clock()
    depths.broken.add("q-discovery")
    depths.now["q-matcher"] = (3, 0)
    said = await _checks(Liveness(QUEUES, depths, clock), clock, 30)
    assert [line.split(":")[0] for _, line in said] == ["Nothing is consuming the matcher queue"]


def test_the_queues_come_from_the_stacks_outputs_and_the_monitors_is_always_known() -> None:
    outputs = {"DiscoveryQueueUrl": "d", "MatcherQueueUrl": "m", "Other": "x"}
    assert queues_of(outputs, "mon") == {"discovery": "d", "matcher": "m", "monitor": "mon"}


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("3", 3.0), ("inf", QUIET_SECONDS), ("0", QUIET_SECONDS), ("x", QUIET_SECONDS)],
)
def test_the_quiet_time_can_be_tuned_within_bounds(value: str, seconds: float) -> None:
    assert quiet_seconds({"DRSORCH_CLI_QUIET_SECONDS": value}) == seconds


async def test_follow_keeps_following_while_the_watch_looks() -> None:
    batches: list[list[Envelope[Event]]] = [[], [], *([e] for e in events())]
    feed = FakeFeed(batches)
    clock = FakeClock(feed)
    depths = Depths()
    watch = Liveness(QUEUES, depths, clock)
    followed = await follow(feed, RequestTracker(REQUEST_ID), None, None, clock, liveness=watch)
    assert followed.tracker.done
    assert max(feed.waits) <= watch.check_seconds  # never waits past the next look
