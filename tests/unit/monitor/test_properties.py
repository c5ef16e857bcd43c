"""Whole requests on fakes, for many estates: the quotas and the order always hold."""

from __future__ import annotations

import asyncio
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drsorch.contracts import JobStarted, RequestCompleted
from drsorch.contracts.types import Place
from support.monitor_builders import HUB, PRIMARY, Server, spec
from support.monitor_bus import Bus, fast_settings
from support.monitor_scenarios import submit

HERE = Place(HUB, PRIMARY)


@st.composite
def estates(draw: st.DrawFn) -> tuple[list[Server], int, float | None]:
    count = draw(st.integers(1, 220))
    waves = draw(st.lists(st.integers(0, 5), min_size=count, max_size=count))
    plan = [Server(n, wave=w) for n, w in enumerate(waves, start=1)]
    return plan, draw(st.integers(1, 100)), draw(st.sampled_from([None, 0.0, 0.5]))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    estate=estates(),
    foreign=st.integers(0, 19),
    failing=st.sets(st.integers(1, 260), max_size=5),
    throttle=st.sampled_from([0.0, 0.2]),
    limits=st.sampled_from([(20, 500), (3, 120), (1, 100)]),
)
def test_any_request_keeps_every_quota_and_runs_its_waves_in_order(
    estate: tuple[list[Server], int, float | None],
    foreign: int,
    failing: set[int],
    throttle: float,
    limits: tuple[int, int],
) -> None:
    plan, batch_size, ratio = estate
    jobs, in_flight = limits
    bus = Bus(
        settings=fast_settings(max_concurrent_jobs=jobs, max_servers_in_active_jobs=in_flight)
    )
    bus.world.concurrent_jobs, bus.world.servers_in_active_jobs = jobs, in_flight
    bus.world.throttle_rate = throttle
    for n in range(min(foreign, jobs - 1)):
        bus.world.add_foreign_job(HERE, [f"s-x{n:016d}"], seconds=200 + 50 * n)
    for n in failing:
        bus.world.failures[Server(n).launching_server_id] = "boom"
    submit(bus, plan, spec(batch_size=batch_size, wave_success_ratio=ratio))
    asyncio.run(bus.run(bus.ended))

    assert bus.world.violations == []
    assert bus.world.peak_jobs <= jobs and bus.world.peak_servers <= in_flight
    launched = Counter(s for _, ids, _ in bus.world.start_calls for s in ids)
    assert set(launched.values()) <= {1}, "a server in two jobs"
    report = [e for e in bus.events("RequestCompleted") if isinstance(e, RequestCompleted)]
    lines = [line for chunk in report for line in chunk.servers]
    assert len(lines) == len(plan)
    assert all(line.outcome in ("recovered", "failed", "skipped") for line in lines)
    started = [e for e in bus.events("JobStarted") if isinstance(e, JobStarted)]
    assert all(len(j.source_server_ids) <= batch_size for j in started)
    wave_of = {j.job_id: j.wave for j in started}
    by_start = sorted(bus.world.jobs.values(), key=lambda j: j.created_at)
    for job in (j for j in by_start if not j.foreign):
        earlier = [o for o in by_start if not o.foreign and wave_of[o.job_id] < wave_of[job.job_id]]
        assert all(o.ends_at <= job.created_at for o in earlier), "a wave started early"
    assert bus.parked == []
