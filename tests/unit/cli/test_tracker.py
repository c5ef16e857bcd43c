"""Following a request: the tracker's fold, the milestone lines, and the follow loop."""

from __future__ import annotations

import random

from drsorch.cli.follow import follow
from drsorch.cli.live import describe
from drsorch.cli.tracker import RequestTracker, fold
from drsorch.contracts import Chunk, Envelope, Event, JobCompleted, JobStarted
from support.cli_fakes import REQUEST_ID, FakeClock, FakeFeed, events
from support.cli_pipeline import Script


def test_every_event_folds_into_counts_waves_and_the_end() -> None:
    tracker = fold(REQUEST_ID, events())
    counts = tracker.counts()
    assert tracker.done
    assert (counts.discovered, counts.paired, counts.configured, counts.rejected) == (9, 9, 8, 1)
    assert (counts.launched, counts.failed) == (8, 0)
    waves = tracker.waves()
    assert sorted(waves) == [1, 2, 3]
    assert sum(w.servers for w in waves.values()) == 8
    assert all(w.finished_jobs == len(w.jobs) == 1 for w in waves.values())
    assert tracker.plan_hash == Script().plan_hash_for("failback")
    assert set(tracker.milestones) >= {"ServersDiscovered", "PairsMatched", "RequestCompleted"}


def test_repeats_and_other_requests_are_ignored() -> None:
    everything = events()
    tracker = RequestTracker(REQUEST_ID)
    assert all(tracker.apply(e) for e in everything)
    assert not any(tracker.apply(e) for e in everything)  # redelivered
    stranger = everything[0].model_copy(update={"request_id": "failback-other-000001"})
    assert not tracker.apply(stranger)
    assert tracker.counts().discovered == 9


def test_any_arrival_order_gives_the_same_state() -> None:
    everything = events()
    expected = fold(REQUEST_ID, everything).counts()
    for seed in range(5):
        shuffled = everything[:]
        random.Random(seed).shuffle(shuffled)
        assert fold(REQUEST_ID, shuffled).counts() == expected


def test_a_job_whose_start_was_missed_is_rebuilt_from_its_completion() -> None:
    kept = [e for e in events() if not isinstance(e.payload, JobStarted)]
    tracker = fold(REQUEST_ID, kept)
    assert len(tracker.jobs) == 3
    assert tracker.counts().launched == 8


def test_the_request_is_not_done_until_its_last_chunk() -> None:
    everything = events()
    last = everything[-1]
    split = last.model_copy(
        update={"payload": last.payload.model_copy(update={"chunk": Chunk(index=0, count=2)})}
    )
    tracker = fold(REQUEST_ID, [*everything[:-1], split])
    assert not tracker.done


def test_milestone_lines_name_what_happened() -> None:
    tracker = RequestTracker(REQUEST_ID)
    lines = []
    for envelope in events():
        tracker.apply(envelope)
        lines.append(describe(envelope, tracker))
    text = "\n".join(line for line in lines if line)
    assert "discovered 9 servers in 1 accounts" in text
    assert "matched 9 pairs (9 by lineage, 0 by name, 0 standard launches)" in text
    assert "refused[/] web-02: target is running" in text
    assert "wave 1: job drsjob-00000000000000001 started with 3 servers" in text
    assert "completed: 3 launched, 0 failed" in text
    assert f"request {REQUEST_ID} completed: PARTIAL" in text


async def test_follow_stops_at_the_end_in_pipeline_order() -> None:
    everything = events()
    feed = FakeFeed([list(reversed(everything[:3])), everything[3:]])
    seen: list[str] = []

    class View:
        def on_event(self, envelope: Envelope[Event], tracker: RequestTracker) -> None:
            seen.append(envelope.type)

        def refresh(self, tracker: RequestTracker) -> None:
            pass

    followed = await follow(feed, RequestTracker(REQUEST_ID), View(), None)  # type: ignore[arg-type]
    assert not followed.timed_out
    assert seen[:3] == ["ServersDiscovered", "PairsMatched", "TargetConfigured"]
    assert seen[-1] == "RequestCompleted"


async def test_follow_gives_up_at_the_deadline_and_waits_no_longer_than_it() -> None:
    feed = FakeFeed([events()[:1]])
    followed = await follow(feed, RequestTracker(REQUEST_ID), None, 7.0, FakeClock(feed))
    assert followed.timed_out
    assert sum(feed.waits) == 7
    assert max(feed.waits) <= 7


def test_a_job_completion_counts_failures() -> None:
    everything = events()
    done = next(e for e in everything if isinstance(e.payload, JobCompleted))
    assert isinstance(done.payload, JobCompleted)
    failed = done.payload.servers[0].model_copy(
        update={"launch_status": "FAILED", "launched_into_expected": False, "ec2_instance_id": None}
    )
    payload = done.payload.model_copy(update={"servers": (failed, *done.payload.servers[1:])})
    tracker = fold(
        REQUEST_ID,
        [e for e in everything if e is not done] + [done.model_copy(update={"payload": payload})],
    )
    assert tracker.counts().failed == 1
