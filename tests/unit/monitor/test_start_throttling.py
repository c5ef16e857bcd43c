"""StartRecovery under throttling: a 429 is retried within the run (DRS never acted on
it), and the back-off does not grow while no job runs."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from drsorch.contracts import RequestCompleted
from drsorch.monitor.domain import pacing
from support.monitor_builders import servers, spec
from support.monitor_bus import Bus
from support.monitor_scenarios import submit


def _done(bus: Bus) -> RequestCompleted:
    (done,) = [e for e in bus.events("RequestCompleted") if isinstance(e, RequestCompleted)]
    return done


async def test_a_throttled_start_is_called_again_in_the_same_run_and_starts_once() -> None:
    bus = Bus()
    bus.world.retry_after = 1
    bus.world.throttle["StartRecovery"] = 2
    submit(bus, servers(3), spec())
    await bus.run(bus.ended)

    assert _done(bus).status == "SUCCEEDED"
    assert bus.world.calls["StartRecovery"] == 3  # two 429s, then the job
    assert len(bus.world.start_calls) == 1
    assert bus.pauses == [1, 1]  # Retry-After honoured, no whole-run back-off
    ticks = [delay for kind, delay in bus.timers if kind == "MonitorTick"]
    assert max(ticks) < 33


async def test_throttled_starts_with_no_job_running_never_wait_long() -> None:
    bus = Bus()
    bus.world.retry_after = 1
    bus.world.throttle["StartRecovery"] = 40  # ten runs' worth of attempts refused
    submit(bus, servers(4, waves=2), spec(batch_size=2))
    await bus.run(bus.ended)

    assert _done(bus).status == "SUCCEEDED"
    launched = Counter(s for call in bus.world.start_calls for s in call[1])
    assert len(launched) == 4 and set(launched.values()) == {1}
    ticks = [delay for kind, delay in bus.timers if kind == "MonitorTick"]
    assert max(ticks) <= bus.settings.throttle_base_seconds * 2 + bus.settings.poll_max_seconds


@given(st.integers(0, 30), st.booleans(), st.booleans())
def test_the_streak_grows_only_over_throttled_runs_with_jobs_running(
    streak: int, throttled: bool, running: bool
) -> None:
    after = pacing.throttle_streak(streak, throttled, running)
    if not throttled:
        assert after == 0
    elif running:
        assert after == streak + 1
    else:
        assert after == 1


def test_a_start_pause_doubles_honours_retry_after_and_gives_up_past_the_longest() -> None:
    assert [pacing.start_retry_pause(None, n, 5) for n in (1, 2, 3, 4)] == [0.5, 1, 2, 4]
    assert pacing.start_retry_pause(3, 1, 5) == 3
    assert pacing.start_retry_pause(30, 1, 5) is None
